"""Batch endpoints through Spark: the distinct keys of each Arrow batch go
many per request, and every row gets the result of its own key."""

from __future__ import annotations

import math

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from helpers import TIERS
from mockapi import MockApi
from spark_rest import rest_api_call


def test_keys_are_sent_many_per_request_and_mapped_back(
    spark: SparkSession, mock_api: MockApi
) -> None:
    # 3,000 rows over 400 distinct ids in one partition and one Arrow batch.
    df = spark.range(3_000).select((F.col("id") % 400).alias("customer_id")).coalesce(1)
    out = rest_api_call(
        df,
        url=f"{mock_api.url}/customers/{{customer_id}}",
        batch_key="customer_id",
        batch_url=f"{mock_api.url}/customers/batch",
        batch_request_size=100,
        batch_result_key="customer_id",
        arrow_batch_size=5_000,
        schema="score INT, tier STRING",
        cache=False,
    )
    rows = out.collect()
    assert len(rows) == 3_000
    for row in rows:
        key = row["customer_id"]
        assert row["_status"] == 200 and row["_error"] is None, row
        assert row["score"] == key % 1000 and row["tier"] == TIERS[key % 3], row
    stats = mock_api.stats()
    assert stats["total"] == math.ceil(400 / 100), stats
    assert stats["batch_keys"] == 400, stats


def test_a_key_the_api_does_not_return_is_that_rows_error(
    spark: SparkSession, mock_api: MockApi
) -> None:
    df = spark.createDataFrame([("5",), ("x-unknown",)], "customer_id string")
    rows = rest_api_call(
        df,
        url=f"{mock_api.url}/customers/batch",
        batch_key="customer_id",
        batch_result_key="customer_id",
    ).collect()
    by_key = {r["customer_id"]: r for r in rows}
    assert by_key["5"]["_error"] is None
    assert "'x-unknown' is missing" in by_key["x-unknown"]["_error"]
