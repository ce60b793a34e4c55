"""Benchmark tasks: turn `eval.benchmarks` into checked tasks, before any data or model is loaded.

An entry of eval.benchmarks is one of:
- a local task: the name of a YAML file in sft_ablate/evaluation/benchmarks/ (`arc_easy`; `arc_easy|5` for
  5-shot), or the path of a task YAML anywhere (`my_evals/legal.yaml`). Its data is a local file, or a hub
  dataset split in the data dir (`${dataset:openai/gsm8k,main,test}`, fetched there when missing and online;
  data/fetch.py), read and checked here;
- a lighteval task string as lighteval 0.13 writes it (`mmlu:anatomy|0`; `lighteval|gsm8k|5`, whose
  suite part lighteval ignores; the older `suite|task|shots|truncate` is read too). Its data comes from
  the Hugging Face Hub, so we check here that the hub answers, and fail at once when it does not.
A bare name is a local task when sft_ablate/evaluation/benchmarks/ has it; a string with a suite is always
lighteval's.

A task YAML (see sft_ablate/evaluation/benchmarks/ and docs/benchmarks.md) names a data file, a prompt
template and a kind: multiple-choice scored by log-likelihood, or generative scored by exact match or by a
numeric answer. `include: other.yaml` takes defaults from another file. Rows are turned into one shape for
every task, {"query", "choices", "gold"}, which lighteval reads as a local dataset (lighteval_runner.py).
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sft_ablate.cache import building, content_key, file_fingerprint
from sft_ablate.data.fetch import HUB_TIMEOUT, ensure_dataset_file, hub_unreachable
from sft_ablate.data.filters.decontaminate import EvalPromptFile
from sft_ablate.data.formats import RowProblem
from sft_ablate.data.sources import FILE_SUFFIXES, read_file_rows
from sft_ablate.errors import ConfigError, DataError, EnvironmentProblem
from sft_ablate.evaluation.answers import final_number, number_text
from sft_ablate.evaluation.schema import EvalConfig
from sft_ablate.paths import BENCHMARK_TASKS_DIR, dataset_path, sample_data_path

log = logging.getLogger(__name__)

BENCHMARKS_DIR = BENCHMARK_TASKS_DIR
KINDS = ("multiple_choice", "generative")
ANSWERS = ("exact", "numeric")
CACHED_HINT = ". A dataset already in your Hugging Face cache is read with HF_HUB_OFFLINE=1"


@dataclass
class LocalTaskSpec:
    """One local benchmark task, as declared in a YAML file (typed: unknown keys are errors)."""

    path: str = MISSING  # the data: .jsonl, .json, .csv or .parquet; relative paths start at the task YAML
    kind: str = MISSING  # multiple_choice (log-likelihood of each choice) | generative (the model writes)
    prompt: str = "{query}"  # a Python format string over the row's fields
    gold: str = "gold"  # the field with the answer: a choice index or choice field name, or the reference text
    choices: Any = "choices"  # multiple_choice: a field holding the list of choices, or a list of fields
    # multiple_choice: a field with one label per choice ("A".."D"); gold is then the right choice's label.
    # Fields may be dotted into an object: ARC's `choices: choices.text`, `choice_labels: choices.label`.
    choice_labels: str | None = None
    choice_prefix: str = " "  # put before each choice (and generative reference): it continues the prompt
    answer: str = "exact"  # generative: exact (stripped text) | numeric (the number after answer_marker)
    answer_marker: str | None = None  # numeric: the number right after this marker; null: the last number
    instruction: str = ""  # said once before the (few-shot) prompts
    generation_size: int = 64  # generative: at most this many new tokens
    stop_sequences: list[str] = field(default_factory=list)  # generative: cut the output at these
    fewshot_path: str | None = None  # rows for few-shot examples (`task|k`); same fields as `path`
    num_fewshots: int = 0  # when the task string gives no `|k`
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.answer not in ANSWERS:
            raise ConfigError(f"answer must be one of {', '.join(ANSWERS)}, got {self.answer!r}")
        if not (isinstance(self.choices, str) or (isinstance(self.choices, list) and len(self.choices) >= 2)):
            raise ConfigError(f"choices must be a field name or a list of at least two field names, got {self.choices!r}")
        if self.generation_size <= 0 or self.num_fewshots < 0:
            raise ConfigError("generation_size must be positive and num_fewshots >= 0")
        try:
            prompt_fields(self.prompt)
        except ValueError as err:
            raise ConfigError(f"prompt {self.prompt!r} is not a valid format string: {err}") from err


@dataclass
class LocalTask:
    spec: LocalTaskSpec
    source: Path  # the task YAML
    data: Path
    rows: list[dict[str, Any]]  # {"query", "choices", "gold"}, at most eval.max_samples of them
    total_rows: int  # rows in the file, all of them checked
    fewshot_rows: list[dict[str, Any]]


@dataclass
class BenchmarkTask:
    request: str  # as written in eval.benchmarks: the key under metrics.benchmarks
    name: str  # lighteval's task name: "local_arc_easy", "mmlu:anatomy"
    num_fewshots: int
    identity: dict[str, Any]  # everything its scores depend on besides the model (the base-score cache key)
    local: LocalTask | None = None
    builtin_module: str | None = None  # the lighteval module that defines a built-in task
    data_dir: Path | None = None  # local tasks: the rows as a dataset lighteval can load (see materialize)

    @property
    def lighteval_string(self) -> str:
        return f"{self.name}|{self.num_fewshots}"


def resolve_benchmarks(eval_cfg: EvalConfig, cache_dir: Path) -> list[BenchmarkTask]:
    """Check every task of eval.benchmarks: names, files, every row, hub reachability. Fails before training."""
    tasks, seen = [], set()
    for request in eval_cfg.benchmarks:
        task = resolve_task(request, eval_cfg.max_samples)
        if task.lighteval_string in seen:
            raise ConfigError(f"eval.benchmarks lists {request!r} twice (as {task.lighteval_string})")
        seen.add(task.lighteval_string)
        if task.local is not None:
            task.data_dir = materialize(task.local, cache_dir)
        tasks.append(task)
    return tasks


def benchmark_eval_prompts(eval_cfg: EvalConfig) -> list[EvalPromptFile]:
    """The prompt fields of the local tasks a run evaluates on, for decontamination: training rows must not hold
    them. A lighteval task's data is on the hub, not checked here; a task file that is not .jsonl neither."""
    found = []
    for request in eval_cfg.benchmarks:
        task_file = _task_file_of(request)
        if task_file is None:
            continue
        spec = load_spec(task_file)
        if Path(spec.path).suffix.lower() == ".jsonl":
            found += [EvalPromptFile(spec.path, name) for name in prompt_fields(spec.prompt)]
    return found


def _task_file_of(request: str) -> Path | None:
    """The YAML of a local task (`arc_easy|5`, `my/task.yaml`), or None for a lighteval task string."""
    parts = request.strip().split("|")
    return _local_task_file(parts[0]) if len(parts) <= 2 and parts[0] else None


def resolve_task(request: str, max_samples: int | None) -> BenchmarkTask:
    parts = request.strip().split("|")
    suite = None
    if len(parts) in (3, 4):  # lighteval's suite|task|shots and the older suite|task|shots|truncate
        suite, parts = parts[0], parts[1:3]
    if len(parts) > 2 or not parts[0]:
        raise ConfigError(f"eval.benchmarks: cannot read task {request!r}; write `task`, `task|shots` or `suite|task|shots`")
    name, shots = parts[0], _shots(request, parts[1] if len(parts) == 2 else None)
    if suite is None:
        task_file = _local_task_file(name)
        if task_file is not None:
            return _local_task(request, task_file, shots, max_samples)
    return _builtin_task(request, name, suite, shots)


def _shots(request: str, text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise ConfigError(f"eval.benchmarks: {request!r}: the few-shot count must be a whole number, got {text!r}")
    return int(text)


def _local_task_file(name: str) -> Path | None:
    if name.endswith((".yaml", ".yml")):
        path = Path(name).expanduser()
        if not path.exists():
            raise ConfigError(f"eval.benchmarks: task file not found: {path}")
        return path.resolve()
    path = BENCHMARKS_DIR / f"{name}.yaml"
    return path if path.exists() and not name.startswith("_") else None


def local_task_names() -> list[str]:
    return sorted(p.stem for p in BENCHMARKS_DIR.glob("*.yaml") if not p.stem.startswith("_"))


# ---- local tasks ------------------------------------------------------------------------------


def load_spec(task_file: Path) -> LocalTaskSpec:
    """Read a task YAML (following `include:`), check it against LocalTaskSpec and resolve its paths."""
    _register_resolvers()
    try:
        node = OmegaConf.merge(OmegaConf.structured(LocalTaskSpec), _with_includes(task_file, ()))
        spec = OmegaConf.to_object(node)
    except OmegaConfBaseException as err:
        raise ConfigError(f"{task_file}: {str(err).splitlines()[0]}") from err
    except ConfigError as err:
        raise ConfigError(f"{task_file}: {err}") from err
    spec.path = str(_relative_to(task_file, spec.path))
    if spec.fewshot_path is not None:
        spec.fewshot_path = str(_relative_to(task_file, spec.fewshot_path))
    return spec


def _with_includes(path: Path, chain: tuple[Path, ...]) -> DictConfig:
    if path in chain:
        raise ConfigError(f"{path}: `include:` loops back to itself ({' -> '.join(p.name for p in (*chain, path))})")
    node = OmegaConf.load(path)
    include = node.pop("include", None)
    if include is None:
        return node
    base = path.parent / str(include)
    if not base.exists():
        raise ConfigError(f"{path}: include: {include!r} not found (looked for {base})")
    return OmegaConf.merge(_with_includes(base, (*chain, path)), node)


def _register_resolvers() -> None:
    """The same ${sample_data:...} and ${dataset:...} as in conf/, also when Hydra is not running."""
    for name, fn in (("sample_data", sample_data_path), ("dataset", dataset_path)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_resolver(name, fn)


def _relative_to(task_file: Path, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else (task_file.parent / p).resolve()


def _local_task(request: str, task_file: Path, shots: int | None, max_samples: int | None) -> BenchmarkTask:
    spec = load_spec(task_file)
    name = task_file.stem
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise ConfigError(f"{task_file}: a task file name may hold only letters, digits, '_', '-' and '.'")
    rows = read_task_rows(spec, Path(spec.path), name, task_file, "path")
    num_fewshots = spec.num_fewshots if shots is None else shots
    fewshot_rows = []
    if spec.fewshot_path is not None:
        fewshot_rows = read_task_rows(spec, Path(spec.fewshot_path), name, task_file, "fewshot_path")
    elif num_fewshots > 0:
        raise ConfigError(
            f"eval.benchmarks: {request!r} asks for {num_fewshots}-shot prompts, but {task_file} "
            "has no fewshot_path to draw examples from (drawing them from the test rows would leak)"
        )
    local = LocalTask(spec, task_file, Path(spec.path), rows[:max_samples] if max_samples else rows, len(rows), fewshot_rows)
    identity = {
        "kind": "local", "spec": {k: v for k, v in vars(spec).items() if k not in ("path", "fewshot_path", "description")},
        "data": file_fingerprint(Path(spec.path)),
        "fewshot_data": file_fingerprint(Path(spec.fewshot_path)) if spec.fewshot_path else None,
        "rows": len(local.rows), "num_fewshots": num_fewshots,
    }  # fmt: skip
    # Prefixed so that a local `gsm8k` and lighteval's can run side by side; no ":" in it, as lighteval
    # averages tasks sharing the part before ":" and writes 0 for metrics that only some of them have.
    return BenchmarkTask(request, f"local_{name}", num_fewshots, identity, local=local)


def read_task_rows(spec: LocalTaskSpec, path: Path, task: str, task_file: Path, key: str) -> list[dict[str, Any]]:
    """Every row of a task's file, checked and turned into {"query", "choices", "gold"}; errors name file:line."""
    where = f"(benchmark task {task!r}, {task_file})"
    path = ensure_dataset_file(path, f"benchmark task {task!r} ({key})")
    if not path.exists():
        raise DataError(f"benchmark task {task!r}: file not found: {path} ({key}: in {task_file})")
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {path.suffix!r} (use one of {', '.join(FILE_SUFFIXES)}) {where}")
    rows = []
    for origin, row in read_file_rows(path):
        try:
            if isinstance(row, RowProblem):
                raise row
            rows.append(task_row(spec, row))
        except RowProblem as problem:
            raise DataError(f"{origin}: {problem} {where}") from None
    if not rows:
        raise DataError(f"{path}: no rows {where}")
    return rows


def task_row(spec: LocalTaskSpec, row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise RowProblem(f"expected an object with fields, got {type(row).__name__}")
    needed = [*prompt_fields(spec.prompt), spec.gold]
    if spec.kind == "multiple_choice":
        needed += [spec.choices] if isinstance(spec.choices, str) else spec.choices
        needed += [spec.choice_labels] if spec.choice_labels else []
    for name in needed:
        if _field(row, name) is None:
            raise RowProblem(f"missing field {name!r} (fields: {', '.join(sorted(row)) or 'none'})")
    try:
        query = spec.prompt.format_map(row)
    except (IndexError, KeyError, ValueError, AttributeError, TypeError) as err:
        raise RowProblem(f"prompt {spec.prompt!r} cannot be filled from this row: {type(err).__name__}: {err}") from None
    if spec.kind == "multiple_choice":
        choices = _choices(spec, row)
        return {"query": query, "choices": [spec.choice_prefix + c for c in choices], "gold": _gold_index(spec, row, choices)}
    reference = str(_field(row, spec.gold))
    if spec.answer == "numeric" and extract_number(reference, spec.answer_marker) is None:
        after = f"after {spec.answer_marker!r}" if spec.answer_marker else "in it"
        raise RowProblem(f"field {spec.gold!r} has no number {after}: {reference[-80:]!r}")
    if not reference.strip():
        raise RowProblem(f"field {spec.gold!r} is empty")
    return {"query": query, "choices": [spec.choice_prefix + reference.strip()], "gold": 0}


def prompt_fields(prompt: str) -> list[str]:
    """The row fields a prompt template uses: "Question: {query}" -> ["query"]."""
    names = [name for _, name, _, _ in string.Formatter().parse(prompt) if name is not None]
    if "" in names or any(n.isdigit() for n in names):
        raise ValueError("use named fields such as {query}, not {} or {0}")
    return sorted({re.split(r"[.\[]", n)[0] for n in names})


def _field(row: dict[str, Any], name: str) -> Any:
    """A row's field, or None; `a.b` reads field b of the object in field a (a field named `a.b` wins)."""
    if name in row:
        return row[name]
    value: Any = row
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _as_list(spec_field: str, values: Any, what: str) -> list[Any]:
    if isinstance(values, str) and values.lstrip().startswith("["):  # a JSON list in a CSV cell
        try:
            values = json.loads(values)
        except json.JSONDecodeError as err:
            raise RowProblem(f"field {spec_field!r} holds malformed JSON: {err.msg}") from None
    if hasattr(values, "tolist"):  # numpy arrays from Parquet
        values = values.tolist()
    if not isinstance(values, list):
        raise RowProblem(f"field {spec_field!r} must be {what}, got {type(values).__name__}")
    return values


def _choices(spec: LocalTaskSpec, row: dict[str, Any]) -> list[str]:
    if isinstance(spec.choices, list):
        values = [row[name] for name in spec.choices]
    else:
        values = _as_list(spec.choices, _field(row, spec.choices), "a list of choices")
    if len(values) < 2:
        raise RowProblem(f"needs at least 2 choices, got {len(values)}")
    choices = [str(v) for v in values]
    if any(not c.strip() for c in choices):
        raise RowProblem(f"choice {next(i for i, c in enumerate(choices) if not c.strip())} is empty")
    return choices


def _gold_index(spec: LocalTaskSpec, row: dict[str, Any], choices: list[str]) -> int:
    value = _field(row, spec.gold)
    if spec.choice_labels:  # ARC: answerKey "B" among choices.label ["A", "B", "C", "D"]
        labels = [str(v) for v in _as_list(spec.choice_labels, _field(row, spec.choice_labels), "a list of labels")]
        if len(labels) != len(choices) or str(value) not in labels:
            raise RowProblem(f"field {spec.gold!r} is {value!r}, not one of the {len(choices)} labels {labels}")
        return labels.index(str(value))
    if isinstance(spec.choices, list) and value in spec.choices:  # e.g. answer: "B" with choices: [A, B, C, D]
        return spec.choices.index(value)
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise RowProblem(f"field {spec.gold!r} must be a 0-based choice index, got {value!r}")
    index = int(value)
    if not 0 <= index < len(choices):
        raise RowProblem(f"field {spec.gold!r} is {index}, but there are only {len(choices)} choices (0-based)")
    return index


def extract_number(text: str, marker: str | None) -> str | None:
    """The answer number in a reference or a model's output, spelled canonically ("1,000.50" -> "1000.5"), or None.

    Read by answers.final_number, as the arena reads it. A task with a marker ("####") asks for it: an output
    without the marker, or with no number right after it, is None and scores 0. Without a marker, the last number.
    Not lighteval's gsm8k_normalizer: it compares the raw strings ("18.0" != "18", "$18" unread).
    """
    if marker is not None and marker not in text:
        return None  # the arena falls back to the last number; a benchmark asks for its format
    number = final_number(text, marker)
    return None if number is None else number_text(number)


def materialize(local: LocalTask, cache_dir: Path) -> Path:
    """Write a local task's rows as a dataset directory (test.jsonl, train.jsonl) that lighteval loads.

    Content-addressed and shared by all runs, so the datasets library's own cache of it is reused too.
    """
    key = content_key("benchmark-rows-v1", local.rows, local.fewshot_rows)
    out = cache_dir / "benchmarks" / "data" / key
    if not (out / "test.jsonl").exists():
        with building(out) as scratch:
            for split, rows in (("test", local.rows), ("train", local.fewshot_rows)):
                if rows:
                    (scratch / f"{split}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return out


# ---- lighteval's built-in tasks (hub data) -------------------------------------------------------


def _builtin_task(request: str, name: str, suite: str | None, shots: int | None) -> BenchmarkTask:
    from huggingface_hub import constants

    from sft_ablate.evaluation.lighteval_compat import find_builtin_task, might_define

    # `mmlu|anatomy|0|0` names suite and task the way lighteval < 0.10 did: try `mmlu:anatomy` too.
    names = [name] + ([f"{suite}:{name}"] if suite else [])
    names = [n for n in names if might_define(n.split("@")[0])]  # `task@param=value`: lighteval metric parameters
    if not names:  # no lighteval module can define it: say so without importing lighteval
        raise ConfigError(_unknown_task_message(request, name, {}))
    if not constants.HF_HUB_OFFLINE:
        problem = hub_unreachable(constants.ENDPOINT)  # a second, before lighteval's slow import
        if problem:
            raise EnvironmentProblem(f"{_offline_message(request, name, None)}{CACHED_HINT} ({problem})")
    broken = {}
    for candidate in names:
        found = find_builtin_task(candidate.split("@")[0])
        broken.update(found.broken)
        if found.config is not None:
            break
    else:
        raise ConfigError(_unknown_task_message(request, name, broken))
    if candidate != name:
        log.info("benchmark %r read as lighteval 0.13's %r", request, f"{candidate}|{shots or 0}")
    config = found.config
    check_hub_dataset(request, candidate, config.hf_repo, config.hf_subset, config.hf_revision)
    identity = {
        "kind": "lighteval",
        "task": candidate,
        "hf_repo": config.hf_repo,
        "hf_subset": config.hf_subset,
        "hf_revision": config.hf_revision,
        "version": config.version,
        "num_fewshots": shots or 0,
    }
    return BenchmarkTask(request, candidate, shots or 0, identity, builtin_module=found.module)


def _similar_local_task(name: str) -> str | None:
    close = difflib.get_close_matches(name.replace(":", "_"), local_task_names(), n=1)
    return close[0] if close else None


def _unknown_task_message(request: str, name: str, broken: dict[str, str]) -> str:
    similar = _similar_local_task(name)
    hint = f" Did you mean the local task {similar!r}?" if similar else ""
    message = (f"eval.benchmarks: unknown task {request!r}: no {BENCHMARKS_DIR / name}.yaml and no lighteval task "
               f"{name!r}.{hint} Local tasks: {', '.join(local_task_names())}. lighteval tasks are written "
               "`task|shots`, e.g. `mmlu:anatomy|0`.")  # fmt: skip
    if broken:
        module, error = next(iter(broken.items()))
        message += f" (lighteval's module {module}, which may define it, fails to import: {error})"
    return message


def check_hub_dataset(request: str, name: str, repo: str, subset: str | None, revision: str | None,
                      endpoint: str | None = None) -> None:  # fmt: skip
    """One quick request to the hub, so that an offline run fails now, not after training."""
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    if constants.HF_HUB_OFFLINE:  # the user wants the local cache: datasets reads it offline, fast
        import datasets

        try:
            datasets.load_dataset_builder(repo, subset, revision=revision)
        except Exception as err:  # not in the cache: datasets raises several types
            why = f"HF_HUB_OFFLINE is set but the dataset is not in the local Hugging Face cache ({type(err).__name__})"
            raise EnvironmentProblem(_offline_message(request, name, repo, why)) from err
        return
    offline = _offline_message(request, name, repo) + CACHED_HINT
    try:
        HfApi(endpoint=endpoint).dataset_info(repo, revision=revision, timeout=HUB_TIMEOUT)
    except (RepositoryNotFoundError, GatedRepoError) as err:
        raise ConfigError(
            f"benchmark {request!r} reads the dataset {repo!r} from the Hugging Face Hub, which "
            f"refuses it ({type(err).__name__}): gated datasets need `hf auth login`"
        ) from err
    except HfHubHTTPError as err:
        raise EnvironmentProblem(f"{offline} (the hub answered {str(err).splitlines()[0]})") from err
    except Exception as err:  # no connection: httpx/requests/OS errors, depending on the client version
        raise EnvironmentProblem(f"{offline} ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from err


def _offline_message(request: str, name: str, repo: str | None, why: str = "the hub is not reachable") -> str:
    alternative = _similar_local_task(name) or "bundled_mc"
    data = f"data ({repo!r})" if repo else "data"
    return (f"benchmark {request!r} is a lighteval task whose {data} comes from the Hugging Face Hub, and {why}. "
            f"Offline, use a local task instead: eval.benchmarks=[{alternative}] (local tasks: "
            f"{', '.join(local_task_names())}; {BENCHMARKS_DIR} defines them), or declare your own data file as a "
            f"task in a YAML file (see {BENCHMARKS_DIR / 'arc_easy.yaml'})")  # fmt: skip
