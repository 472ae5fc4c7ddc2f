"""Typed output through Spark: nested types, decimal, date, timestamp, map, `dataField`,
wrong types and non-JSON bodies as row errors, the array shapes (`arrayColumn`, `explode`)
and `inferSchema`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from helpers import TIERS
from mockapi import MockApi
from spark_rest import rest_api_call

CUSTOMER_SCHEMA = (
    "customer_id BIGINT, ltv DECIMAL(12,2), active BOOLEAN, tags ARRAY<STRING>, "
    "address STRUCT<city: STRING, zip: STRING>"
)
PER_PAGE = 3
ITEMS = 250  # the mock's dataset
LAST_PAGE = -(-ITEMS // PER_PAGE)  # 84: holds 250 - 83 * 3 = 1 item


def ids(spark: SparkSession, n: int, partitions: int = 2) -> DataFrame:
    return spark.range(0, n, 1, partitions).withColumnRenamed("id", "cid")


def pages(spark: SparkSession, numbers: list[int]) -> DataFrame:
    return spark.createDataFrame([(p,) for p in numbers], "page INT").repartition(1)


def items_url(api: MockApi) -> str:
    return f"{api.url}/items?page={{page}}&per_page={PER_PAGE}"


def item(i: int) -> dict[str, object]:
    return {"id": i, "name": f"item-{i}", "price": i * 0.25}


def page_items(page: int) -> list[dict[str, object]]:
    first = (page - 1) * PER_PAGE + 1
    return [item(i) for i in range(first, min(first + PER_PAGE, ITEMS + 1))]


def test_nested_decimal_and_array_fields(spark: SparkSession, mock_api: MockApi) -> None:
    rows = rest_api_call(
        ids(spark, 30), url=f"{mock_api.url}/customers/{{cid}}", schema=CUSTOMER_SCHEMA
    ).collect()
    assert [r.cid for r in rows] == list(range(30))
    for r in rows:
        assert (r._status, r._error) == (200, None), r
        assert r.customer_id == r.cid
        assert r.ltv == Decimal(r.cid * 3) / 2
        assert r.active is (r.cid % 2 == 0)
        assert r.tags == [f"t{r.cid % 5}"]
        assert (r.address.city, r.address.zip) == (f"city-{r.cid % 10}", f"{r.cid:05d}")


def test_sorting_and_joining_the_output(spark: SparkSession, mock_api: MockApi) -> None:
    # Operators above the node serialise it with their code (e.g. a sort's codegen).
    out = rest_api_call(
        ids(spark, 12), url=f"{mock_api.url}/customers/{{cid}}", schema="score INT, tier STRING"
    )
    rows = out.orderBy(out.cid.desc()).collect()
    assert [r.cid for r in rows] == list(range(11, -1, -1))
    joined = out.join(ids(spark, 12).withColumnRenamed("cid", "other"), out.cid == F.col("other"))
    assert joined.groupBy("tier").count().count() == 3


def test_date_timestamp_map_and_data_field(spark: SparkSession, mock_api: MockApi) -> None:
    days = spark.createDataFrame(
        [(1, "2024-02-29", "2024-02-29T10:11:12Z"), (2, "2023-12-31", "2023-12-31T23:59:59Z")],
        "k INT, day STRING, at STRING",
    )
    out = rest_api_call(
        days,
        url=f"{mock_api.url}/echo/days?d={{day}}&t={{at}}&n={{k}}",
        schema="d DATE, t TIMESTAMP, n STRING",
        data_field="args",
    )
    assert out.schema["d"].dataType == DateType()
    assert out.schema["t"].dataType == TimestampType()
    rows = {r.k: r for r in out.collect()}
    assert rows[2].n == "2"
    assert rows[1].d == dt.date(2024, 2, 29) and rows[2].d == dt.date(2023, 12, 31)
    assert rows[1]._error is None and rows[1]._status == 200
    utc = dt.timezone.utc
    assert rows[1].t.astimezone(utc) == dt.datetime(2024, 2, 29, 10, 11, 12, tzinfo=utc)

    # A map of every request header, and a nested struct without dataField.
    echoed = rest_api_call(
        days.select("k"),
        url=f"{mock_api.url}/echo/headers/{{k}}",
        headers={"X-Tenant": "acme"},
        schema="method STRING, headers MAP<STRING, STRING>, args STRUCT<missing: INT>",
    ).collect()
    for r in echoed:
        assert r.method == "GET" and r._error is None
        assert r.headers["x-tenant"] == "acme"
        assert r.args.missing is None  # absent fields are null, not errors


def test_wrong_types_and_non_json_are_row_errors(spark: SparkSession, mock_api: MockApi) -> None:
    rows = rest_api_call(
        ids(spark, 6),
        url=f"{mock_api.url}/customers/{{cid}}",
        schema="name INT, tier STRING, score INT",
    ).collect()
    for r in rows:
        assert r._status == 200 and r.name is None, r
        assert r.tier == TIERS[r.cid % 3] and r.score == r.cid  # the other fields survive
        assert "name" in r._error and "parse error" in r._error, r._error

    garbage = rest_api_call(
        ids(spark, 3), url=f"{mock_api.url}/garbage?c={{cid}}", schema="score INT"
    ).collect()
    for r in garbage:
        assert r._status == 200 and r.score is None
        assert r._error and "not JSON" in r._error, r._error

    missing = rest_api_call(
        ids(spark, 2), url=f"{mock_api.url}/customers/{{cid}}", schema="x INT", data_field="data"
    ).collect()
    assert all("dataField" in r._error for r in missing), missing


def test_array_column(spark: SparkSession, mock_api: MockApi) -> None:
    out = rest_api_call(
        pages(spark, [1, 2, LAST_PAGE, LAST_PAGE + 1, 0]),
        url=items_url(mock_api),
        schema="id INT, name STRING, price DOUBLE",
        data_field="results",
        array_column="items",
    )
    assert out.columns == ["page", "items", "_status", "_error"]
    assert out.schema["items"].dataType == ArrayType(
        StructType(
            [
                StructField("id", IntegerType()),
                StructField("name", StringType()),
                StructField("price", DoubleType()),
            ]
        )
    )
    rows = out.collect()
    assert [r.page for r in rows] == [1, 2, LAST_PAGE, LAST_PAGE + 1, 0]
    for r in rows[:3]:
        assert [x.asDict() for x in r.items] == page_items(r.page), r
        assert (r._status, r._error) == (200, None)
    assert rows[3].items == [] and rows[3]._error is None  # past the end: an empty array
    assert rows[4].items is None and rows[4]._status == 400  # a failed request


def test_explode(spark: SparkSession, mock_api: MockApi) -> None:
    wanted = [2, LAST_PAGE + 1, 0, LAST_PAGE, 1]
    out = rest_api_call(
        pages(spark, wanted),
        url=items_url(mock_api),
        schema="id INT, name STRING, price DOUBLE",
        data_field="results",
        explode=True,
        arrow_batch_size=2,  # input rows of one batch fan out differently
    )
    assert out.columns == ["page", "id", "name", "price", "_status", "_error"]
    rows = out.collect()
    expected: list[tuple[object, ...]] = []
    for page in wanted:
        if page == 0:
            expected.append((0, None, 400))
        elif page > LAST_PAGE:
            expected.append((page, None, 200))  # an empty array: one row of nulls
        else:
            expected += [(page, x["id"], 200) for x in page_items(page)]
    assert [(r.page, r.id, r._status) for r in rows] == expected
    for r in rows:
        if r.id is not None:
            assert (r.name, r.price, r._error) == (f"item-{r.id}", r.id * 0.25, None)
    assert out.count() == len(expected)


def test_explode_a_batch_endpoint_via_post(spark: SparkSession, mock_api: MockApi) -> None:
    pairs = spark.createDataFrame([(1, 2), (10, 11), (7, 8)], "a INT, b INT").repartition(1)
    rows = rest_api_call(
        pairs,
        url=f"{mock_api.url}/customers/batch",
        method="POST",
        body='{"ids": [{a}, {b}]}',
        schema="customer_id INT, tier STRING",
        data_field="results",
        explode=True,
    ).collect()
    pairs_out = [(r.a, r.customer_id) for r in rows]
    assert pairs_out == [(1, 1), (1, 2), (10, 10), (10, 11), (7, 7), (7, 8)]
    assert all(r.tier == TIERS[r.customer_id % 3] for r in rows)


def test_infer_schema_reuses_the_sampled_responses(spark: SparkSession, mock_api: MockApi) -> None:
    rows_in = 40
    # The engine cache is per JVM and outlives a test: a query string of its own keeps
    # earlier tests' answers to the same ids out of this count.
    url = f"{mock_api.url}/customers/{{cid}}?test=infer-reuse"
    out = rest_api_call(ids(spark, rows_in), url=url, infer_schema=True)
    fields = {f.name: f.dataType for f in out.schema.fields}
    assert fields["customer_id"] == LongType()
    assert fields["ltv"] == DoubleType() and fields["active"] == BooleanType()
    assert fields["tags"] == ArrayType(StringType())
    assert fields["address"] == StructType(
        [StructField("city", StringType()), StructField("zip", StringType())]
    )
    sampled = mock_api.stats()["total"]
    assert sampled == 20  # schemaSampleSize's default, sampled when the DataFrame is built

    rows = out.collect()
    assert [r.cid for r in rows] == list(range(rows_in))
    assert all(r._error is None and r.customer_id == r.cid for r in rows)
    # Local mode: the query's engine answers the sampled rows from its cache.
    assert mock_api.stats()["total"] == rows_in


def test_infer_schema_of_arrays(spark: SparkSession, mock_api: MockApi) -> None:
    common = {"url": items_url(mock_api), "data_field": "results", "infer_schema": True}
    as_column = rest_api_call(pages(spark, [1, 2, 3]), schema_sample_size=2, **common)
    assert as_column.columns == ["page", "results", "_status", "_error"]
    element = as_column.schema["results"].dataType.elementType
    assert [f.name for f in element.fields] == ["id", "name", "price"]
    assert [[x.id for x in r.results] for r in as_column.collect()] == [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
    ]

    exploded = rest_api_call(pages(spark, [1, 2]), explode=True, **common)
    assert exploded.columns == ["page", "id", "name", "price", "_status", "_error"]
    got = [(r.page, r.id) for r in exploded.collect()]
    assert got == [(1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6)]


def test_infer_schema_without_a_successful_sample_names_the_statuses(
    spark: SparkSession, mock_api: MockApi
) -> None:
    with pytest.raises(Exception, match=r"(?s)inferSchema.*503 x5"):
        rest_api_call(
            ids(spark, 5),
            url=f"{mock_api.url}/status/503?c={{cid}}",
            infer_schema=True,
            max_retries=0,
        )


def test_shape_options_need_a_schema(spark: SparkSession, mock_api: MockApi) -> None:
    with pytest.raises(Exception, match="explode"):
        rest_api_call(ids(spark, 1), url=f"{mock_api.url}/customers/{{cid}}", explode=True)
    with pytest.raises(Exception, match="schema"):
        rest_api_call(
            ids(spark, 1),
            url=f"{mock_api.url}/customers/{{cid}}",
            schema="score INT",
            infer_schema=True,
        )
    assert mock_api.stats()["total"] == 0


def test_struct_type_schema_with_decimal(spark: SparkSession, mock_api: MockApi) -> None:
    schema = StructType(
        [
            StructField("ltv", DecimalType(10, 1)),
            StructField("address", StructType([StructField("zip", StringType())])),
            StructField("tags", ArrayType(StringType())),
            StructField("extra", MapType(StringType(), IntegerType())),
        ]
    )
    rows = rest_api_call(
        ids(spark, 4), url=f"{mock_api.url}/customers/{{cid}}", schema=schema
    ).collect()
    assert [(r.ltv, r.address.zip, r.extra) for r in rows] == [
        (Decimal(i * 3) / 2, f"{i:05d}", None) for i in range(4)
    ]
