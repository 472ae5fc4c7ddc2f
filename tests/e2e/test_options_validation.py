"""Nothing silent (issue 9): credentials imply their auth, options apply where they have an
effect, every option is validated before any Spark job or request, seed 000's recipe names
work or name the spark-rest option and its unit, and Python values convert as meant. Each
point through the PySpark shim (``rest_api_call``) and through ``format("rest")``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyspark.errors import StreamingQueryException
from pyspark.sql import SparkSession

from mockapi import MockApi
from spark_rest import rest_api_call

ROWS = 4


def ids(spark: SparkSession, n: int = ROWS):
    return spark.range(1, n + 1, 1, 1).withColumnRenamed("id", "customer_id")


def input_data(n: int = ROWS) -> str:
    return json.dumps([{"customer_id": i} for i in range(1, n + 1)])


def jobs_of(spark: SparkSession, action: Callable[[], Any]) -> tuple[list[int], Any]:
    """Runs ``action`` in a job group of its own: the Spark jobs it started, and its result
    or the exception it raised."""
    group = f"options-{uuid.uuid4().hex}"
    context = spark.sparkContext
    context.setJobGroup(group, "issue 9 validation")
    try:
        try:
            outcome: Any = action()
        except Exception as error:
            outcome = error
        return list(context.statusTracker().getJobIdsForGroup(group)), outcome
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)


def refused(spark: SparkSession, api: MockApi, action: Callable[[], Any], *needles: str) -> str:
    """``action`` fails naming every needle, without any Spark job or request."""
    api.reset()
    jobs, outcome = jobs_of(spark, action)
    assert isinstance(outcome, Exception), f"accepted: {outcome}"
    message = str(outcome)
    for needle in needles:
        assert needle in message, f"{needle!r} not in: {message}"
    assert jobs == [], f"Spark jobs ran before the options were refused: {jobs}"
    assert api.stats()["total"] == 0, "a request went out before the options were refused"
    return message


def rest_read(spark: SparkSession, **options: str):
    reader = spark.read.format("rest")
    for name, value in options.items():
        reader = reader.option(name, value)
    return reader.load()


@pytest.fixture
def api(mock_api: MockApi) -> Iterator[MockApi]:
    yield mock_api


# 3. Validation before anything runs, on every surface ------------------------------------


def test_the_job_group_check_sees_jobs(spark: SparkSession, api: MockApi) -> None:
    """The control of the checks below: a valid read with inputData does run a job when it
    is collected, and the job group sees it."""
    jobs, outcome = jobs_of(
        spark,
        lambda: rest_read(
            spark,
            # A query string of its own: the engine cache outlives the test.
            url=f"{api.url}/customers/{{customer_id}}?t=issue9-control",
            inputData=input_data(),
        ).collect(),
    )
    assert not isinstance(outcome, Exception), outcome
    assert jobs, "the job group saw no job: the no-job checks would prove nothing"


def test_unknown_options_fail_before_any_job_or_request(spark: SparkSession, api: MockApi) -> None:
    url = f"{api.url}/customers/{{customer_id}}"
    refused(spark, api, lambda: rest_api_call(ids(spark), url=url, concurency=4), "concurrency")
    # The bug of issue 9: inputData used to be read (a Spark job) before the check.
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=url, inputData=input_data(), concurency="4"),
        "'concurency'",
        "concurrency",
    )
    # A template column missing from inputData: its schema is inferred without a job.
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=f"{api.url}/customers/{{cid}}", inputData=input_data()),
        "`cid`",
        "customer_id",
    )
    ids(spark).createOrReplaceTempView("options_validation_ids")
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=url, input="options_validation_ids", retryOnStatus="5xx"),
        "retryOnStatus",
        "5xx",
    )
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=f"{api.url}/items", paginationType="pages").collect(),
        "paginationType",
        "cursor",
    )


# 2. Options apply where they have an effect ---------------------------------------------


def test_options_outside_their_surface_fail_saying_where_they_apply(
    spark: SparkSession, api: MockApi
) -> None:
    url = f"{api.url}/customers/batch"
    hint = "for a batch endpoint use batchRequestSize with batchKey"
    refused(
        spark, api, lambda: rest_api_call(ids(spark), url=url, batch_size=100), "batchSize", hint
    )
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=url, inputData=input_data(), batchSize="100"),
        "batchSize",
        hint,
    )
    refused(
        spark,
        api,
        lambda: rest_api_call(ids(spark), url=url, pagination_type="page"),
        "paginationType",
        "paginated reads only",
    )
    # Row options in a read without input fail when the DataFrame is created.
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=f"{api.url}/items", batchKey="id"),
        "batchKey",
        "enrichments and reads with input only",
    )
    # Stream options in a paginated read fail when it is planned, before the first page.
    paged = rest_read(spark, url=f"{api.url}/items", offsetType="cursor", dataField="results")
    refused(spark, api, paged.collect, "offsetType", "streams only")


def test_page_options_in_a_stream_fail_before_the_first_poll(
    spark: SparkSession, api: MockApi, tmp_path: Any
) -> None:
    stream = (
        spark.readStream.format("rest")
        .option("url", f"{api.url}/events?since={{timestamp}}")
        .option("dataField", "events")
        .option("paginationType", "page")
        .load()
    )
    api.reset()
    query = (
        stream.writeStream.format("memory")
        .queryName(f"q_{uuid.uuid4().hex[:8]}")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .start()
    )
    try:
        with pytest.raises(StreamingQueryException, match="paginationType"):
            query.awaitTermination(120)
    finally:
        query.stop()
    assert api.stats()["total"] == 0


# 1. Credentials imply auth ---------------------------------------------------------------


def test_credentials_imply_their_auth(spark: SparkSession) -> None:
    with MockApi(require_token="s3cret") as guarded:
        url = f"{guarded.url}/customers/{{customer_id}}"
        rows = rest_api_call(
            ids(spark), url=url, token="s3cret", schema="score INT", cache=False
        ).collect()
        assert sorted((r.customer_id, r._status) for r in rows) == [
            (i, 200) for i in range(1, ROWS + 1)
        ]
        # rwforest's oauthToken through the data source.
        rows = rest_read(
            spark,
            url=url,
            inputData=input_data(),
            oauthToken="s3cret",
            schema="score INT",
            cache="false",
        ).collect()
        assert {r._status for r in rows} == {200}
        assert guarded.stats()["total"] == 2 * ROWS


def test_basic_and_api_key_credentials_are_sent(spark: SparkSession, api: MockApi) -> None:
    schema = "headers MAP<STRING, STRING>"
    url = f"{api.url}/echo/auth/{{customer_id}}"
    basic = rest_api_call(
        ids(spark, 1), url=url, user_id="user", user_password="pass", schema=schema, cache=False
    ).first()
    assert basic.headers["authorization"] == "Basic dXNlcjpwYXNz"
    keyed = rest_read(
        spark, url=url, inputData=input_data(1), apiKey="k-1", schema=schema, cache="false"
    ).first()
    assert keyed.headers["x-api-key"] == "k-1"


def test_conflicting_or_unused_credentials_fail_naming_them(
    spark: SparkSession, api: MockApi
) -> None:
    url = f"{api.url}/customers/{{customer_id}}"
    refused(
        spark,
        api,
        lambda: rest_api_call(ids(spark), url=url, token="t", api_key="k"),
        "'apiKey'",
        "'token'",
    )
    refused(
        spark,
        api,
        lambda: rest_read(
            spark, url=url, inputData=input_data(), auth="basic", userId="u", token="t"
        ),
        "'token'",
        "auth=bearer",
    )
    refused(
        spark,
        api,
        lambda: rest_api_call(ids(spark), url=url, user_password="p"),
        "userPassword",
        "userId",
    )


# 7. Seed 000's recipe names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "needles"),
    [
        ("timeout", "5", ["requestTimeout=5000", "milliseconds"]),
        ("backoff_factor", "1", ["retryBackoff", "milliseconds"]),
        ("cache_file", "cache.db", ["cacheDir"]),
        ("sleep_seconds", "0.1", ["rateLimit=10", "per second"]),
        ("batch_size", "100", ["batchRequestSize", "batchKey"]),
    ],
)
def test_recipe_names_of_another_unit_name_the_option_to_use(
    spark: SparkSession, api: MockApi, name: str, value: str, needles: list[str]
) -> None:
    url = f"{api.url}/customers/{{customer_id}}"
    refused(spark, api, lambda: rest_api_call(ids(spark), url=url, **{name: value}), *needles)
    refused(
        spark,
        api,
        lambda: rest_read(spark, url=url, inputData=input_data(), **{name: value}),
        *needles,
    )


def test_recipe_names_of_the_same_meaning_work(spark: SparkSession, api: MockApi) -> None:
    """status_forcelist retries 503s (two requests per row with one retry), where a list
    without 503 sends each request once; concurrent_requests and rate_limit_per_second
    are concurrency and rateLimit."""
    tag = uuid.uuid4().hex
    common = {"max_retries": 1, "retry_backoff": 1, "cache": False, "concurrent_requests": 2}
    api.reset()
    rows = rest_api_call(
        ids(spark),
        url=f"{api.url}/status/503?t={tag}&id={{customer_id}}",
        status_forcelist=[429, 503],
        **common,
    ).collect()
    assert {r._status for r in rows} == {503}
    assert api.stats()["total"] == 2 * ROWS
    api.reset()
    rest_read(
        spark,
        url=f"{api.url}/status/503?t={tag}-b&id={{customer_id}}",
        inputData=input_data(),
        status_forcelist="429",
        maxRetries="1",
        retryBackoff="1",
        rate_limit_per_second="1000",
        cache="false",
    ).collect()
    assert api.stats()["total"] == ROWS


# 8. Python values ----------------------------------------------------------------------


def test_python_lists_and_dicts_become_option_values(spark: SparkSession, api: MockApi) -> None:
    tag = uuid.uuid4().hex
    api.reset()
    rows = rest_api_call(
        ids(spark),
        url=f"{api.url}/status/503?t={tag}&id={{customer_id}}",
        retry_on_status=[429, 503],  # refused before issue 9
        max_retries=1,
        retry_backoff=1,
        cache=False,
    ).collect()
    assert {r._status for r in rows} == {503}
    assert api.stats()["total"] == 2 * ROWS
    api.reset()
    rest_api_call(
        ids(spark, 1),
        url=f"{api.url}/status/503?t={tag}-set&id={{customer_id}}",
        retry_on_status={429},
        max_retries=1,
        retry_backoff=1,
        headers={"X-Tenant": "a"},
        cache=False,
    ).collect()
    assert api.stats()["total"] == 1
