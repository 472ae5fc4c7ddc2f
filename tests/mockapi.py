"""Start the project's mock API server (``tests/mock-api``) from Python tests.

    with MockApi(latency_ms=5, fail_rate=0.1) as api:
        ...  # point the code under test at api.url
        assert api.stats()["max_in_flight"] <= 64

Keyword arguments become the binary's flags (``latency_ms=5`` -> ``--latency-ms 5``;
``None`` leaves a flag out). The binary is ``$MOCK_API_BIN``, else the release build,
else the debug build under ``<repo>/target``. Standard library only.
"""

from __future__ import annotations

import json
import os
import select
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECS = 20.0
STOP_TIMEOUT_SECS = 5.0

# The server is on 127.0.0.1: never send its traffic through an http_proxy from the
# environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def find_binary() -> Path:
    """The mock-api binary to run, or FileNotFoundError saying how to build one."""
    from_env = os.environ.get("MOCK_API_BIN")
    if from_env:
        return Path(from_env)
    for profile in ("release", "debug"):
        candidate = REPO / "target" / profile / "mock-api"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        "no mock-api binary: run `cargo build --release -p mock-api` or set MOCK_API_BIN"
    )


def flag_args(flags: dict[str, Any]) -> list[str]:
    """``{"latency_ms": 5}`` -> ``["--latency-ms", "5"]``."""
    args: list[str] = []
    for name, value in flags.items():
        if value is None:
            continue
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


class MockApi:
    """A running mock-api process on 127.0.0.1; stopped by ``close()`` or ``with``."""

    def __init__(self, binary: str | os.PathLike[str] | None = None, **flags: Any) -> None:
        command = [str(binary or find_binary()), "--port", "0", *flag_args(flags)]
        # stderr is inherited so the server's complaints show up in the test output.
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        # With tls=True the server prints `CA <path>` (its self-signed certificate) first.
        self.ca_pem_path: str | None = None
        try:
            self.port = self._wait_for_port()
        except BaseException:
            self.close()
            raise
        scheme = "https" if self.ca_pem_path else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._opener = _OPENER
        if self.ca_pem_path:
            trusted = ssl.create_default_context(cafile=self.ca_pem_path)
            self._opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=trusted)
            )

    def _wait_for_port(self) -> int:
        """Reads stdout until the ``LISTENING <port>`` line, within the startup timeout.

        Reads the raw pipe (not a buffered file) so that a line that arrived with
        an earlier one is never left waiting in a buffer that select() cannot see."""
        stdout = self._process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        pending = b""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECS
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                code = self._process.wait()
                raise RuntimeError(f"mock-api exited with status {code} before listening")
            pending += chunk
            while b"\n" in pending:
                raw, pending = pending.split(b"\n", 1)
                line = raw.decode("utf-8", errors="replace").strip()
                if line.startswith("CA "):
                    self.ca_pem_path = line[3:].strip()
                if line.startswith("LISTENING "):
                    return int(line.split()[1])
        raise TimeoutError(f"mock-api did not print LISTENING within {STARTUP_TIMEOUT_SECS}s")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """(status, body parsed as JSON, or text when it is not JSON) of one request."""
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", errors="replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def get_json(self, path: str) -> Any:
        """GET ``path``, which must answer 200, as parsed JSON."""
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: status {status}: {body}")
        return body

    def stats(self) -> dict[str, Any]:
        """What the server saw (``GET /stats``): total, by_status, by_path, in_flight,
        max_in_flight, max_per_second, max_per_second_sliding, batch_keys, tokens_issued."""
        return self.get_json("/stats")

    def reset(self) -> None:
        """Zeroes the stats and the retry endpoints' attempt counts."""
        status, body = self.request("POST", "/stats/reset", body=b"")
        if status != 200:
            raise RuntimeError(f"POST /stats/reset: status {status}: {body}")

    def events_all(self) -> list[dict[str, Any]]:
        """Every event the feed has produced so far, oldest first."""
        return self.get_json("/events/all")["events"]

    def close(self) -> None:
        """Stops the server: SIGTERM, then SIGKILL if it does not exit in time."""
        process = self._process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> MockApi:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
