"""The OpenAI-compatible HTTP backend against a real chat-completions server on 127.0.0.1, the cache, the
registry of backend kinds, and the model options a local backend names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import initialize_config_dir
from hydra.core.config_store import ConfigStore
from hydra.core.global_hydra import GlobalHydra

from sft_ablate.errors import BackendError, ConfigError, EnvironmentProblem
from sft_ablate.generation.backends import BACKENDS, Backend, CachedBackend, CallStats, OpenAIBackend, make_backend
from sft_ablate.generation.local import Sampling
from sft_ablate.generation.local_backend import local_model_config
from sft_ablate.generation.schema import BackendConfig
from sft_ablate.options import compose_option
from sft_ablate.paths import SYNTH_CONF_DIR
from sft_ablate.training.schema import ModelConfig
from tests.chat_server import ChatServer

GREEDY = Sampling(max_new_tokens=16)


def backend(server: ChatServer, **overrides) -> OpenAIBackend:
    spec = {"kind": "openai", "model": "teacher", "base_url": server.base_url, "max_retries": 2, "timeout": 10.0, **overrides}
    return OpenAIBackend(BackendConfig(**spec))


def questions(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"Question number {i}?"}] for i in range(n)]


def test_answers_come_back_in_order_and_concurrency_stays_within_the_bound():
    with ChatServer(lambda body: "echo: " + body["messages"][-1]["content"], delay=0.2) as server:
        answers = backend(server, concurrency=3).generate(questions(15), GREEDY)
    assert answers == [f"echo: Question number {i}?" for i in range(15)]
    assert server.requests == 15
    assert server.max_in_flight <= 3  # never more than the bound...
    assert server.max_in_flight >= 2  # ...and requests do overlap (3 unless the machine is very busy)


def test_request_carries_the_sampling_settings():
    with ChatServer() as server:
        backend(server).generate(questions(1), Sampling(max_new_tokens=7, temperature=0.7, top_p=0.9, top_k=20, seed=3))
        backend(server).generate(questions(1), Sampling(max_new_tokens=7))
    first, second = server.answered
    assert {k: first[k] for k in ("model", "max_tokens", "temperature", "top_p", "top_k", "seed")} == {
        "model": "teacher",
        "max_tokens": 7,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 20,
        "seed": 3,
    }
    assert "top_k" not in second  # off: not sent, since OpenAI itself rejects it


def test_429_then_200_succeeds_after_waiting_as_retry_after_says():
    with ChatServer(script=[(429, {"Retry-After": "1"})]) as server:
        chat = backend(server)
        assert chat.generate(questions(1), GREEDY)[0].startswith("Answer")
    assert server.requests == 2 and chat.stats.retries == 1
    assert server.request_times[1] - server.request_times[0] >= 0.95  # Retry-After: 1, not the 0.5 s default


def test_5xx_is_retried_with_backoff_until_the_budget_is_spent():
    with ChatServer(script=[(503, {}), (500, {})]) as server:
        assert backend(server, max_retries=2).generate(questions(1), GREEDY)[0]
        assert server.requests == 3
    with ChatServer(status=502) as server:
        with pytest.raises(BackendError, match=r"failed after 1 retries: HTTP 502 from http://127\.0\.0\.1"):
            backend(server, max_retries=1).generate(questions(1), GREEDY)
        assert server.requests == 2


def test_401_fails_at_once_with_a_clear_message_and_never_shows_the_key(monkeypatch):
    monkeypatch.setenv("SYNTH_TEST_KEY", "sk-secret-123")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak")

    with ChatServer(status=401, echo_auth=True) as server:
        with pytest.raises(BackendError) as err:
            backend(server, api_key_env="SYNTH_TEST_KEY").generate(questions(1), GREEDY)
        assert server.requests == 1  # no retry can fix a bad key
    message = str(err.value)
    assert "401 Unauthorized" in message and "$SYNTH_TEST_KEY" in message
    assert "sk-secret" not in message and "(you sent: Bearer ***)" in message  # the server echoed it; we do not
    assert server.headers[0]["Authorization"] == "Bearer sk-secret-123"


def test_no_key_is_sent_unless_a_variable_is_named(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak")
    with ChatServer() as server:
        backend(server).generate(questions(1), GREEDY)
    assert "Authorization" not in server.headers[0]


def test_404_names_the_model_and_the_url():
    with ChatServer(status=404) as server:
        with pytest.raises(BackendError, match=r"404 Not Found from .*/v1/chat/completions \(model 'teacher'\)"):
            backend(server).generate(questions(1), GREEDY)
        assert server.requests == 1


def test_a_key_variable_that_is_not_set_or_a_key_in_its_place_fail_before_any_request(monkeypatch):
    monkeypatch.delenv("SYNTH_MISSING_KEY", raising=False)
    with ChatServer() as server:
        with pytest.raises(EnvironmentProblem, match="SYNTH_MISSING_KEY, which is not set"):
            backend(server, api_key_env="SYNTH_MISSING_KEY")
        with pytest.raises(ConfigError, match="not the key itself") as err:
            backend(server, api_key_env="sk-proj-abc123")
        assert "abc123" not in str(err.value)
        with pytest.raises(ConfigError, match="an http\\(s\\) URL"):
            backend(server, base_url="127.0.0.1:8000/v1")
        assert server.requests == 0


def test_a_server_that_is_gone_ends_with_a_clear_error_after_the_retries():
    with ChatServer() as server:
        chat = backend(server, max_retries=1)
    with pytest.raises(BackendError, match=r"failed after 1 retries: ConnectError"):
        chat.generate(questions(1), GREEDY)


def test_cache_answers_a_repeat_without_a_request_and_keeps_what_finished_before_a_failure(tmp_path):
    with ChatServer(stop_after=5) as server:
        cached = CachedBackend(backend(server, concurrency=1, max_retries=1), tmp_path)
        # The server goes away after its 5th answer: the next request finds it gone (ConnectError) or, when it came
        # in while the server was shutting down, is reset (ReadError).
        with pytest.raises(BackendError, match="ConnectError|ReadError|RemoteProtocolError"):
            cached.generate(questions(8), GREEDY)
    assert len(server.answered) == 5 and len(list(tmp_path.rglob("*.json"))) == 5  # each answer stored on arrival
    with ChatServer(port=server.port) as again:
        answers = CachedBackend(backend(again), tmp_path).generate(questions(8), GREEDY)
        assert again.requests == 3  # only the three never answered
        assert CachedBackend(backend(again), tmp_path).generate(questions(8), GREEDY) == answers
        assert again.requests == 3  # a repeat: zero requests


def test_an_http_answer_cut_off_by_max_tokens_is_known_by_its_finish_reason_also_from_the_cache(tmp_path):
    def cut_odd_ones(body):
        number = int(body["messages"][-1]["content"].split()[-1].rstrip("?"))
        return (f"A long answer to {number} that", "length") if number % 2 else (f"Answer {number}.", "stop")

    with ChatServer(cut_odd_ones) as server:
        answers = CachedBackend(backend(server), tmp_path).generate(questions(4), GREEDY)
        fresh = CachedBackend(backend(server), tmp_path)  # a later run: every answer from the cache
        assert fresh.generate(questions(4), GREEDY) == answers and server.requests == 4
    assert fresh.hit_length_limit(questions(4), answers, GREEDY) == [False, True, False, True]
    elsewhere = [[{"role": "user", "content": "Never asked?"}]]
    assert fresh.hit_length_limit(elsewhere, ["an answer from elsewhere"], GREEDY) == [None]  # unknown, not guessed


def test_equal_answers_to_different_prompts_keep_their_own_finish_reasons(tmp_path):
    def same_text_cut_odd_ones(body):
        number = int(body["messages"][-1]["content"].split()[-1].rstrip("?"))
        return ("The same answer", "length" if number % 2 else "stop")

    with ChatServer(same_text_cut_odd_ones) as server:
        first = CachedBackend(backend(server, concurrency=2), tmp_path)
        answers = first.generate(questions(4), GREEDY)
        fresh = CachedBackend(backend(server), tmp_path)  # a later run: every answer from the cache
        assert fresh.generate(questions(4), GREEDY) == answers == ["The same answer"] * 4
    for run in (first, fresh):
        assert run.hit_length_limit(questions(4), answers, GREEDY) == [False, True, False, True]


# ---- the registry of kinds -------------------------------------------------------------------------------------


@BACKENDS.register("shout")
class ShoutBackend:
    """A backend kind from outside the package: answers the last user turn in capitals, cut off past max_new_tokens."""

    def __init__(self, spec: BackendConfig) -> None:
        self.name, self.identity, self.stats = spec.model, {"kind": "shout", "model": spec.model}, CallStats()
        self.finish_reasons: list[str | None] = []

    @classmethod
    def check(cls, spec: BackendConfig) -> None:
        if spec.base_url is not None:
            raise ConfigError("kind=shout takes no base_url")

    @classmethod
    def from_spec(cls, spec: BackendConfig, cache_dir: Path, tiny_texts: list[str], loaded: dict[str, Backend]) -> Backend:
        return cls(spec)

    def generate(self, conversations, sampling, on_result=None):
        texts = [c[-1]["content"].upper() for c in conversations]
        self.finish_reasons = ["length" if len(t) > sampling.max_new_tokens else "stop" for t in texts]
        self.stats.calls += len(texts)
        for i, text in enumerate(texts):
            if on_result:
                on_result(i, text)
        return texts

    def hit_length_limit(self, texts, finish_reasons, sampling):
        return [reason == "length" for reason in finish_reasons]


def test_a_registered_kind_is_what_make_backend_opens_and_its_own_check_runs(tmp_path):
    shout = make_backend(BackendConfig(kind="shout", model="loud"), tmp_path)
    assert isinstance(shout, ShoutBackend)
    cached = CachedBackend(shout, tmp_path)
    asked = [[{"role": "user", "content": "hi"}], [{"role": "user", "content": "a question longer than 16"}]]
    assert cached.generate(asked, GREEDY) == ["HI", "A QUESTION LONGER THAN 16"]
    again = CachedBackend(make_backend(BackendConfig(kind="shout", model="loud"), tmp_path), tmp_path)
    assert again.generate(asked, GREEDY) == ["HI", "A QUESTION LONGER THAN 16"] and again.cache_hits == 2
    assert again.calls == 0 and again.hit_length_limit(asked, ["HI", "..."], GREEDY) == [False, True]  # cached reasons
    with pytest.raises(ConfigError, match="kind=shout takes no base_url"):
        BackendConfig(kind="shout", model="loud", base_url="http://127.0.0.1:1/v1")


def test_an_unknown_kind_is_an_error_that_lists_the_registered_ones():
    with pytest.raises(ConfigError, match=r"unknown generation backend 'vllm' \(registered: local, openai"):
        BackendConfig(kind="vllm", model="m")
    with pytest.raises(ConfigError, match="kind=openai needs base_url"):
        BackendConfig(kind="openai", model="m")


# ---- the model a local backend names -----------------------------------------------------------------------------


def test_a_model_option_is_composed_as_the_app_composes_it_and_a_wrong_name_lists_the_options(tmp_path):
    tiny = local_model_config("tiny")  # its defaults override other groups: read alone, the file would not compose
    assert tiny.kind == "tiny" and tiny.tiny is not None and tiny.tiny.hidden_size == 128
    assert local_model_config(str(tmp_path)).path == str(tmp_path)  # a model directory
    with pytest.raises(ConfigError, match=r"neither a model option \(.*smollm2_135m.*tiny\) nor a local model directory"):
        local_model_config("tiny_typo")


def test_a_yaml_file_is_composed_as_an_option_of_the_group_with_its_schema_and_checks(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("name: mine\nkind: tiny\ntiny: {hidden_size: 64}\n")
    assert compose_option("model", mine, ModelConfig).tiny.hidden_size == 64
    mine.write_text("name: mine\nkind: tiny\nhidden: 64\n")
    with pytest.raises(ConfigError, match=rf"In '{mine}'.*Key 'hidden' not in 'ModelConfig'"):
        compose_option("model", mine, ModelConfig)
    assert not ConfigStore.instance().repo.get("model")  # the file was an option while composed, not after


def test_composing_a_model_option_inside_a_running_hydra_app_leaves_the_app_as_it_was():
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(SYNTH_CONF_DIR)):  # as in `python -m sft_ablate.synth synth=tiny`
        app = GlobalHydra.instance().hydra
        assert local_model_config("tiny").name == "tiny"
        assert GlobalHydra.instance().hydra is app
