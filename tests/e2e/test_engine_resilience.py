"""Resilience through Spark: retries with backoff and Retry-After, the circuit breaker,
onError=fail, and no lost row when the API fails and throttles at random."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from pyspark.sql import DataFrame, SparkSession

from helpers import status_count
from mockapi import MockApi
from spark_rest import last_query_metrics, rest_api_call


def ids(spark: SparkSession, n: int, partitions: int = 2) -> DataFrame:
    return spark.range(0, n, 1, partitions).withColumnRenamed("id", "cid")


def counter(metrics: dict[str, str], name: str) -> int:
    return int(metrics[name].replace(",", ""))


def test_retries_recover_flaky_rows(spark: SparkSession, mock_api: MockApi) -> None:
    rows = rest_api_call(
        ids(spark, 50),
        url=f"{mock_api.url}/flaky/{{cid}}?fail_first=2",
        schema="id STRING, attempts INT",
        retry_backoff=5,
    ).collect()
    assert len(rows) == 50
    for r in rows:
        assert (r._status, r._error, r.attempts) == (200, None, 3), r
    assert mock_api.stats()["total"] == 150
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of retries") == 100
    assert counter(metrics, "number of requests sent") == 150


def test_retry_after_is_honoured(spark: SparkSession, mock_api: MockApi) -> None:
    started = time.monotonic()
    rows = rest_api_call(
        ids(spark, 10),
        url=f"{mock_api.url}/retry-after/1?id={{cid}}",
        retry_backoff=1,  # the header, not the backoff, decides the wait
    ).collect()
    elapsed = time.monotonic() - started
    assert [r._status for r in rows] == [200] * 10, rows
    assert status_count(mock_api.stats(), 429) == 10
    assert elapsed >= 1.0, elapsed
    assert counter(last_query_metrics(spark), "number of retries") == 10


def test_circuit_breaker_stops_calling_a_failing_host(
    spark: SparkSession, mock_api: MockApi
) -> None:
    rows = rest_api_call(
        ids(spark, 40, partitions=1),
        url=f"{mock_api.url}/status/503?c={{cid}}",
        circuit_breaker_threshold=3,
        circuit_breaker_cooldown=60_000,
        max_retries=0,
        concurrency=1,
    ).collect()
    assert len(rows) == 40
    assert mock_api.stats()["total"] == 3
    assert [r._status for r in rows[:3]] == [503] * 3
    for r in rows[3:]:
        assert r._status is None and "circuit open" in r._error, r
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of failed rows: circuit open") == 37
    assert counter(metrics, "number of failed rows: HTTP error status") == 3
    assert counter(metrics, "number of failed rows") == 40


def test_on_error_fail_names_the_request(spark: SparkSession, mock_api: MockApi) -> None:
    enriched = rest_api_call(
        ids(spark, 5),
        url=f"{mock_api.url}/customers/no-{{cid}}",  # 404: not a numeric id
        on_error="fail",
        max_retries=0,
    )
    with pytest.raises(Exception) as raised:
        enriched.collect()
    message = str(raised.value)
    assert "RestRequestException" in message, message[:2000]
    assert f"GET {mock_api.url}/customers/no-" in message, message[:2000]
    assert "404" in message


def test_no_row_lost_under_random_failures_and_throttling(spark: SparkSession) -> None:
    n = 500
    with MockApi(fail_rate=0.3, limit_rps=40, seed=7) as api:
        started = time.monotonic()
        rows = rest_api_call(
            ids(spark, n),
            url=f"{api.url}/customers/{{cid}}",
            schema="customer_id BIGINT, tier STRING",
            rate_limit=60,
            retry_backoff=20,
            request_timeout=5_000,
        ).collect()
        elapsed = time.monotonic() - started
        stats = api.stats()
    assert elapsed < 120
    assert sorted(r.cid for r in rows) == list(range(n))  # every row exactly once
    statuses = Counter(r._status for r in rows)
    for r in rows:
        if r._status == 200:
            assert r._error is None and r.customer_id == r.cid, r
        else:
            assert r._status in (429, 503) and r._error and r.customer_id is None, r
    assert statuses[200] > n // 2, statuses
    assert status_count(stats, 200) == statuses[200]
    assert stats["max_per_second_sliding"] <= 60, stats
