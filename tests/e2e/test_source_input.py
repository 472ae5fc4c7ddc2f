"""The ``rest`` data source with input rows (``input`` view, ``inputData`` JSON): one
request per row through the same plan node as ``rest_api_call``, rows never collected."""

from __future__ import annotations

import json
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from engine_child import run_child
from helpers import expected_customer
from mockapi import MockApi

MILLION = 1_000_000


def optimized_plan(df) -> str:
    return str(df._jdf.queryExecution().optimizedPlan().toString())


def test_million_row_view_with_a_1m_result_limit(mock_api: MockApi) -> None:
    """1,000,000 input rows with spark.driver.maxResultSize=1m: only the aggregate reaches
    the driver, every row gets a 200 and its own customer's score."""
    started = time.monotonic()
    run = run_child(
        f"""
        from pyspark.sql import functions as F
        spark.range({MILLION}).withColumnRenamed("id", "customer_id") \\
            .createOrReplaceTempView("customers")
        df = (spark.read.format("rest")
              .option("url", "{mock_api.url}/customers/{{customer_id}}")
              .option("input", "customers")
              .option("concurrency", "64")
              .option("schema", "score INT, tier STRING")
              .load())
        row = df.agg(
            F.count("*").alias("rows"),
            F.sum(F.when(F.col("_status") == 200, 1).otherwise(0)).alias("ok"),
            F.sum("score").alias("score_sum"),
            F.sum(F.when(F.col("score") == F.col("customer_id") % 1000, 1).otherwise(0))
              .alias("matching"),
        ).head()
        emit(row.asDict())
        """,
        conf={"spark.driver.maxResultSize": "1m"},
        timeout=420,
    )
    elapsed = time.monotonic() - started
    (result,) = run.results
    assert result == {
        "rows": MILLION,
        "ok": MILLION,
        "score_sum": 1000 * sum(range(1000)),
        "matching": MILLION,
    }, f"{result} after {elapsed:.0f}s"
    print(f"1,000,000 rows through the rest source in {elapsed:.1f}s")


def test_input_view_plans_the_enrichment_node(spark: SparkSession, mock_api: MockApi) -> None:
    ids = list(range(1, 101))
    spark.createDataFrame([(i,) for i in ids], "customer_id BIGINT").createOrReplaceTempView(
        "source_input_customers"
    )
    df = (
        spark.read.format("rest")
        # Its own query string: the per-JVM cache may hold earlier tests' answers.
        .option("url", f"{mock_api.url}/customers/{{customer_id}}?test=input-view")
        .option("input", "source_input_customers")
        .option("schema", "name STRING, score INT, tier STRING")
        .load()
    )
    assert df.columns == ["customer_id", "name", "score", "tier", "_status", "_error"]
    assert "RestApiCall" in optimized_plan(df)
    rows = sorted(df.collect(), key=lambda r: r.customer_id)
    assert [r.customer_id for r in rows] == ids
    for row in rows:
        expected = expected_customer(row.customer_id)
        assert (row.name, row.score, row.tier, row._status, row._error) == (
            expected["name"],
            expected["score"],
            expected["tier"],
            200,
            None,
        )
    assert mock_api.stats()["total"] == len(ids)


def test_input_data_json_array(spark: SparkSession, mock_api: MockApi) -> None:
    data = [{"customer_id": i, "note": f"n{i}"} for i in (3, 5, 8)]
    df = (
        spark.read.format("rest")
        .option("url", f"{mock_api.url}/customers/{{customer_id}}")
        .option("inputData", json.dumps(data))
        .option("schema", "score INT")
        .load()
    )
    rows = sorted(df.collect(), key=lambda r: r.customer_id)
    assert [(r.customer_id, r.note, r.score, r._status) for r in rows] == [
        (i, f"n{i}", i % 1000, 200) for i in (3, 5, 8)
    ]


def test_input_mode_keeps_every_row_when_the_api_fails(spark: SparkSession) -> None:
    with MockApi(fail_rate=1.0, seed=1) as api:
        df = (
            spark.read.format("rest")
            .option("url", f"{api.url}/customers/{{id}}")
            .option("inputData", json.dumps([{"id": i} for i in range(10)]))
            .option("maxRetries", "0")
            .load()
        )
        rows = df.select("id", "_status", F.col("_error").isNotNull().alias("failed")).collect()
    assert sorted((r.id, r._status, r.failed) for r in rows) == [(i, 503, True) for i in range(10)]
