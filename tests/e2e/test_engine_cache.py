"""The response cache and in-batch dedup through Spark, and the persistent `cacheDir`."""

from __future__ import annotations

from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from mockapi import MockApi
from spark_rest import last_query_metrics, rest_api_call

ROWS = 2000
DISTINCT = 50
BATCH = 200


def duplicates(spark: SparkSession) -> DataFrame:
    """2,000 rows over 50 ids; hash-partitioned by id, so each id lives in one partition."""
    return (
        spark.range(0, ROWS, 1, 4)
        .selectExpr(f"CAST(id % {DISTINCT} AS INT) AS cid", "id AS n")
        .repartition(2, "cid")
    )


def counter(metrics: dict[str, str], name: str) -> int:
    return int(metrics[name].replace(",", ""))


def check_rows(rows: list, n: int = ROWS) -> None:
    assert sorted(r.n for r in rows) == list(range(n))
    for r in rows:
        assert r._status == 200 and r.customer_id == r.cid, r


def test_cache_sends_each_distinct_request_once(spark: SparkSession, mock_api: MockApi) -> None:
    enriched = rest_api_call(
        duplicates(spark),
        url=f"{mock_api.url}/customers/{{cid}}?suite=cache-on",
        schema="customer_id INT",
        arrow_batch_size=BATCH,
    )
    check_rows(enriched.collect())
    assert mock_api.stats()["total"] == DISTINCT
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of requests sent") == DISTINCT
    served = counter(metrics, "number of cache hits") + counter(
        metrics, "number of deduplicated rows"
    )
    assert served == ROWS - DISTINCT

    # Run again: the executor's engine still has every answer.
    check_rows(enriched.collect())
    assert mock_api.stats()["total"] == DISTINCT
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of requests sent") == 0
    assert counter(metrics, "number of cache hits") >= DISTINCT


def test_without_cache_each_batch_sends_at_most_its_distinct_requests(
    spark: SparkSession, mock_api: MockApi
) -> None:
    # Without a cache every batch sends its distinct requests, except those
    # that join an identical request still in flight for an earlier batch
    # (single-flight), so the total lies between DISTINCT and the sum over
    # batches, and every row that did not send is a deduplicated row.
    df = duplicates(spark)
    # What the engine will see: each partition in batches of BATCH rows.
    expected = 0
    for partition in df.rdd.glom().collect():
        for start in range(0, len(partition), BATCH):
            expected += len({row.cid for row in partition[start : start + BATCH]})
    batches = sum(-(-len(p) // BATCH) for p in df.rdd.glom().collect())

    rows = rest_api_call(
        df,
        url=f"{mock_api.url}/customers/{{cid}}?suite=cache-off",
        schema="customer_id INT",
        arrow_batch_size=BATCH,
        cache=False,
    ).collect()
    check_rows(rows)
    total = mock_api.stats()["total"]
    assert DISTINCT <= total <= expected <= DISTINCT * batches, (total, expected)
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of cache hits") == 0
    assert counter(metrics, "number of requests sent") == total
    assert counter(metrics, "number of deduplicated rows") == ROWS - total


def test_cache_dir_answers_a_new_engine_without_requests(
    spark: SparkSession, mock_api: MockApi, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "rest-cache"
    common = {
        "url": f"{mock_api.url}/customers/{{cid}}?suite=cache-dir",
        "schema": "customer_id INT",
        "cache_dir": cache_dir,
    }
    check_rows(rest_api_call(duplicates(spark), arrow_batch_size=BATCH, **common).collect())
    assert mock_api.stats()["total"] == DISTINCT
    assert cache_dir.exists() and any(cache_dir.iterdir())

    # Another batch size is another engine: its memory cache is empty, the directory is not.
    check_rows(rest_api_call(duplicates(spark), arrow_batch_size=BATCH + 1, **common).collect())
    assert mock_api.stats()["total"] == DISTINCT
    metrics = last_query_metrics(spark)
    assert counter(metrics, "number of requests sent") == 0
    assert counter(metrics, "number of cache hits") >= DISTINCT
