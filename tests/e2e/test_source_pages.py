"""The ``rest`` data source without input: one request plus its pages become the rows,
in every pagination style of the mock API (250 items, ids 1..250)."""

from __future__ import annotations

import json

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import LongType

from mockapi import MockApi
from spark_rest import last_query_metrics

ITEMS = list(range(1, 251))

STYLES = {
    "page": {"path": "/items", "paginationType": "page", "dataField": "results"},
    "offset": {"path": "/items/offset", "paginationType": "offset", "dataField": "results"},
    "cursor": {
        "path": "/items/cursor?limit=20",
        "paginationType": "cursor",
        "dataField": "results",
        "cursorField": "next_cursor",
    },
    "link": {"path": "/items/link", "paginationType": "link", "dataField": "results"},
    "nextUrl": {
        "path": "/items/next",
        "paginationType": "nextUrl",
        "dataField": "data.items",
        "nextUrlField": "next",
        "hasMoreField": "has_more",
    },
}


def read(spark: SparkSession, api: MockApi, style: str, **options: str) -> DataFrame:
    spec = dict(STYLES[style])
    reader = spark.read.format("rest").option("url", api.url + spec.pop("path"))
    for key, value in {"pageSize": "20", **spec, **options}.items():
        reader = reader.option(key, value)
    return reader.load()


def ids(df: DataFrame) -> list[int]:
    return sorted(row.id for row in df.select("id").collect())


@pytest.mark.parametrize("style", list(STYLES))
def test_every_item_exactly_once(spark: SparkSession, mock_api: MockApi, style: str) -> None:
    df = read(spark, mock_api, style, schema="id BIGINT, name STRING")
    assert df.columns == ["id", "name"]
    assert ids(df) == ITEMS


def test_page_ranges_are_read_in_parallel(spark: SparkSession, mock_api: MockApi) -> None:
    """total_pages is reported: the 13 pages of 20 are split across partitions."""
    df = read(spark, mock_api, "page", schema="id BIGINT")
    assert df.rdd.getNumPartitions() > 1
    assert ids(df) == ITEMS
    metrics = last_query_metrics(spark, node_name="BatchScan")
    assert metrics.get("records read from the API", "").replace(",", "") == "250"
    assert int(metrics["number of requests"].replace(",", "")) >= 13
    assert "bytes received" in metrics


def test_max_pages(spark: SparkSession, mock_api: MockApi) -> None:
    df = read(spark, mock_api, "page", schema="id BIGINT", maxPages="2")
    assert ids(df) == list(range(1, 41))


def test_raw_output_is_each_records_json(spark: SparkSession, mock_api: MockApi) -> None:
    df = read(spark, mock_api, "link")
    assert df.columns == ["output"]
    records = [json.loads(row.output) for row in df.collect()]
    assert sorted(r["id"] for r in records) == ITEMS


def test_infer_schema_samples_the_first_page(spark: SparkSession, mock_api: MockApi) -> None:
    df = read(spark, mock_api, "cursor", inferSchema="true")
    assert isinstance(df.schema["id"].dataType, LongType)
    assert ids(df) == ITEMS


def test_a_failing_api_fails_the_read(spark: SparkSession, mock_api: MockApi) -> None:
    df = (
        spark.read.format("rest")
        .option("url", f"{mock_api.url}/status/500")
        .option("maxRetries", "1")
        .option("retryBackoff", "10")
        .load()
    )
    with pytest.raises(Exception, match="500"):
        df.collect()
