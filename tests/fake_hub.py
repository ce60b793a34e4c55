"""A stand-in for the Hugging Face Hub on 127.0.0.1, serving dataset repos from local folders.

Only the endpoints that huggingface_hub and datasets use to load a dataset: file resolution (HEAD and
GET), repo info, tree listing and paths-info. Enough to run a hub task through the real clients with
HF_ENDPOINT pointing here, where the real hub cannot be reached.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import urllib.parse
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self, repos: dict[str, Path]) -> None:
        self.repos = repos  # "lighteval/mmlu" -> folder with README.md and data files
        self.requests: list[str] = []
        handler = type("Handler", (_Handler,), {"hub": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeHub:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def files(self, repo: str) -> list[Path]:
        root = self.repos[repo]
        return sorted(p for p in root.rglob("*") if p.is_file())


class _Handler(http.server.BaseHTTPRequestHandler):
    hub: FakeHub

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._route(send_body=False)

    def do_GET(self) -> None:
        self._route(send_body=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        self._route(
            send_body=True, form=urllib.parse.parse_qs(body) if body and not body.startswith("{") else json.loads(body or "{}")
        )

    def _route(self, send_body: bool, form: dict | None = None) -> None:
        self.hub.requests.append(f"{self.command} {self.path}")
        url = urllib.parse.urlparse(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        if len(parts) >= 5 and parts[0] == "datasets" and parts[3] == "resolve":
            return self._file("/".join(parts[1:3]), "/".join(parts[5:]), send_body)
        if len(parts) >= 3 and parts[:1] == ["api"] and parts[1] == "datasets":
            repo, rest = "/".join(parts[2:4]), parts[4:]
            if repo not in self.hub.repos:
                return self._json({"error": "Repository not found"}, 404, {"X-Error-Code": "RepoNotFound"})
            if not rest or rest[0] == "revision":
                return self._json(self._info(repo))
            if rest[0] == "tree":
                return self._json(self._tree(repo, "/".join(rest[2:]), "recursive=true" in (url.query or "").lower()))
            if rest[0] == "paths-info":
                paths = (form or {}).get("paths", [])
                return self._json([e for e in self._tree(repo, "", True) if e["path"] in paths])
        self._json({"error": "not found"}, 404, {"X-Error-Code": "EntryNotFound"})

    def _info(self, repo: str) -> dict:
        root = self.hub.repos[repo]
        return {"id": repo, "sha": COMMIT, "private": False, "gated": False, "disabled": False, "tags": [],
                "lastModified": "2024-01-01T00:00:00.000Z",
                "siblings": [{"rfilename": p.relative_to(root).as_posix()} for p in self.hub.files(repo)]}  # fmt: skip

    def _tree(self, repo: str, under: str, recursive: bool) -> list[dict]:
        root = self.hub.repos[repo]
        entries, dirs = [], set()
        for path in self.hub.files(repo):
            rel = path.relative_to(root).as_posix()
            if under and not rel.startswith(under.rstrip("/") + "/"):
                continue
            depth_ok = recursive or rel.count("/") == (under.count("/") + 1 if under else 0)
            parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
            if (
                parent
                and parent != under.rstrip("/")
                and parent not in dirs
                and (recursive or parent.count("/") == (under.count("/") + 1 if under else 0))
            ):
                dirs.add(parent)
                entries.append({"type": "directory", "oid": hashlib.sha1(parent.encode()).hexdigest(), "size": 0, "path": parent})
            if depth_ok:
                data = path.read_bytes()
                entries.append({"type": "file", "oid": hashlib.sha1(data).hexdigest(), "size": len(data), "path": rel})
        return entries

    def _file(self, repo: str, rel: str, send_body: bool) -> None:
        path = self.hub.repos.get(repo, Path("/nonexistent")) / rel
        if not path.is_file():
            return self._json({"error": "Entry not found"}, 404, {"X-Error-Code": "EntryNotFound"}, send_body)
        data = path.read_bytes()
        self.send_response(200)
        for key, value in {"Content-Length": str(len(data)), "Content-Type": "application/octet-stream",
                           "X-Repo-Commit": COMMIT, "ETag": f'"{hashlib.sha1(data).hexdigest()}"'}.items():  # fmt: skip
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _json(self, payload, status: int = 200, headers: dict | None = None, send_body: bool = True) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body and self.command != "HEAD":
            self.wfile.write(body)
