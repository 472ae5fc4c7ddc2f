"""Throughput controls seen by the server: the rate limit holds in every one-second window
and is reached; the concurrency cap is shared by the concurrent tasks of one executor; the
SQL metrics show the engine's work."""

from __future__ import annotations

import re
import threading
import time

from pyspark.sql import SparkSession

from engine_child import run_child
from mockapi import MockApi
from spark_rest import last_query_metrics, rest_api_call

RATE = 50
RATE_ROWS = 600  # 12 s at 50/s


class TotalWatcher:
    """Samples the server's request total every 20 ms: when the first and the last request
    arrived, as the server saw them."""

    def __init__(self, api: MockApi, expected: int) -> None:
        self.api, self.expected = api, expected
        self.first: float | None = None
        self.last: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The flag is read before the sample: a query that ends between two samples still
        # gets one more, which sees its last request.
        while True:
            stopping = self._stop.is_set()
            total = self.api.stats()["total"]
            now = time.monotonic()
            if total > 0 and self.first is None:
                self.first = now
            if total >= self.expected:
                self.last = now
                return
            if stopping:
                return
            self._stop.wait(0.02)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def counter(metrics: dict[str, str], name: str) -> int:
    return int(metrics[name].replace(",", ""))


def timing_total_ms(metrics: dict[str, str], name: str) -> float:
    """The total of a timing metric (``"total (min, med, max ...)\\n12 ms (...)"``), in ms."""
    value = metrics[name].splitlines()[-1]
    match = re.match(r"([\d.,]+) (ms|s|m|h)", value)
    assert match, value
    scale = {"ms": 1, "s": 1e3, "m": 6e4, "h": 3.6e6}[match.group(2)]
    return float(match.group(1).replace(",", "")) * scale


def test_rate_limit_holds_in_every_window_and_is_reached(
    spark: SparkSession, mock_api: MockApi
) -> None:
    customers = spark.range(0, RATE_ROWS, 1, 2).withColumnRenamed("id", "customer_id")
    enriched = rest_api_call(
        customers,
        url=f"{mock_api.url}/customers/{{customer_id}}",
        rate_limit=RATE,
        concurrency=16,
        cache=False,
    )
    watcher = TotalWatcher(mock_api, RATE_ROWS)
    try:
        rows = enriched.select("customer_id", "_status").collect()
    finally:
        watcher.stop()
    assert len(rows) == RATE_ROWS and all(r._status == 200 for r in rows)

    stats = mock_api.stats()
    assert stats["total"] == RATE_ROWS
    assert stats["max_per_second_sliding"] <= RATE, stats
    assert watcher.first is not None and watcher.last is not None
    # The server's window: first to last request (sampled every 20 ms, so at most 40 ms wide).
    achieved = (RATE_ROWS - 1) / (watcher.last - watcher.first + 0.04)
    assert achieved >= 0.9 * RATE, f"{achieved:.1f} requests/s at rateLimit={RATE}"

    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of requests sent") == RATE_ROWS
    # Two tasks share one limiter: together they waited most of the run.
    assert timing_total_ms(metrics, "time waiting on rate limiter") > 5_000, metrics


def test_concurrency_cap_is_shared_by_the_tasks_of_an_executor() -> None:
    with MockApi(latency_ms=50) as api:
        run = run_child(
            f"""
            customers = spark.range(0, 240, 1, 4).withColumnRenamed("id", "customer_id")
            rows = rest_api_call(
                customers, url="{api.url}/customers/{{customer_id}}", concurrency=3,
                arrow_batch_size=30,
            ).collect()
            emit({{"rows": len(rows), "ok": sum(r._status == 200 for r in rows)}})
            """,
            master="local[4]",
            conf={"spark.rest.logLevel": "warn"},
        )
        stats = api.stats()
    assert run.results == [{"rows": 240, "ok": 240}]
    # Four tasks at once, each allowed 3 by itself: the server saw the shared cap.
    assert 1 < stats["max_in_flight"] <= 3, stats
    # spark.rest.logLevel=warn reached the engine: its info line is gone.
    assert "spark-rest engine created" not in run.stderr


def test_sql_metrics_show_the_engine_work(spark: SparkSession, mock_api: MockApi) -> None:
    ids = [i % 20 for i in range(60)]  # 20 distinct ids, each 3 times
    df = spark.createDataFrame([(i,) for i in ids], "cid INT").repartition(1)
    rows = rest_api_call(
        df,
        url=f"{mock_api.url}/flaky/{{cid}}?fail_first=1",
        schema="id INT, attempts INT",
        retry_backoff=1,
        cache=False,
    ).collect()
    assert all(r._status == 200 for r in rows)

    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of output rows") == 60
    assert counter(metrics, "number of requests sent") == 40  # 20 distinct, each retried once
    assert counter(metrics, "number of retries") == 20
    assert counter(metrics, "number of deduplicated rows") == 40
    assert counter(metrics, "number of failed rows") == 0
    for name in (
        "number of cache hits",
        "number of failed rows: HTTP error status",
        "number of failed rows: no response (connection, timeout, size)",
        "number of failed rows: circuit open",
        "number of OAuth2 token fetches",
        "bytes received",
        "time in engine",
        "time waiting on rate limiter",
        "total request latency",
        "request latency p50 (per batch, max in task)",
        "request latency p99 (per batch, max in task)",
    ):
        assert name in metrics, (name, sorted(metrics))
    assert timing_total_ms(metrics, "request latency p99 (per batch, max in task)") >= 0
