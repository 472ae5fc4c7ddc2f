"""The plan shows the operator and its url, never a secret; bearer auth works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from helpers import status_count
from mockapi import MockApi
from spark_rest import rest_api_call

SECRET = "s3cr3t-value"
WRONG_SECRET = "wr0ng-s3cr3t"
ROWS = 50
NODE = "RestApiCall"
EXPLAIN_MODES = ("simple", "extended", "formatted", "cost", "codegen")


@pytest.fixture(scope="module")
def secured_api() -> Iterator[MockApi]:
    with MockApi(require_token=SECRET) as api:
        yield api


def customers(spark: SparkSession) -> DataFrame:
    return spark.range(0, ROWS, 1, 2).withColumnRenamed("id", "customer_id")


def plan_texts(df: DataFrame) -> dict[str, str]:
    """Every textual form of the plan a user (or the UI) can see before running it."""
    query = df._jdf.queryExecution()
    utils = df.sparkSession.sparkContext._jvm.org.apache.spark.sql.api.python.PythonSQLUtils
    texts = {"queryExecution": str(query.toString())}
    for mode in EXPLAIN_MODES:
        texts[f"explain {mode}"] = str(utils.explainString(query, mode))
    return texts


def last_execution_texts(spark: SparkSession) -> dict[str, str]:
    """What the Spark UI shows of the newest SQL execution: plan description and nodes."""
    store = spark._jsparkSession.sharedState().statusStore()
    count = int(store.executionsCount())
    execution: Any = store.executionsList(count - 1, 1).apply(0)
    nodes = store.planGraph(execution.executionId()).allNodes()
    graph = "\n".join(
        f"{nodes.apply(i).name()} {nodes.apply(i).desc()}" for i in range(nodes.size())
    )
    return {"UI plan description": str(execution.physicalPlanDescription()), "UI graph": graph}


@pytest.mark.parametrize(
    "secret_options",
    [
        {"auth": "bearer", "token": SECRET},
        {"header.Authorization": f"Bearer {SECRET}"},
    ],
    ids=["token", "authorization-header"],
)
def test_plan_shows_node_and_url_but_no_secret(
    spark: SparkSession, secured_api: MockApi, secret_options: dict[str, str]
) -> None:
    secured_api.reset()
    url = f"{secured_api.url}/customers/{{customer_id}}"
    enriched = rest_api_call(customers(spark), url=url, options=secret_options)

    texts = plan_texts(enriched)
    for name, text in texts.items():
        assert SECRET not in text, f"secret in {name}:\n{text}"
    assert NODE.lower() in texts["queryExecution"].lower(), texts["queryExecution"]
    assert url in texts["queryExecution"], texts["queryExecution"]

    # The data path authenticates with the secret.
    rows = enriched.collect()
    assert len(rows) == ROWS
    failed = [row for row in rows if row._status != 200 or row._error is not None]
    assert not failed, failed[:3]
    assert status_count(secured_api.stats(), 200) == ROWS

    for name, text in last_execution_texts(spark).items():
        assert SECRET not in text, f"secret in {name}:\n{text}"


def test_wrong_token_is_a_row_error_without_the_token(
    spark: SparkSession, secured_api: MockApi
) -> None:
    secured_api.reset()
    enriched = rest_api_call(
        customers(spark),
        url=f"{secured_api.url}/customers/{{customer_id}}",
        auth="bearer",
        token=WRONG_SECRET,
        max_retries=0,
    )
    rows = enriched.collect()
    assert len(rows) == ROWS
    for row in rows:
        assert row._status == 401, row
        assert row._error and WRONG_SECRET not in row._error, row
