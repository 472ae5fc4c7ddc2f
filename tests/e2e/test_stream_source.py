"""Streaming reads of the mock API's event feed with ``spark.readStream.format("rest")``:
every offset type survives a kill -9 of the driver and a restart from the checkpoint
(nothing lost, nothing repeated), an API outage does not move the offset, and the query's
progress reports the engine's metrics.

Each query runs in its own process (``stream_query.py``) so that it can really be killed:
SIGKILL of its process group takes the Python driver and its JVM down at once."""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from helpers import free_port, jar_under_test
from mockapi import MockApi

HERE = Path(__file__).resolve().parent
EVENTS = 600
RATE = 50
SCHEMA = "id BIGINT, seq BIGINT, timestamp BIGINT, value STRING"

OFFSET_TYPES: dict[str, dict[str, str]] = {
    "timestamp": {
        "path": "/events?since={timestamp}",
        "offsetType": "timestamp",
        "offsetField": "timestamp",
    },
    "cursor": {
        "path": "/events/cursor?cursor={offset}&limit=50",
        "offsetType": "cursor",
        "offsetField": "next_cursor",
    },
    "incremental": {
        "path": "/events/seq?from={offset}",
        "offsetType": "incremental",
        "offsetField": "seq",
        "initialOffset": "1",
    },
    "max_field": {
        "path": "/events/seq?after={offset}",
        "offsetType": "max_field",
        "offsetField": "seq",
    },
}


class QueryProcess:
    """``stream_query.py`` in its own process group, its PROGRESS lines read as they come."""

    def __init__(self, job: dict[str, Any], log: Path) -> None:
        job = {"jar": str(jar_under_test()), **job}
        native = os.environ.get("SPARK_REST_NATIVE_LIBRARY")
        if native:
            job["conf"] = {"spark.rest.nativeLibrary": os.path.abspath(native)}
        env = dict(os.environ)
        env.pop("PYSPARK_SUBMIT_ARGS", None)
        self.log = log
        self._stderr = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "stream_query.py"), json.dumps(job)],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            cwd=str(HERE),
            env=env,
            start_new_session=True,
        )
        self.progress: list[dict[str, Any]] = []
        self.done: dict[str, Any] | None = None

    def _read(self, deadline: float) -> bool:
        """Reads one line (False at EOF or the deadline)."""
        stdout = self.proc.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        line = stdout.readline()
        if not line:
            return False
        kind, _, value = line.strip().partition(" ")
        if kind == "PROGRESS":
            self.progress.append(json.loads(value))
        elif kind == "DONE":
            self.done = json.loads(value)
        return True

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            stalled = time.monotonic() > deadline or not self._read(deadline)
            if stalled and not condition(self):
                self.kill()
                pytest.fail(f"{what} not reached in {timeout}s:\n{self.stderr_tail()}")

    def finish(self, timeout: float) -> dict[str, Any]:
        """Waits for an AvailableNow query to end; its DONE record."""
        self.wait_until(lambda q: q.done is not None, timeout, "the end of the query")
        code = self.proc.wait(timeout=60)
        self._stderr.close()
        assert code == 0, self.stderr_tail()
        assert self.done is not None
        return self.done

    def kill(self) -> None:
        """SIGKILL of the whole process group (driver and JVM)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._stderr.close()

    def stderr_tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def options(api: MockApi, kind: str, **extra: str) -> dict[str, str]:
    spec = dict(OFFSET_TYPES[kind])
    return {
        "url": api.url + spec.pop("path"),
        "dataField": "events",
        "schema": SCHEMA,
        **spec,
        **extra,
    }


def wait_for_feed(api: MockApi, events: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(api.events_all()) < events:
        assert time.monotonic() < deadline, f"the feed did not reach {events} events"
        time.sleep(0.2)


def sink_ids(spark: SparkSession, out: Path) -> list[int]:
    return sorted(row.id for row in spark.read.parquet(str(out)).select("id").collect())


@pytest.mark.parametrize("kind", list(OFFSET_TYPES))
def test_kill_and_restart_loses_and_repeats_nothing(spark: SparkSession, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp, MockApi(event_rate=RATE, event_max=EVENTS) as api:
        work = Path(tmp)
        job = {
            "options": options(api, kind, batchSize="50", streamingInterval="1"),
            "out": str(work / "out"),
            "checkpoint": str(work / "checkpoint"),
        }
        first = QueryProcess({**job, "trigger": "processing"}, work / "first.log")
        first.wait_until(lambda q: len(q.progress) >= 2, 180, "two committed batches")
        first.kill()  # mid-run: the feed is still growing, a batch may be half done
        committed = sum(p["numInputRows"] for p in first.progress)
        assert 0 < committed < EVENTS

        wait_for_feed(api, EVENTS)
        second = QueryProcess({**job, "trigger": "available_now"}, work / "second.log")
        done = second.finish(timeout=240)
        assert max(p["numInputRows"] for p in second.progress) <= 50
        assert int(done["metrics"]["requests"]) > 0
        assert sink_ids(spark, work / "out") == list(range(1, EVENTS + 1))


class Outage:
    """A TCP proxy on 127.0.0.1 in front of the mock API that can go down (new connections
    refused, open ones cut) and come back on the same port, while the feed behind it keeps
    its clock."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.up()

    def up(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._open:
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._open.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def test_api_outage_keeps_the_offset(spark: SparkSession) -> None:
    """The API goes away between two batches and comes back: the polls in between fail and
    are retried at the next interval without moving the offset; every event is read once."""
    events, rate = 1000, 20  # a 50 s feed: the outage falls in the middle of it
    with tempfile.TemporaryDirectory() as tmp, MockApi(event_rate=rate, event_max=events) as api:
        work = Path(tmp)
        outage = Outage(api.port)
        job = {
            "options": {
                **options(api, "max_field"),
                "url": f"{outage.url}/events/seq?after={{offset}}",
                "streamingInterval": "3",
                "maxRetries": "1",
                "retryBackoff": "50",
                "connectTimeout": "500",
            },
            "out": str(work / "out"),
            "checkpoint": str(work / "checkpoint"),
            "trigger": "processing",
        }
        query = QueryProcess(job, work / "query.log")
        try:
            # Right after a (quick) second batch the next poll is ~3 s away: the API goes
            # down now, so only driver polls see the outage, never a running batch.
            query.wait_until(lambda q: len(q.progress) >= 2, 180, "two batches")
            outage.down()
            assert query.progress[-1]["endOffset"]["value"] != str(events), "feed ended"
            time.sleep(5)
            outage.up()

            def caught_up(q: QueryProcess) -> bool:
                return bool(q.progress) and q.progress[-1]["endOffset"]["value"] == str(events)

            query.wait_until(caught_up, 180, f"offset {events}")
        finally:
            query.kill()
            outage.down()
        log = query.stderr_tail()
        errors = max(int(p["metrics"].get("pollErrors", "0")) for p in query.progress)
        assert errors >= 1, f"{query.progress}\n{log}"
        assert "the offset stays at" in log
        assert sink_ids(spark, work / "out") == list(range(1, events + 1))
