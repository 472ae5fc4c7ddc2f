"""A Spark standalone cluster on loopback for the tests: one master and two
workers started with the pyspark install's `spark-class`, stopped on exit.

pyspark's pip package has no sbin/start-master.sh, so the daemons are run in
the foreground as child processes, bound to 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path
from types import TracebackType

import pyspark

from helpers import free_port

SPARK_HOME = Path(pyspark.__file__).resolve().parent


def spark_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    env["SPARK_HOME"] = str(SPARK_HOME)
    env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


class StandaloneCluster:
    """`with StandaloneCluster(workers=2) as cluster:` then `cluster.master_url`."""

    def __init__(self, workers: int = 2, cores: int = 1, memory: str = "1g") -> None:
        self.workers = workers
        self.cores = cores
        self.memory = memory
        self.port = free_port()
        self.ui_port = free_port()
        self.master_url = f"spark://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def _start(self, *args: str) -> None:
        command = [str(SPARK_HOME / "bin" / "spark-class"), *args]
        self.processes.append(
            subprocess.Popen(
                command, env=spark_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        )

    def __enter__(self) -> StandaloneCluster:
        self._start(
            "org.apache.spark.deploy.master.Master",
            "--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(self.ui_port),
        )  # fmt: skip
        for _ in range(self.workers):
            self._start_worker()
        self._wait_for_workers(timeout=90)
        return self

    def _start_worker(self) -> None:
        self._start(
            "org.apache.spark.deploy.worker.Worker", self.master_url,
            "--host", "127.0.0.1", "--cores", str(self.cores), "--memory", self.memory,
            "--webui-port", str(free_port()),
        )  # fmt: skip

    def add_worker(self) -> None:
        """Starts one more worker (e.g. mid-query) without waiting for it."""
        self.workers += 1
        self._start_worker()

    def _wait_for_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.ui_port}/json/"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as reply:
                    import json

                    state = json.load(reply)
                if sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE") >= (
                    self.workers
                ):
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the standalone cluster did not start within {timeout}s")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
