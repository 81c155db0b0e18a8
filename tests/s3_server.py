"""A local S3-compatible server for the tests (moto in server mode on 127.0.0.1), and a small reverse
proxy in front of it that records every request and answers a chosen share of them with HTTP 503, so
that retries are tested against real HTTP, not mocks of the client library."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

AWS_ENV = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
_UNAVAILABLE = b"<Error><Code>ServiceUnavailable</Code><Message>injected by the test</Message></Error>"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for the servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def aws_environment(endpoint: str) -> Iterator[None]:
    """The AWS variables pointing every client (s3fs, boto3, Dagster's) at ``endpoint``; restored after."""
    saved = {key: os.environ.get(key) for key in AWS_ENV}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                      AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto S3 server on a free port; yields its endpoint."""
    port = free_port()
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or "moto_server"
    process = subprocess.Popen([server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    byte_range: str
    status: int


@dataclass
class FaultyProxy:
    """Forwards every request to ``upstream``; ``fail(method, path, range, seen_before)`` says which to
    answer with 503 instead (``seen_before``: whether the same method, path and range came before)."""

    upstream: str
    fail: Callable[[str, str, str, bool], bool] = lambda *_: False
    log: list[Request] = field(default_factory=list)
    endpoint: str = ""

    def answered(self, method: str, status: int) -> list[Request]:
        return [r for r in self.log if r.method == method and r.status == status]


def _handler(proxy: FaultyProxy, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    host, port = proxy.upstream.removeprefix("http://").split(":")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # answers botocore's "Expect: 100-continue" before a PUT body

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            byte_range = self.headers.get("Range", "")
            with lock:
                seen = any((r.method, r.path, r.byte_range) == (self.command, self.path, byte_range)
                           for r in proxy.log)  # fmt: skip
                failing = proxy.fail(self.command, self.path, byte_range, seen)
            if failing:
                status, headers, payload = 503, [("Content-Type", "application/xml")], _UNAVAILABLE
            else:
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
                forwarded = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
                connection.request(self.command, self.path, body=body, headers=forwarded)
                response = connection.getresponse()
                status, headers, payload = response.status, response.getheaders(), response.read()
                connection.close()
            with lock:
                proxy.log.append(Request(self.command, self.path, byte_range, status))
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            upstream_length = dict((k.lower(), v) for k, v in headers).get("content-length")
            length = upstream_length if self.command == "HEAD" and upstream_length else str(len(payload))
            self.send_header("Content-Length", length)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    return Handler


@contextmanager
def faulty_proxy(upstream: str) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy, threading.Lock()))
    proxy.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server for the module, with the AWS environment pointing at it."""
    with moto_server() as endpoint, aws_environment(endpoint):
        yield endpoint


@pytest.fixture(scope="module")
def s3_proxy() -> Iterator[FaultyProxy]:
    """A moto S3 server behind a ``FaultyProxy`` (failing nothing until a test sets ``fail``), with the
    AWS environment pointing at the proxy."""
    with moto_server() as endpoint, faulty_proxy(endpoint) as proxy, aws_environment(proxy.endpoint):
        yield proxy
