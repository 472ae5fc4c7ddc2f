"""The INFO line of `concurrency=auto`, through Spark: when a host's adaptive limit changes by
more than 2x, the executor's log (log4j, under ``io.sparkrest.native``) says so, once per
doubling and never once per request.

It runs in a child Spark process, because only there the test sees the JVM's own stderr
(see ``native_logging.py``)."""

from __future__ import annotations

import re

from native_logging import classic_environment

from engine_child import run_child
from mockapi import MockApi

SLOTS, SERVICE_MS = 24, 20  # from concurrencyMin (4) to 24 and more: at least two doublings
ROWS = 1_200
LINE = "adaptive concurrency limit of host changed more than 2x"

SNIPPET = """
import time
jvm = spark.sparkContext._jvm
log4j = jvm.org.apache.logging.log4j
spark.sparkContext.setLogLevel("WARN")
log4j.core.config.Configurator.setLevel("io.sparkrest.native", log4j.Level.INFO)
time.sleep(1.5)  # the drain thread tells native the new level on its next round
customers = spark.range(0, rows, 1, 2).withColumnRenamed("id", "customer_id")
enriched = rest_api_call(customers, url=url, concurrency="auto", cache=False)
emit(enriched.where("_status = 200").count())
emit(last_query_metrics(spark)["concurrency limit (peak, per task)"])
time.sleep(2)  # the drain thread hands lines to log4j every 0.5 s
context = log4j.LogManager.getContext(False)
emit([logger.getName() for logger in context.getLoggers().toArray()
      if logger.getName().endswith("host_limits")])
"""


def test_a_limit_that_doubles_is_logged_at_info_through_log4j(mock_api: MockApi) -> None:
    url = f"{mock_api.url}/capacity/{SLOTS}/{SERVICE_MS}/{{customer_id}}"
    with classic_environment():
        run = run_child(f"rows = {ROWS}\nurl = {url!r}\n" + SNIPPET)
    ok, peak, loggers = run.results
    assert ok == ROWS, run.stdout[-2000:]
    lines = [line for line in run.stderr.splitlines() if LINE in line]
    assert lines, f"no INFO line for a limit that grew to {peak}:\n{run.stderr[-4000:]}"
    # One line per doubling or halving, never one per request.
    assert len(lines) <= 12, "\n".join(lines)
    host = mock_api.url.removeprefix("http://")
    for line in lines:
        assert " INFO " in line, line  # log4j's pattern, not the engine's own format
        assert f"host={host}" in line, line
        changed = re.search(r"from=(\d+) to=(\d+)", line)
        assert changed, line
        before, after = int(changed[1]), int(changed[2])
        assert after > 2 * before or 2 * after < before, line
    # The first line is slow start leaving concurrencyMin (4) behind.
    assert "from=4 " in lines[0], lines[0]
    # Logged by the engine's module logger under io.sparkrest.native.
    assert loggers and all(name.startswith("io.sparkrest.native.") for name in loggers), loggers
