"""Failures are data, not lost rows: dead hosts, error statuses, null template
values; bad options fail before any task runs."""

from __future__ import annotations

import pytest
from pyspark.errors import IllegalArgumentException
from pyspark.sql import DataFrame, SparkSession

from helpers import free_port, status_count
from mockapi import MockApi
from spark_rest import rest_api_call

ROWS = 40


def customers(spark: SparkSession, rows: int = ROWS, partitions: int = 2) -> DataFrame:
    return spark.range(0, rows, 1, partitions).withColumnRenamed("id", "customer_id")


def test_dead_host_keeps_every_row(spark: SparkSession) -> None:
    port = free_port()
    enriched = rest_api_call(
        customers(spark),
        url=f"http://127.0.0.1:{port}/customers/{{customer_id}}",
        max_retries=1,
        retry_backoff=10,
        connect_timeout=2000,
    )
    rows = enriched.collect()
    assert [row.customer_id for row in rows] == list(range(ROWS))
    for row in rows:
        assert row._status is None, row
        assert row.output is None, row
        assert row._error and "connect" in row._error.lower(), row


def test_error_status_keeps_every_row(spark: SparkSession, mock_api: MockApi) -> None:
    enriched = rest_api_call(
        customers(spark), url=f"{mock_api.url}/status/503?id={{customer_id}}", max_retries=0
    )
    rows = enriched.collect()
    assert [row.customer_id for row in rows] == list(range(ROWS))
    for row in rows:
        assert row._status == 503, row
        assert row._error and "503" in row._error, row
    # max_retries=0: one attempt per row, no retry.
    assert status_count(mock_api.stats(), 503) == ROWS


def test_retries_then_error(spark: SparkSession, mock_api: MockApi) -> None:
    enriched = rest_api_call(
        customers(spark, rows=5, partitions=1),
        url=f"{mock_api.url}/status/503?id={{customer_id}}",
        max_retries=2,
        retry_backoff=10,
    )
    rows = enriched.collect()
    assert len(rows) == 5
    assert all(row._status == 503 and row._error for row in rows), rows
    assert status_count(mock_api.stats(), 503) == 5 * 3


def test_null_template_value_fails_the_row_without_a_request(
    spark: SparkSession, mock_api: MockApi
) -> None:
    df = spark.createDataFrame([(1,), (None,), (3,)], "customer_id BIGINT").coalesce(1)
    enriched = rest_api_call(df, url=f"{mock_api.url}/customers/{{customer_id}}")
    rows = enriched.collect()
    assert [row.customer_id for row in rows] == [1, None, 3]
    ok = [row for row in rows if row.customer_id is not None]
    assert all(row._status == 200 and row._error is None for row in ok), ok
    null_row = rows[1]
    assert null_row._status is None and null_row.output is None, null_row
    assert null_row._error and "customer_id" in null_row._error, null_row
    assert mock_api.stats()["total"] == 2


def test_unknown_option_fails_at_dataframe_creation(spark: SparkSession, mock_api: MockApi) -> None:
    with pytest.raises(Exception, match="concurrensy"):
        rest_api_call(
            customers(spark), url=f"{mock_api.url}/customers/{{customer_id}}", concurrensy=4
        )
    assert mock_api.stats()["total"] == 0


def test_bad_option_is_an_illegal_argument(spark: SparkSession, mock_api: MockApi) -> None:
    # The JVM throws RestOptionException (an IllegalArgumentException), which PySpark
    # surfaces as its own IllegalArgumentException rather than a raw Py4JJavaError.
    with pytest.raises(IllegalArgumentException, match="concurrensy"):
        rest_api_call(
            customers(spark), url=f"{mock_api.url}/customers/{{customer_id}}", concurrensy=4
        )


def test_invalid_value_names_option_and_value(spark: SparkSession, mock_api: MockApi) -> None:
    with pytest.raises(Exception) as raised:
        rest_api_call(
            customers(spark), url=f"{mock_api.url}/customers/{{customer_id}}", concurrency="lots"
        )
    message = str(raised.value)
    assert "concurrency" in message and "lots" in message, message


def test_on_error_fail_fails_the_query(spark: SparkSession, mock_api: MockApi) -> None:
    enriched = rest_api_call(
        customers(spark, rows=5, partitions=1),
        url=f"{mock_api.url}/status/503?id={{customer_id}}",
        max_retries=0,
        on_error="fail",
    )
    with pytest.raises(Exception) as raised:
        enriched.collect()
    # The message names the row's request and the reason.
    message = str(raised.value)
    assert "/status/503" in message and "503" in message.replace("/status/503", ""), message
