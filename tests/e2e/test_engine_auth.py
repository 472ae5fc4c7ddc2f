"""Authentication through Spark: bearer, basic and API-key headers (checked on /echo),
OAuth2 client credentials against the mock's token endpoint, and `env:NAME` secrets."""

from __future__ import annotations

import base64
import os

import pytest
from pyspark.sql import DataFrame, SparkSession

from mockapi import MockApi
from spark_rest import last_query_metrics, rest_api_call

ENV_NAME = "SPARK_REST_E2E_ENV_TOKEN"
ENV_TOKEN = "env-t0ken-for-e2e"
# `env:NAME` is read by the engine from its own process environment: in local mode the
# driver's JVM, which inherits this process's environment when the session starts. Pytest
# imports every module before the first fixture runs, so this is set before the `spark`
# fixture starts the JVM.
os.environ[ENV_NAME] = ENV_TOKEN

CLIENT_ID = "spark-rest-client"
CLIENT_SECRET = "cl1ent-s3cret"
HEADERS_SCHEMA = "headers MAP<STRING, STRING>"


def ids(spark: SparkSession, n: int, partitions: int = 2) -> DataFrame:
    return spark.range(0, n, 1, partitions).withColumnRenamed("id", "cid")


def echoed_headers(spark: SparkSession, api: MockApi, **options: object) -> list[dict[str, str]]:
    rows = rest_api_call(
        ids(spark, 3), url=f"{api.url}/echo/auth/{{cid}}", schema=HEADERS_SCHEMA, **options
    ).collect()
    assert all(r._status == 200 and r._error is None for r in rows), rows
    return [r.headers for r in rows]


def test_bearer_basic_and_api_key_headers(spark: SparkSession, mock_api: MockApi) -> None:
    for headers in echoed_headers(spark, mock_api, auth="bearer", token="t0k-bearer"):
        assert headers["authorization"] == "Bearer t0k-bearer"

    basic = "Basic " + base64.b64encode(b"alice:pa55:word").decode()
    for headers in echoed_headers(
        spark, mock_api, auth="basic", user_id="alice", user_password="pa55:word"
    ):
        assert headers["authorization"] == basic

    for headers in echoed_headers(spark, mock_api, auth="apikey", api_key="k3y-1"):
        assert headers["x-api-key"] == "k3y-1" and "authorization" not in headers
    for headers in echoed_headers(
        spark, mock_api, auth="apikey", api_key="k3y-2", api_key_header="X-Custom-Key"
    ):
        assert headers["x-custom-key"] == "k3y-2" and "x-api-key" not in headers


def test_oauth2_fetches_one_token_for_the_executor(spark: SparkSession) -> None:
    n = 300
    with MockApi(oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET) as api:
        rows = rest_api_call(
            ids(spark, n),
            url=f"{api.url}/customers/{{cid}}",
            schema="customer_id BIGINT",
            auth="oauth2",
            oauth2_token_url=f"{api.url}/oauth/token",
            oauth2_client_id=CLIENT_ID,
            oauth2_client_secret=CLIENT_SECRET,
            concurrency=8,
        ).collect()
        stats = api.stats()
    assert len(rows) == n
    assert all(r._status == 200 and r.customer_id == r.cid for r in rows), rows[:3]
    assert stats["tokens_issued"] == 1, stats
    assert int(last_query_metrics(spark)["number of OAuth2 token fetches"]) == 1


def test_oauth2_wrong_secret_fails_rows_without_showing_it(spark: SparkSession) -> None:
    wrong = "wr0ng-cl1ent-s3cret"
    with MockApi(oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET) as api:
        rows = rest_api_call(
            ids(spark, 5),
            url=f"{api.url}/customers/{{cid}}",
            auth="oauth2",
            oauth2_token_url=f"{api.url}/oauth/token",
            oauth2_client_id=CLIENT_ID,
            oauth2_client_secret=wrong,
            max_retries=0,
        ).collect()
    assert len(rows) == 5
    for r in rows:
        assert r._status is None and r._error and "token" in r._error.lower(), r
        assert wrong not in r._error


def test_env_token(spark: SparkSession) -> None:
    seen = spark.sparkContext._jvm.java.lang.System.getenv(ENV_NAME)
    if seen != ENV_TOKEN:
        pytest.fail(f"the Spark JVM started before {ENV_NAME} was set; run this module first")
    with MockApi(require_token=ENV_TOKEN) as api:
        enriched = rest_api_call(
            ids(spark, 20),
            url=f"{api.url}/customers/{{cid}}",
            auth="bearer",
            token=f"env:{ENV_NAME}",
        )
        plan = str(enriched._jdf.queryExecution().toString())
        rows = enriched.collect()
    assert f"env:{ENV_NAME}" in plan or "*****" in plan
    assert ENV_TOKEN not in plan
    assert all(r._status == 200 for r in rows), rows[:3]


def test_missing_env_secret_fails_the_rows_or_task_naming_the_variable(
    spark: SparkSession, mock_api: MockApi
) -> None:
    name = "SPARK_REST_E2E_NOT_SET"
    assert name not in os.environ
    with pytest.raises(Exception, match=name):
        rest_api_call(
            ids(spark, 2),
            url=f"{mock_api.url}/customers/{{cid}}?suite=env-missing",
            auth="bearer",
            token=f"env:{name}",
        ).collect()
    assert mock_api.stats()["total"] == 0
