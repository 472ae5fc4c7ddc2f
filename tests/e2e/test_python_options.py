"""The shim's option conversion, end to end: snake_case names, booleans, dict headers,
dotted header options, a StructType schema and a POST body reach the API as meant."""

from __future__ import annotations

import json

from pyspark.sql import SparkSession
from pyspark.sql.types import LongType, StringType, StructField, StructType

from mockapi import MockApi
from spark_rest import rest_api_call

ROWS = 20

HEADERS = StructType([StructField("x-tenant", StringType()), StructField("x-trace", StringType())])
ECHO_SCHEMA = StructType(
    [
        StructField("method", StringType()),
        StructField("path", StringType()),
        StructField("headers", HEADERS),
        StructField("body", StringType()),
    ]
)


def test_python_options_reach_the_api(spark: SparkSession, mock_api: MockApi) -> None:
    customers = spark.range(0, ROWS, 1, 2).selectExpr(
        "id AS customer_id", "concat('name \"', id, '\"') AS name"
    )
    enriched = rest_api_call(
        customers,
        url=f"{mock_api.url}/echo/customers/{{customer_id}}",
        options={"header.X-Tenant": "acme"},
        method="POST",
        body='{"id": {customer_id}, "name": "{name}"}',
        headers={"X-Trace": "trace-1"},
        schema=ECHO_SCHEMA,
        max_retries=0,
        retry_backoff=10,
        connect_timeout=2000,
        request_timeout=10_000,
        cache=False,
        cache_ttl_seconds=60,
        arrowBatchSize=8,  # camelCase works too
    )
    assert enriched.columns == [
        "customer_id",
        "name",
        "method",
        "path",
        "headers",
        "body",
        "_status",
        "_error",
    ]
    assert isinstance(enriched.schema["headers"].dataType, StructType)
    assert isinstance(enriched.schema["customer_id"].dataType, LongType)

    rows = enriched.orderBy("customer_id").collect()
    assert len(rows) == ROWS
    for row in rows:
        cid = row.customer_id
        assert (row._status, row._error) == (200, None), row
        assert row.method == "POST", row
        assert row.path == f"/echo/customers/{cid}", row
        assert (row.headers["x-tenant"], row.headers["x-trace"]) == ("acme", "trace-1"), row
        # {name} was JSON-escaped into the body: the quotes survive as data.
        assert json.loads(row.body) == {"id": cid, "name": f'name "{cid}"'}, row
    assert mock_api.stats()["total"] == ROWS
