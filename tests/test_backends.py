"""The OpenAI-compatible HTTP backend against a real chat-completions server on 127.0.0.1, and the cache."""

from __future__ import annotations

import pytest

from sft_ablate.config import BackendConfig
from sft_ablate.errors import BackendError, ConfigError, EnvironmentProblem
from sft_ablate.generation.backends import CachedBackend, OpenAIBackend
from sft_ablate.generation.local import Sampling
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
        with pytest.raises(BackendError, match="ConnectError"):
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
    assert fresh.hit_length_limit(answers, GREEDY) == [False, True, False, True]
    assert fresh.hit_length_limit(["an answer from elsewhere"], GREEDY) == [None]  # unknown, not guessed
