"""Generation backends: a local transformers model, or an OpenAI-compatible chat-completions endpoint.

Both answer ``generate(conversations, sampling, on_result=None) -> list[str]``, one text per conversation,
in input order. ``on_result(index, text)`` is called as each answer is ready, so a caller can store it at
once and lose nothing when a later one fails. Synthetic data generation and the arena (its answers and
its LLM judge) use them alike; ``CachedBackend`` adds a content-addressed cache on top of either.

The HTTP backend speaks the wire protocol with httpx rather than through the official ``openai`` client.
That client fills in credentials, organization and project headers from ``OPENAI_*`` environment
variables, which would send a user's OpenAI key to whatever ``base_url`` a config names; here the only
header we add is the key read from the one variable the config names (``api_key_env``). The retry loop
is ours (small, below) so that its policy is explicit and counted in results.json.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from sft_ablate.cache import content_key
from sft_ablate.config import BackendConfig, ModelConfig, SamplingConfig
from sft_ablate.data.formats import Messages
from sft_ablate.errors import BackendError, ConfigError, EnvironmentProblem
from sft_ablate.generation.local import Sampling
from sft_ablate.io import read_json, write_json_atomic
from sft_ablate.paths import CONF_DIR

log = logging.getLogger(__name__)

OnResult = Callable[[int, str], None]
RETRY_STATUSES = {408, 409, 429} | set(range(500, 600))
BACKOFF_INITIAL = 0.5  # seconds before the first retry; doubles each retry, with jitter
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0  # a server asking us to wait longer than this gets a clear error instead


def to_sampling(cfg: SamplingConfig) -> Sampling:
    return Sampling(**asdict(cfg))


@dataclass
class CallStats:
    """What a backend did: answers generated, requests sent (HTTP: retries included; local: batches), retries."""

    calls: int = 0
    requests: int = 0
    retries: int = 0


# ---- local transformers -------------------------------------------------------------------------------------


class LocalBackend:
    """Batched, left-padded generation with a transformers model and its chat template.

    Give it a loaded ``model`` and ``tokenizer``, or a ``load`` function that returns them: then the
    weights load on the first call, so a job answered entirely from the cache never loads them.
    """

    def __init__(
        self,
        name: str,
        identity: dict[str, Any],
        batch_size: int = 8,
        model: Any = None,
        tokenizer: Any = None,
        load: Callable[[], tuple[Any, Any]] | None = None,
    ) -> None:
        assert (model is not None and tokenizer is not None) or load is not None
        self.name, self.batch_size, self.model, self.tokenizer, self._load = name, batch_size, model, tokenizer, load
        self.identity = {"kind": "local", **identity}  # what the outputs depend on: the cache key uses it
        self.stats = CallStats()

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        from sft_ablate.generation.local import generate_local

        if self.model is None:
            self.model, self.tokenizer = self._load()

        # Batches of similar length waste little on padding; on_result fires after each batch.
        order = sorted(range(len(conversations)), key=lambda i: sum(len(m["content"]) for m in conversations[i]))
        outputs: list[str] = [""] * len(conversations)
        for start in range(0, len(order), self.batch_size):
            index = order[start : start + self.batch_size]
            texts = generate_local(
                self.model,
                self.tokenizer,
                [conversations[i] for i in index],
                sampling,
                batch_size=self.batch_size,
                progress=False,
            )
            self.stats.calls += len(index)
            self.stats.requests += 1
            for i, text in zip(index, texts):
                outputs[i] = text
                if on_result:
                    on_result(i, text)
        return outputs

    def score_replies(
        self, conversations: list[Messages], replies: list[str], on_result: Callable[[int, list[float]], None] | None = None
    ) -> list[list[float]]:
        """Each reply's log-likelihood as the answer to each conversation (a judge's verdict without free text)."""
        from sft_ablate.generation.local import reply_logprobs

        if self.model is None:
            self.model, self.tokenizer = self._load()
        out: list[list[float]] = []
        for i, conversation in enumerate(conversations):
            out += reply_logprobs(self.model, self.tokenizer, [conversation], replies)
            self.stats.calls += 1
            self.stats.requests += 1
            if on_result:
                on_result(i, out[-1])
        return out

    def hit_length_limit(self, texts: list[str], sampling: Sampling) -> list[bool]:
        """Whether each answer ran to max_new_tokens instead of stopping on its own (end of turn).

        Counted by re-tokenizing the answer: an answer that stopped on its own has at most max_new_tokens - 1
        tokens before the end-of-turn token, so one of max_new_tokens - 1 or more is taken as cut off (an answer
        that stopped exactly there is rejected too: the safe side)."""
        if self.tokenizer is None:
            self.model, self.tokenizer = self._load()
        limit = sampling.max_new_tokens - 1
        return [len(self.tokenizer(text, add_special_tokens=False)["input_ids"]) >= limit for text in texts]


def local_model_config(name_or_dir: str) -> ModelConfig:
    """A conf/model option by name (tiny, smollm2_135m), or a local model directory."""
    option = CONF_DIR / "model" / f"{name_or_dir}.yaml"
    if option.exists():
        from omegaconf import OmegaConf

        node = OmegaConf.load(option)
        node.pop("defaults", None)  # a model option may pick other groups' defaults; that is for training runs
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(ModelConfig), node))
    if Path(name_or_dir).expanduser().is_dir():
        return ModelConfig(name=Path(name_or_dir).name, kind="pretrained", path=str(Path(name_or_dir).expanduser()))
    options = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
    raise ConfigError(
        f"local backend model {name_or_dir!r} is neither a model option ({', '.join(options)}) nor a local model directory"
    )


def load_local_backend(spec: BackendConfig, cache_dir: Path, tiny_texts: list[str]) -> LocalBackend:
    """A local model for generation (no LoRA, eval mode), loaded on first use. ``tiny_texts`` train the tiny
    model's tokenizer. The model directory is found (or converted, or built) now: the cache key names it."""
    from sft_ablate.training.models import base_model_dir, load_weights  # torch: only for a local model

    model_cfg = local_model_config(spec.model)
    model_dir = base_model_dir(model_cfg, cache_dir, tiny_texts)
    return LocalBackend(
        model_cfg.name,
        {"model": model_cfg.name, "dir": model_dir},
        spec.batch_size,
        load=lambda: load_weights(model_cfg, model_dir, spec.model),
    )


# ---- OpenAI-compatible HTTP ---------------------------------------------------------------------------------


class OpenAIBackend:
    """POST {base_url}/chat/completions with bounded concurrency, timeouts, and retries with backoff."""

    def __init__(self, spec: BackendConfig) -> None:
        assert spec.base_url is not None
        self.spec, self.name = spec, spec.model
        self.url = spec.base_url.rstrip("/") + "/chat/completions"
        self.identity = {"kind": "openai", "model": spec.model, "base_url": spec.base_url.rstrip("/")}
        self.stats = CallStats()
        self.finish_reasons: dict[str, str | None] = {}  # answer text -> the server's finish_reason ("length": cut off)
        self._lock = threading.Lock()
        self._key = self._read_key()
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(spec.timeout, connect=min(spec.timeout, 10.0)),
            limits=httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency),
        )

    def _read_key(self) -> str | None:
        env = self.spec.api_key_env
        if env is None:
            return None
        key = os.environ.get(env)
        if not key:
            raise EnvironmentProblem(
                f"backend {self.spec.model!r} reads its API key from the environment variable "
                f"{env}, which is not set (export {env}=...)"
            )
        return key

    def close(self) -> None:
        self._client.close()

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        outputs: list[str] = [""] * len(conversations)
        first_error: BackendError | None = None
        pool = ThreadPoolExecutor(max_workers=self.spec.concurrency, thread_name_prefix="chat")
        try:
            futures = {pool.submit(self._complete, conv, sampling): i for i, conv in enumerate(conversations)}
            # Results are handled here, in the calling thread, so on_result needs no locking.
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    outputs[futures[future]] = future.result()
                except BackendError as err:
                    if first_error is None:
                        first_error = err
                        for pending in futures:  # stop what has not started; in-flight answers are still kept
                            pending.cancel()
                    continue
                if on_result:
                    on_result(futures[future], outputs[futures[future]])
        except BaseException:  # Ctrl-C: send nothing more (requests in flight finish, unread)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        if first_error is not None:
            raise first_error
        return outputs

    def _body(self, conversation: Messages, sampling: Sampling) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": conversation,
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "seed": sampling.seed,
        }
        if sampling.top_k:
            body["top_k"] = sampling.top_k  # vLLM, TGI and llama.cpp accept it; OpenAI itself does not
        return body

    def _complete(self, conversation: Messages, sampling: Sampling) -> str:
        body = self._body(conversation, sampling)
        with self._lock:
            self.stats.calls += 1
        for attempt in range(self.spec.max_retries + 1):
            with self._lock:
                self.stats.requests += 1
                self.stats.retries += attempt > 0
            try:
                response = self._client.post(self.url, json=body)
            except httpx.TransportError as err:  # refused, reset, timed out: the server may come back
                problem, wait = f"{type(err).__name__}: {err}", None
            else:
                if response.status_code == 200:
                    text, finish_reason = _answer(response, self.url)
                    with self._lock:
                        self.finish_reasons[text] = finish_reason
                    return text
                if response.status_code not in RETRY_STATUSES:
                    raise BackendError(self._status_message(response))
                problem, wait = self._status_message(response), _retry_after(response)
                if wait is not None and wait > RETRY_AFTER_MAX:
                    raise BackendError(
                        f"{problem}; the server asks to wait {wait:.0f} s (Retry-After), longer than {RETRY_AFTER_MAX:.0f} s"
                    )
            if attempt == self.spec.max_retries:
                raise BackendError(
                    f"{self.url} (model {self.spec.model!r}) failed after {self.spec.max_retries} retries: {problem}"
                )
            if wait is None:
                wait = min(BACKOFF_INITIAL * 2**attempt, BACKOFF_MAX) * random.uniform(0.75, 1.0)
            log.info("%s: %s; retry %d/%d in %.1f s", self.spec.model, problem, attempt + 1, self.spec.max_retries, wait)
            time.sleep(wait)
        raise AssertionError("unreachable")

    def _status_message(self, response: httpx.Response) -> str:
        status, where = response.status_code, f"{self.url} (model {self.spec.model!r})"
        detail = _error_detail(response)
        if self._key:
            detail = detail.replace(self._key, "***")  # never echo the key, even if a server does
        if status == 401:
            hint = (
                f"check the key in ${self.spec.api_key_env}"
                if self.spec.api_key_env
                else "the endpoint needs a key: set api_key_env to the NAME of an environment variable holding it"
            )
            return f"401 Unauthorized from {where}: {hint}. Server said: {detail}"
        if status == 403:
            return f"403 Forbidden from {where}: this key may not use this model. Server said: {detail}"
        if status == 404:
            return (
                f"404 Not Found from {where}: is the model served there, and does base_url end where the API "
                f"starts (usually /v1)? Server said: {detail}"
            )
        return f"HTTP {status} from {where}: {detail}"


def _answer(response: httpx.Response, url: str) -> tuple[str, str | None]:
    """The answer's text and finish_reason ("stop", "length", ... or None when the server gives none)."""
    try:
        choice = response.json()["choices"][0]
        content, finish_reason = choice["message"].get("content"), choice.get("finish_reason")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
        raise BackendError(
            f"{url} answered 200 but not with a chat completion ({type(err).__name__}: {err}); "
            f"body starts: {response.text[:200]!r}"
        ) from err
    # A refusal or a tool call has no text: an empty answer, rejected downstream.
    return (content or "").strip(), finish_reason if isinstance(finish_reason, str) else None


def _error_detail(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        text = error.get("message") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        text = None
    return str(text or response.text or response.reason_phrase)[:300]


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


# ---- the cache and the factory ------------------------------------------------------------------------------


class CachedBackend:
    """Serves each (backend identity, conversation, sampling) from a content-addressed cache before asking.

    Every answer is written (atomically, one small file each) the moment it arrives, so an interrupted
    job keeps all it finished, and a rerun of the same work makes no backend call at all.
    """

    def __init__(self, backend: LocalBackend | OpenAIBackend, cache_dir: Path) -> None:
        self.backend, self.name, self.identity = backend, backend.name, backend.identity
        self.dir = cache_dir / "generations"
        self.calls = 0  # answers asked of the backend through this wrapper (one role)
        self.cache_hits = 0  # answers served from the cache instead
        self.finish_reasons: dict[str, str | None] = {}  # answer text -> finish_reason, for HTTP answers

    def key(self, conversation: Messages, sampling: Sampling) -> str:
        return content_key("generation-v1", self.identity, conversation, asdict(sampling))

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def generate(self, conversations: list[Messages], sampling: Sampling, on_result: OnResult | None = None) -> list[str]:
        keys = [self.key(conv, sampling) for conv in conversations]
        outputs: dict[str, str] = {}
        for key in dict.fromkeys(keys):  # each distinct conversation once
            path = self._path(key)
            if path.exists():
                entry = read_json(path)
                outputs[key] = entry["text"]
                self.finish_reasons[entry["text"]] = entry.get("finish_reason")
        self.cache_hits += sum(1 for key in keys if key in outputs)
        missing = [key for key in dict.fromkeys(keys) if key not in outputs]
        self.calls += len(missing)
        todo = [conversations[keys.index(key)] for key in missing]

        def store(i: int, text: str) -> None:
            finish_reason = getattr(self.backend, "finish_reasons", {}).get(text)
            self.finish_reasons[text] = finish_reason
            entry = {"text": text, "finish_reason": finish_reason, "backend": self.identity, "sampling": asdict(sampling)}
            write_json_atomic(self._path(missing[i]), entry)
            outputs[missing[i]] = text
            if on_result:
                for j, key in enumerate(keys):
                    if key == missing[i]:
                        on_result(j, text)

        if todo:
            self.backend.generate(todo, sampling, store)
        return [outputs[key] for key in keys]

    def hit_length_limit(self, texts: list[str], sampling: Sampling) -> list[bool | None]:
        """Whether each answer was cut off by max_new_tokens: counted for a local model, the server's
        finish_reason ("length") for HTTP; None where a server gave none."""
        if isinstance(self.backend, LocalBackend):
            return self.backend.hit_length_limit(texts, sampling)
        reasons = [self.finish_reasons.get(text) for text in texts]
        return [None if reason is None else reason == "length" for reason in reasons]


def make_backend(
    spec: BackendConfig, cache_dir: Path, tiny_texts: list[str] | None = None, loaded: dict[str, LocalBackend] | None = None
) -> CachedBackend:
    """The backend a spec names, cached. ``loaded`` shares one copy of a local model between roles."""
    if spec.kind == "openai":
        return CachedBackend(OpenAIBackend(spec), cache_dir)
    loaded = {} if loaded is None else loaded
    if spec.model not in loaded:
        loaded[spec.model] = load_local_backend(spec, cache_dir, tiny_texts or [])
    return CachedBackend(loaded[spec.model], cache_dir)
