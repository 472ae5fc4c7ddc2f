"""PySpark enrichment through the shim: every row, exactly once, in order, correct."""

from __future__ import annotations

import json
from collections import defaultdict

from pyspark.sql import SparkSession
from pyspark.sql.functions import spark_partition_id

from helpers import expected_customer
from mockapi import MockApi
from spark_rest import last_query_metrics, rest_api_call

ROWS = 20_000
PARTITIONS = 4
# Physical operators that would mean rows travel through a Python worker.
PYTHON_NODES = ("BatchEvalPython", "ArrowEvalPython", "MapInPandas", "MapInArrow", "PythonUDF")


def test_enrich_20000_rows(spark: SparkSession, mock_api: MockApi) -> None:
    customers = spark.range(0, ROWS, 1, PARTITIONS).withColumnRenamed("id", "customer_id")
    enriched = rest_api_call(
        customers, url=f"{mock_api.url}/customers/{{customer_id}}", concurrency=16
    )

    assert enriched.columns == ["customer_id", "output", "_status", "_error"]
    assert dict(enriched.dtypes) == {
        "customer_id": "bigint",
        "output": "string",
        "_status": "int",
        "_error": "string",
    }
    plan = enriched._jdf.queryExecution().executedPlan().toString()
    assert not [node for node in PYTHON_NODES if node in plan], plan

    rows = enriched.withColumn("pid", spark_partition_id()).collect()

    # Exactly once and in order: collect() returns partitions in order, each in the
    # order the operator produced it, and range() numbers the rows consecutively.
    ids = [row.customer_id for row in rows]
    assert len(ids) == ROWS
    assert len(set(ids)) == ROWS
    assert ids == list(range(ROWS))

    by_partition: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_partition[row.pid].append(row.customer_id)
    assert len(by_partition) == PARTITIONS
    for pid, pid_ids in by_partition.items():
        assert pid_ids == sorted(pid_ids), f"partition {pid} out of order"

    bad = []
    for row in rows:
        cid = row.customer_id
        if row._status != 200 or row._error is not None:
            bad.append((cid, row._status, row._error))
            continue
        expected = expected_customer(cid)
        body = json.loads(row.output)
        if {key: body.get(key) for key in expected} != expected:
            bad.append((cid, row.output))
    assert not bad, f"{len(bad)} bad rows, first: {bad[:5]}"

    # Every row was one request: no duplicates, no retries.
    stats = mock_api.stats()
    assert stats["total"] == ROWS, stats

    # The operator reports its work as SQL metrics (what the Spark UI shows).
    metrics = last_query_metrics(spark)
    assert metrics, "no SQL metrics found for the RestApiCall node"
    assert count_metric(metrics, "number of output rows") == ROWS, metrics
    assert count_metric(metrics, "number of requests") == ROWS, metrics
    assert count_metric(metrics, "number of failed rows") == 0, metrics


def count_metric(metrics: dict[str, str], name: str) -> int:
    """A count metric's value (Spark renders counts as "20,000"). ``name`` is the metric's
    name or the start of exactly one metric name ("number of requests" matches
    "number of requests sent")."""
    if name not in metrics:
        matches = [m for m in metrics if m.startswith(name)]
        assert len(matches) == 1, f"no single metric {name!r} in {sorted(metrics)}"
        name = matches[0]
    return int(metrics[name].replace(",", "") or 0)
