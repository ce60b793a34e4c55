"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for tests of the HTTP backend.

It speaks the wire protocol (POST /v1/chat/completions, JSON in and out, HTTP status codes and
Retry-After), counts requests, tracks how many are in flight at once, and plays scripted behaviours:
canned error responses first, a fixed status for everything, a delay per request, or going away (closing
its socket) after a number of answers. What it answers comes from ``responder(request_body) -> text``;
``scripted_model`` plays a teacher model for synthetic-data runs, deterministically.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Responder = Callable[[dict[str, Any]], "str | tuple[str, str]"]  # text, or (text, finish_reason)

_WORDS = [
    "apple",
    "river",
    "quantum",
    "violin",
    "glacier",
    "lantern",
    "copper",
    "meadow",
    "falcon",
    "orbit",
    "pepper",
    "canyon",
    "harbor",
    "velvet",
    "thunder",
    "cactus",
    "marble",
    "saddle",
    "pixel",
    "tundra",
    "walnut",
    "beacon",
    "crystal",
    "dune",
    "ember",
    "fjord",
    "garnet",
    "hollow",
    "ivory",
    "jasmine",
    "kelp",
    "lagoon",
    "magnet",
    "nectar",
    "oasis",
    "prairie",
    "quartz",
    "reef",
    "summit",
    "timber",
    "umbrella",
    "valley",
    "willow",
    "yarrow",
    "zephyr",
    "anchor",
    "bramble",
    "cobalt",
    "dahlia",
    "estuary",
    "fennel",
    "granite",
    "heron",
    "indigo",
    "juniper",
    "kestrel",
    "lichen",
    "mango",
]
_VERBS = ("Explain", "Describe", "Summarize", "Compare", "List", "Define", "Outline", "Contrast")


def _pick(seed: str, n: int) -> list[str]:
    digest = hashlib.sha256(seed.encode()).digest()
    return [_WORDS[b % len(_WORDS)] for b in digest[:n]]


def scripted_model(body: dict[str, Any]) -> str:
    """Tasks for self-instruct prompts, a JSON verdict for judge prompts, a question for follow-up prompts,
    and an answer (naming the model and the sampling seed) for anything else."""
    prompt = body["messages"][-1]["content"]
    if "Here are some example tasks" in prompt:
        first, last = map(int, re.search(r"numbered (\d+) to (\d+)", prompt).groups())
        lines = []
        for n in range(first, last + 1):
            w = _pick(f"{prompt}|{n}|{body.get('seed')}", 7)
            verb = _VERBS[hashlib.sha256(f"{prompt}{n}".encode()).digest()[0] % len(_VERBS)]
            lines.append(f"{n}. {verb} how {w[0]} {w[1]} relates to {w[2]} {w[3]} near {w[4]} {w[5]} {w[6]}.")
        return "Sure, here they are:\n" + "\n".join(lines)
    if prompt.startswith("Score the answer"):  # the rubric judge; scores vary with the answer, so selection has something to do
        h = hashlib.sha256(prompt.encode()).digest()
        return (
            f'{{"helpfulness": {2 + h[0] % 4}, "factuality": {3 + h[1] % 3}, "format": {3 + h[2] % 3}, '
            f'"reason": "Clear and on topic."}}'
        )
    if "Write the next message the user would send" in prompt:
        return f"And what about {_pick(prompt, 1)[0]} in winter?"
    return f"Answer from {body.get('model')} (seed {body.get('seed')}): {' '.join(_pick(prompt, 12))}."


class ChatServer:
    """Start with ``with ChatServer(...) as server:``; ``server.base_url`` is its /v1 URL."""

    def __init__(
        self,
        responder: Responder = scripted_model,
        *,
        delay: float = 0.0,
        script: list[tuple[int, dict[str, str]]] | None = None,
        status: int | None = None,
        stop_after: int | None = None,
        echo_auth: bool = False,
        port: int = 0,
    ) -> None:
        self.responder, self.delay, self.status, self.stop_after = responder, delay, status, stop_after
        self.echo_auth = echo_auth  # error messages quote the Authorization header, as a careless server might
        self.script = list(script or [])  # (status, headers) answered, in order, before anything else
        self.requests = 0  # every request received
        self.answered: list[dict[str, Any]] = []  # bodies answered with 200
        self.request_times: list[float] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.gone = False
        self._lock = threading.Lock()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"  # also after stop(): a client may still try it

    def __enter__(self) -> ChatServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                server._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self.port = self._httpd.server_address[1]
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Go away: stop accepting and close the listening socket (new connections are refused)."""
        if self._httpd is not None:
            httpd, self._httpd = self._httpd, None
            httpd.shutdown()
            httpd.server_close()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", 0))) or b"{}")
        with self._lock:
            if self.gone:  # going away: hang up without an answer
                handler.close_connection = True
                return
            self.requests += 1
            self.request_times.append(time.monotonic())
            self.headers.append(dict(handler.headers))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            scripted = self.script.pop(0) if self.script else None
        try:
            if self.delay:
                time.sleep(self.delay)
            status, payload, headers = self._reply(handler.path, body, scripted)
            if status != 200 and self.echo_auth:
                payload["error"]["message"] += f" (you sent: {handler.headers.get('Authorization')})"
        finally:
            # Out of flight before the response goes out: once the client has it, it may send the next request.
            with self._lock:
                self.in_flight -= 1
        with self._lock:
            if status == 200:
                self.answered.append(body)
            # Decided before the answer goes out, so no request that follows it gets answered.
            self.gone = self.gone or (self.stop_after is not None and len(self.answered) >= self.stop_after)
        self._send(handler, status, payload, headers)
        if self.gone:
            threading.Thread(target=self.stop, daemon=True).start()

    def _reply(self, path: str, body: dict, scripted: tuple[int, dict[str, str]] | None) -> tuple[int, dict, dict]:
        if path != "/v1/chat/completions":
            return 404, {"error": {"message": f"no route {path}"}}, {}
        if scripted is not None:
            status, headers = scripted
            return status, {"error": {"message": f"scripted {status}"}}, headers
        if self.status is not None:
            return self.status, {"error": {"message": f"status {self.status} for all"}}, {}
        text = self.responder(body)
        # A responder may say why the answer ended, as (text, finish_reason): "length" when it was cut off.
        text, finish_reason = text if isinstance(text, tuple) else (text, "stop")
        return (
            200,
            {
                "id": f"chatcmpl-{self.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish_reason}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
            {},
        )

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)
