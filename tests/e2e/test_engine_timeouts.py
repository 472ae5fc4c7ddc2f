"""Timeouts and Retry-After dates through Spark: a slow answer fails only its
row (with the reason), and an HTTP-date Retry-After is waited for."""

from __future__ import annotations

from pyspark.sql import SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call


def test_request_timeout_fails_only_the_slow_rows(spark: SparkSession, mock_api: MockApi) -> None:
    df = spark.createDataFrame([(1,), (3000,), (2,)], "ms int").coalesce(1)
    rows = rest_api_call(
        df, url=f"{mock_api.url}/slow/{{ms}}", request_timeout=300, max_retries=0
    ).collect()
    by_ms = {r.ms: r for r in rows}
    assert len(rows) == 3
    assert by_ms[1]._status == 200 and by_ms[2]._status == 200
    assert by_ms[3000]._status is None
    assert by_ms[3000]._error.startswith("timeout"), by_ms[3000]._error


def test_a_503_with_an_http_date_retry_after_is_retried(
    spark: SparkSession, mock_api: MockApi
) -> None:
    # How long it waits is measured without Spark's overhead in the engine's own test
    # (retry_after_as_an_http_date_is_honoured); here: the row is retried and served.
    df = spark.createDataFrame([(41,)], "id int")
    rows = rest_api_call(
        df, url=f"{mock_api.url}/retry-after-date?id={{id}}", retry_backoff=1, cache=False
    ).collect()
    assert rows[0]._status == 200 and rows[0]._error is None
    stats = mock_api.stats()
    assert stats["total"] == 2 and stats["by_status"].get("503") == 1, stats
