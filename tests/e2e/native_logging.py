"""The check that the engine's log lines reach log4j and nothing else (shared by the full
suite's ``test_native_logging.py`` and every line's smoke).

It runs in a child Spark process, because only there the test sees the JVM's own stderr
(a JVM started by the test process keeps the stderr it was started with)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from engine_child import run_child

CREATED = "spark-rest engine created"
# Set by pyspark once a Spark Connect session exists; a classic child must not inherit them.
CONNECT_ENV = ("SPARK_CONNECT_MODE_ENABLED", "SPARK_REMOTE", "SPARK_LOCAL_REMOTE")

SNIPPET = """
import time
jvm = spark.sparkContext._jvm
log4j = jvm.org.apache.logging.log4j
spark.sparkContext.setLogLevel("ERROR")

def new_engine(tag):
    # a URL no engine had yet: the engine cache creates one, which logs at info
    rest_api_call(spark.range(1, 4), url=api_url + "/customers/{id}?log=" + tag).collect()
    time.sleep(2)  # the drain thread hands lines to log4j every 0.5 s

new_engine("hidden")
log4j.core.config.Configurator.setLevel("io.sparkrest.native", log4j.Level.INFO)
time.sleep(1.5)  # the drain thread tells native the new level on its next round
new_engine("shown")
emit(bool(log4j.LogManager.getContext(False).hasLogger("io.sparkrest.native.engine.flow.registry")))
"""


@contextmanager
def classic_environment() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in CONNECT_ENV if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def check_native_log_lines_follow_log4j(api_url: str) -> None:
    """After setLogLevel("ERROR") the engine's info line is nowhere in the process's output;
    with log4j's level of ``io.sparkrest.native`` at INFO it is there, logged by the logger
    ``io.sparkrest.native.engine.flow.registry``."""
    with classic_environment():
        run = run_child(f"api_url = {api_url!r}\n" + SNIPPET)
    assert run.results == [True], run.stdout[-2000:]
    assert "log=hidden" not in run.output, run.stderr[-4000:]
    shown = [line for line in run.stderr.splitlines() if "log=shown" in line]
    assert len(shown) == 1 and CREATED in shown[0], run.stderr[-4000:]
    assert " INFO " in shown[0], shown[0]  # log4j's pattern, not the engine's own format
