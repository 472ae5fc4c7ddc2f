"""`concurrency` bounds the requests in flight, as seen by the server."""

from __future__ import annotations

import time

from pyspark.sql import SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call

ROWS = 2_000
LATENCY_MS = 50
CONCURRENCY = 8


def test_in_flight_bounded_by_concurrency(spark: SparkSession) -> None:
    customers = spark.range(0, ROWS, 1, 1).withColumnRenamed("id", "customer_id")
    with MockApi(latency_ms=LATENCY_MS) as api:
        enriched = rest_api_call(
            customers, url=f"{api.url}/customers/{{customer_id}}", concurrency=CONCURRENCY
        )
        started = time.monotonic()
        rows = enriched.collect()
        elapsed = time.monotonic() - started
        stats = api.stats()

    assert len(rows) == ROWS
    assert all(row._status == 200 for row in rows)
    assert stats["total"] == ROWS, stats
    assert 1 < stats["max_in_flight"] <= CONCURRENCY, stats
    # With at most CONCURRENCY requests of LATENCY_MS each in flight, the rows
    # cannot all be done faster than this (10% slack for timer granularity).
    floor = ROWS * LATENCY_MS / 1000 / CONCURRENCY
    assert elapsed >= 0.9 * floor, f"{elapsed:.1f}s < {floor:.1f}s"
