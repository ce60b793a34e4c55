"""Public eval data by what it is: a Hugging Face dataset id, config and split, kept offline in the data dir.

A benchmark task, the arena's prompts and the decontamination lists name such data as
``${dataset:openai/gsm8k,main,test}``, which is the file ``<data_dir>/openai/gsm8k/main/test.jsonl``
(paths.data_dir: $SFT_ABLATE_DATA_DIR, else eval_data/ in the cache). The file holds the split's rows exactly as
``datasets`` loads them, one JSON object a line. Its readers call ``ensure_dataset_file``: a file that is there is
read as it is (offline, no request); a missing one is loaded through ``datasets`` (its own cache as usual) and
written there when the hub answers; otherwise the error says in one line which dataset, where it looked and the
command that fetches it (``python -m sft_ablate.data_fetch``, on a machine with network).
"""

from __future__ import annotations

import functools
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sft_ablate.errors import DataError
from sft_ablate.io import write_jsonl_atomic
from sft_ablate.paths import DATA_DIR_ENV, data_dir

log = logging.getLogger(__name__)

HUB_TIMEOUT = 10.0  # seconds for the one request that tells whether the hub answers
FETCH_COMMAND = "python -m sft_ablate.data_fetch"


@dataclass(frozen=True)
class DatasetRef:
    repo: str  # ORG/NAME on the hub
    config: str = "default"
    split: str = "train"

    def path(self, root: Path | None = None) -> Path:
        return (root or data_dir()) / self.repo / self.config / f"{self.split}.jsonl"

    def __str__(self) -> str:
        return f"{self.repo} ({self.config}, {self.split})"


# The public sets the shipped configs read, by the name `data_fetch` takes. Each is fetched whole.
PUBLIC_DATASETS: dict[str, tuple[DatasetRef, ...]] = {
    "gsm8k": (DatasetRef("openai/gsm8k", "main", "test"), DatasetRef("openai/gsm8k", "main", "train")),  # train: few-shot
    "arc_easy": (DatasetRef("allenai/ai2_arc", "ARC-Easy", "test"),),
    "mt_bench": (DatasetRef("lighteval/mt-bench", "default", "train"),),  # FastChat's 80 questions, with references
}


class MissingDataset(DataError):
    """A dataset the config names is not in the data dir and cannot be loaded from the hub now."""


def ref_for(path: Path, root: Path | None = None) -> DatasetRef | None:
    """The dataset a data-dir path stands for, or None for any other file (a user's own)."""
    root = (root or data_dir()).expanduser().absolute()
    try:
        parts = path.expanduser().absolute().relative_to(root).parts
    except ValueError:
        return None
    if len(parts) != 4 or not parts[3].endswith(".jsonl"):
        return None
    return DatasetRef(f"{parts[0]}/{parts[1]}", parts[2], parts[3].removesuffix(".jsonl"))


def fetch_hint(refs: list[DatasetRef]) -> str:
    """The command that fetches these, by their short names where the catalog has them."""
    names: list[str] = []
    for ref in refs:
        name = next((n for n, found in PUBLIC_DATASETS.items() if ref in found), None)
        names.append(name or f"{ref.repo}:{ref.config}:{ref.split}")
    return f"{FETCH_COMMAND} {' '.join(dict.fromkeys(names))}"


def where_data_dir() -> str:
    """The data dir, and whether the environment chose it."""
    return (
        f"{data_dir()} (${DATA_DIR_ENV})"
        if os.environ.get(DATA_DIR_ENV)
        else f"{data_dir()} (the default; ${DATA_DIR_ENV} moves it)"
    )


def ensure_dataset_file(path: Path, what: str) -> Path:
    """The file at `path`; for a data-dir dataset that is missing, fetched now if the hub answers, else MissingDataset."""
    ref = None if path.exists() else ref_for(path)
    if ref is None:
        return path  # there, or a user's own file: its reader names it when missing
    problem = hub_problem()
    if problem is None:
        return fetch(ref, path)
    raise MissingDataset(
        f"{what}: dataset {ref} is not in the data dir {where_data_dir()}: no {path}, and the hub cannot be "
        f"reached ({problem}); fetch it where it can: {fetch_hint([ref])}"
    )


def fetch(ref: DatasetRef, dest: Path | None = None) -> Path:
    """Load one split through `datasets` (cached by it as usual) and write its rows to the data dir."""
    import datasets

    dest = dest or ref.path()
    log.info("fetching %s from the Hugging Face Hub into %s", ref, dest)
    try:
        rows = datasets.load_dataset(ref.repo, None if ref.config == "default" else ref.config, split=ref.split)
    except Exception as err:  # no connection, no such repo/config/split: datasets raises many types
        first = str(err).splitlines()[0] if str(err) else ""
        raise MissingDataset(f"could not load {ref} from the Hugging Face Hub: {type(err).__name__}: {first}") from err
    write_jsonl_atomic(dest, [dict(row) for row in rows])
    return dest


def hub_problem() -> str | None:
    """Why the hub cannot be used now (offline mode, no answer), or None. Asked once per process."""
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE or os.environ.get("HF_DATASETS_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return "HF_HUB_OFFLINE is set"
    return _endpoint_problem(constants.ENDPOINT)


@functools.cache
def _endpoint_problem(endpoint: str) -> str | None:
    return hub_unreachable(endpoint)


def hub_unreachable(endpoint: str) -> str | None:
    """None when the hub's endpoint answers at all (any HTTP status), else what went wrong."""
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=HUB_TIMEOUT)
    except urllib.error.HTTPError:
        return None
    except (OSError, ValueError) as err:  # URLError, timeouts, refused connections, a malformed endpoint
        return f"{type(err).__name__}: {getattr(err, 'reason', err)}"
    return None
