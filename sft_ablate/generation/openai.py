"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM, TGI, llama.cpp server).

It speaks the wire protocol with httpx rather than through the official ``openai`` client. That client fills in
credentials, organization and project headers from ``OPENAI_*`` environment variables, which would send a
user's OpenAI key to whatever ``base_url`` a config names; here the only header we add is the key read from
the one variable the config names (``api_key_env``). The retry loop is ours (small, below) so that its policy
is explicit and counted in results.json.
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import httpx

from sft_ablate.data.formats import Messages
from sft_ablate.errors import BackendError, ConfigError, EnvironmentProblem
from sft_ablate.generation.base import Backend, CallStats, OnResult
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.schema import BACKENDS, BackendConfig

log = logging.getLogger(__name__)

RETRY_STATUSES = {408, 409, 429} | set(range(500, 600))
BACKOFF_INITIAL = 0.5  # seconds before the first retry; doubles each retry, with jitter
BACKOFF_MAX = 30.0
RETRY_AFTER_MAX = 120.0  # a server asking us to wait longer than this gets a clear error instead


@BACKENDS.register("openai")
class OpenAIBackend:
    """POST {base_url}/chat/completions with bounded concurrency, timeouts, and retries with backoff."""

    def __init__(self, spec: BackendConfig) -> None:
        assert spec.base_url is not None
        self.spec, self.name = spec, spec.model
        self.url = spec.base_url.rstrip("/") + "/chat/completions"
        self.identity = {"kind": "openai", "model": spec.model, "base_url": spec.base_url.rstrip("/")}
        self.stats = CallStats()
        # The server's finish_reason ("length": cut off) of each answer of the last generate call, by position:
        # two prompts can get the same text, ended for different reasons. Set before on_result fires for it.
        self.finish_reasons: list[str | None] = []
        self._lock = threading.Lock()
        self._key = self._read_key()
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(spec.timeout, connect=min(spec.timeout, 10.0)),
            limits=httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency),
        )

    @classmethod
    def check(cls, spec: BackendConfig) -> None:
        if not (spec.base_url or "").startswith(("http://", "https://")):
            raise ConfigError(
                f"backend {spec.model!r}: kind=openai needs base_url, an http(s) URL such as "
                f"https://api.openai.com/v1 (got {spec.base_url!r})"
            )

    @classmethod
    def from_spec(cls, spec: BackendConfig, cache_dir: Path, tiny_texts: list[str], loaded: dict[str, Backend]) -> Backend:
        return cls(spec)  # a client per role: each spec has its own concurrency, timeout and retries

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
        self.finish_reasons = [None] * len(conversations)
        first_error: BackendError | None = None
        pool = ThreadPoolExecutor(max_workers=self.spec.concurrency, thread_name_prefix="chat")
        try:
            futures = {pool.submit(self._complete, conv, sampling): i for i, conv in enumerate(conversations)}
            # Results are handled here, in the calling thread, so on_result needs no locking.
            for future in as_completed(futures):
                if future.cancelled():
                    continue
                try:
                    outputs[futures[future]], self.finish_reasons[futures[future]] = future.result()
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

    def hit_length_limit(self, texts: list[str], finish_reasons: list[str | None], sampling: Sampling) -> list[bool | None]:
        """The server's word: finish_reason "length" is cut off; None where it gave no finish_reason."""
        return [None if reason is None else reason == "length" for reason in finish_reasons]

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

    def _complete(self, conversation: Messages, sampling: Sampling) -> tuple[str, str | None]:
        """The answer's text and the server's finish_reason."""
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
                    return _answer(response, self.url)
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
