"""Issue 9, continued: the default body of POST/PUT/PATCH (the row's input columns, JSON-typed),
batch endpoints that answer a bare JSON array (seed 000), and the option names of the rwforest
``rest`` data source (seed 002's origin) with their meaning. Each through the PySpark shim
(``rest_api_call``) and through ``format("rest")``, against the mock API's ``/echo``."""

from __future__ import annotations

import json
import uuid

import pytest
from pyspark.sql import SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call

ECHO = (
    "method STRING, path STRING, args MAP<STRING, STRING>, headers MAP<STRING, STRING>, body STRING"
)
ROWS = [
    {"id": 1, "name": 'a"b', "score": 2.5, "address": {"city": "Oslo"}, "tags": [1, 2]},
    {"id": 2, "name": "x", "score": 7.0, "address": {"city": "Rome"}, "tags": []},
]


def rows_df(spark: SparkSession):
    return spark.createDataFrame(
        [(r["id"], r["name"], r["score"], (r["address"]["city"],), r["tags"]) for r in ROWS],
        "id BIGINT, name STRING, score DOUBLE, address STRUCT<city: STRING>, tags ARRAY<BIGINT>",
    ).coalesce(1)


def rest_read(spark: SparkSession, **options: str):
    reader = spark.read.format("rest")
    for name, value in options.items():
        reader = reader.option(name, value)
    return reader.load()


def unique(api: MockApi, path: str) -> str:
    """A URL of its own, so no earlier test's cached answer is reused."""
    return f"{api.url}{path}/{uuid.uuid4().hex}"


# 4. Body default ---------------------------------------------------------------------------


def test_post_without_body_sends_the_input_columns_json_typed(
    spark: SparkSession, mock_api: MockApi
) -> None:
    out = rest_api_call(
        rows_df(spark), url=unique(mock_api, "/echo/body"), method="POST", schema=ECHO
    )
    bodies = {r.id: (json.loads(r.body), r.headers["content-type"]) for r in out.collect()}
    assert bodies == {r["id"]: (r, "application/json") for r in ROWS}

    picked = rest_read(
        spark,
        url=unique(mock_api, "/echo/picked"),
        inputData=json.dumps(ROWS),
        method="PUT",
        bodyColumns="id,tags",
        schema=ECHO,
    )
    assert sorted(json.loads(r.body)["id"] for r in picked.collect()) == [1, 2]
    assert {tuple(sorted(json.loads(r.body))) for r in picked.collect()} == {("id", "tags")}


# 5. Batch endpoints answering a bare array ---------------------------------------------------


def test_bare_array_batch_answers_need_no_options(spark: SparkSession, mock_api: MockApi) -> None:
    ids = spark.range(1, 8, 1, 1).withColumnRenamed("id", "customer_id")
    by_position = rest_api_call(
        ids,
        url=f"{mock_api.url}/customers/batch/bare",
        batch_key="customer_id",
        batch_request_size=3,
        schema="name STRING, score INT",
        cache=False,
    ).collect()
    assert sorted((r.customer_id, r.name, r._status) for r in by_position) == [
        (i, f"customer-{i}", 200) for i in range(1, 8)
    ]
    by_key = rest_read(
        spark,
        url=f"{mock_api.url}/customers/batch/bare",
        inputData=json.dumps([{"customer_id": i} for i in (5, 9)]),
        batchKey="customer_id",
        batchResultKey="customer_id",
        schema="name STRING",
        cache="false",
    ).collect()
    assert sorted((r.customer_id, r.name) for r in by_key) == [(5, "customer-5"), (9, "customer-9")]


def test_batch_results_not_found_name_the_option_and_the_shape(
    spark: SparkSession, mock_api: MockApi
) -> None:
    for df in (
        rest_api_call(
            spark.range(1, 3).withColumnRenamed("id", "k"),
            url=unique(mock_api, "/echo/batch"),
            batch_key="k",
        ),
        rest_read(spark, url=unique(mock_api, "/echo/batch"), inputData='[{"k": 1}]', batchKey="k"),
    ):
        errors = {r._error for r in df.collect()}
        (error,) = errors
        assert "batchResultsField 'results'" in error, error
        assert "method: string" in error and "headers: object" in error, error


# 6. Migration from rwforest's rest data source -----------------------------------------


def test_rwforest_auth_headers_cookie_and_timeouts(spark: SparkSession, mock_api: MockApi) -> None:
    row = rest_read(
        spark,
        url=unique(mock_api, "/echo/rw") + "/{id}",
        inputData='[{"id": 1}]',
        authType="Basic",
        userId="user",
        userPassword="pass",
        headers='{"X-Tenant": "acme"}',
        cookie="session=abc",
        connectionTimeout="2000",
        readTimeout="10000",
        schema=ECHO,
    ).first()
    assert row.headers["authorization"] == "Basic dXNlcjpwYXNz"
    assert (row.headers["x-tenant"], row.headers["cookie"]) == ("acme", "session=abc")

    slow = rest_api_call(
        spark.range(1).withColumnRenamed("id", "n"),
        url=f"{mock_api.url}/slow/3000?n={{n}}&t={uuid.uuid4().hex}",
        readTimeout=200,
        max_retries=0,
    ).first()
    assert slow._status is None and "timeout" in slow._error, slow

    with pytest.raises(Exception, match="OAuth1"):
        rest_read(spark, url=f"{mock_api.url}/echo", inputData='[{"id": 1}]', authType="OAuth1")


def test_rwforest_query_type_post_input_format_and_output(
    spark: SparkSession, mock_api: MockApi
) -> None:
    data = '[{"id": 1, "q": "a b"}, {"id": 2, "q": "c&d"}]'
    params = rest_read(
        spark,
        url=unique(mock_api, "/echo/qs") + "?fixed=1",
        inputData=data,
        queryType="querystring",
        schema=ECHO,
    ).collect()
    assert sorted((r.args["id"], r.args["q"], r.args["fixed"]) for r in params) == [
        ("1", "a b", "1"),
        ("2", "c&d", "1"),
    ]
    form = rest_api_call(
        spark.createDataFrame([(1, "a b")], "id INT, q STRING"),
        url=unique(mock_api, "/echo/form"),
        method="POST",
        postInputFormat="form",
        schema=ECHO,
    ).first()
    assert form.body == "id=1&q=a+b"
    assert form.headers["content-type"] == "application/x-www-form-urlencoded"

    only_results = rest_read(
        spark,
        url=f"{mock_api.url}/customers/{{customer_id}}?t=issue9-inputs",
        inputData='[{"customer_id": 4}]',
        includeInputsInOutput="N",
        jsonPath="$.address",
        schema="city STRING",
        partitions="3",
        streaming="false",
    )
    assert only_results.columns == ["city", "_status", "_error"]
    assert [tuple(r) for r in only_results.collect()] == [("city-4", 200, None)]
    spread = rest_api_call(
        spark.range(0, 10, 1, 1),
        url=f"{mock_api.url}/customers/{{id}}?t=issue9-partitions",
        partitions=3,
    )
    assert spread.rdd.getNumPartitions() == 3
    assert spread.count() == 10
