"""Security through Spark: secrets never appear in plans, the UI's plan, row errors or the
driver's log (native logging at trace level included); allowedHosts; CR/LF header values;
URL-encoding of substituted values; unknown options with a suggestion."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from pyspark.sql import DataFrame, SparkSession

from engine_child import run_child
from mockapi import MockApi
from spark_rest import rest_api_call

SECRET = "Sup3r-s3cret-t0ken-value"
ENV_SECRET = "Env-s3cret-t0ken-value"
ENV_NAME = "SPARK_REST_E2E_SECRET"

# Runs in a fresh process so that its JVM's stderr (where Spark and the native engine log)
# is captured in full. `api_url` and `secret` come from the test.
SECRETS_SNIPPET = """
MODES = ("simple", "extended", "formatted", "cost", "codegen")
utils = spark.sparkContext._jvm.org.apache.spark.sql.api.python.PythonSQLUtils
store = spark._jsparkSession.sharedState().statusStore()
customers = spark.range(0, 30, 1, 2).withColumnRenamed("id", "cid")
url = api_url + "/customers/{cid}"
cases = {
    "bearer": {"auth": "bearer", "token": secret},
    "bearer-wrong": {"auth": "bearer", "token": secret + "-wrong"},
    "env": {"auth": "bearer", "token": "env:" + env_name},
    "header": {"options": {"header.Authorization": "Bearer " + secret}},
    "headers-json": {"headers": {"Authorization": "Bearer " + secret, "X-Plain": "shown"}},
    "basic": {"auth": "basic", "user_id": "u", "user_password": secret},
    "apikey": {"auth": "apikey", "api_key": secret},
    "oauth2": {
        "auth": "oauth2", "oauth2_token_url": api_url + "/oauth/token",
        "oauth2_client_id": "client", "oauth2_client_secret": secret,
    },
    "dead-host": {"auth": "bearer", "token": secret, "url": "http://127.0.0.1:9/x/{cid}"},
}
for name, options in cases.items():
    options = dict(options)
    df = rest_api_call(customers, url=options.pop("url", url), max_retries=1,
                       retry_backoff=1, connect_timeout=500, **options)
    qe = df._jdf.queryExecution()
    texts = {"queryExecution": str(qe.toString()),
             "executedPlan": str(qe.executedPlan().toString())}
    for mode in MODES:
        texts["explain " + mode] = str(utils.explainString(qe, mode))
    rows = df.collect()
    texts["errors"] = "\\n".join(sorted({r._error or "" for r in rows}))
    count = int(store.executionsCount())
    execution = store.executionsList(count - 1, 1).apply(0)
    texts["ui plan"] = str(execution.physicalPlanDescription())
    nodes = store.planGraph(execution.executionId()).allNodes()
    texts["ui graph"] = "\\n".join(
        str(nodes.apply(i).name()) + " " + str(nodes.apply(i).desc()) for i in range(nodes.size()))
    statuses = sorted({r._status or 0 for r in rows})
    emit({"case": name, "statuses": statuses, "texts": texts})
    print(texts["explain extended"])
"""


def ids(spark: SparkSession, n: int, partitions: int = 2) -> DataFrame:
    return spark.range(0, n, 1, partitions).withColumnRenamed("id", "cid")


def test_secrets_never_appear_in_plans_errors_or_logs() -> None:
    oauth = {"oauth_client_id": "client", "oauth_client_secret": "other"}
    with MockApi(require_token=SECRET, **oauth) as api:
        snippet = f"api_url = {api.url!r}\nsecret = {SECRET!r}\nenv_name = {ENV_NAME!r}\n"
        run = run_child(
            snippet + SECRETS_SNIPPET,
            conf={"spark.rest.logLevel": "trace"},
            env={ENV_NAME: ENV_SECRET},
        )
    by_case = {r["case"]: r for r in run.results}
    assert len(by_case) == 9, run.stdout[-3000:]
    # The secrets did their job: the right token got in, the wrong ones did not.
    assert by_case["bearer"]["statuses"] == [200]
    assert by_case["header"]["statuses"] == [200]
    assert by_case["headers-json"]["statuses"] == [200]
    assert by_case["bearer-wrong"]["statuses"] == [401]
    assert by_case["env"]["statuses"] == [401]  # the server wants SECRET, not ENV_SECRET
    assert by_case["dead-host"]["statuses"] == [0]
    for case in by_case.values():
        for name, text in case["texts"].items():
            for secret in (SECRET, ENV_SECRET):
                assert secret not in text, f"{case['case']}: secret in {name}:\n{text}"
    assert "RestApiCall" in by_case["bearer"]["texts"]["ui plan"]
    assert "X-Plain" in by_case["headers-json"]["texts"]["explain extended"]
    # The whole output of the driver: Spark's log and the engine's trace-level log.
    assert "spark-rest engine created" in run.stderr, run.stderr[-3000:]
    for secret in (SECRET, ENV_SECRET):
        assert secret not in run.output, "a secret is in the driver's output"


def test_allowed_hosts(spark: SparkSession, mock_api: MockApi) -> None:
    hosts = spark.createDataFrame(
        [(1, "127.0.0.1"), (2, "localhost"), (3, "127.0.0.1"), (4, "example.com")],
        "cid INT, host STRING",
    ).repartition(1)
    url = f"http://{{host}}:{mock_api.port}/customers/{{cid}}"
    with pytest.raises(Exception, match="allowedHosts"):
        rest_api_call(hosts, url=url)  # a templated host needs allowedHosts
    rows = rest_api_call(hosts, url=url, allowed_hosts="127.0.0.1").collect()
    assert [(r.cid, r._status) for r in rows] == [(1, 200), (2, None), (3, 200), (4, None)]
    for r in (rows[1], rows[3]):
        assert "allowedHosts" in r._error and r.host in r._error, r
    assert mock_api.stats()["total"] == 2


def test_header_values_with_cr_or_lf_are_refused_at_analysis(
    spark: SparkSession, mock_api: MockApi
) -> None:
    url = f"{mock_api.url}/echo/{{cid}}"
    with pytest.raises(Exception, match="CR, LF"):
        rest_api_call(ids(spark, 1), url=url, headers={"X-Evil": "a\r\nX-Injected: 1"})
    with pytest.raises(Exception, match="CR, LF"):
        rest_api_call(ids(spark, 1), url=url, options={"header.X-Evil": "a\nb"})
    assert mock_api.stats()["total"] == 0


def test_substituted_values_are_encoded(spark: SparkSession, mock_api: MockApi) -> None:
    values = ["a/b?c=d&e f#g", 'quo"te\\back', "ünï €", "../../etc"]
    df = spark.createDataFrame(list(enumerate(values)), "k INT, v STRING").repartition(1)
    rows = rest_api_call(
        df,
        url=f"{mock_api.url}/echo/x/{{v}}?q={{v}}",
        method="POST",
        body='{"v": "{v}", "k": {k}}',
        schema="path STRING, args MAP<STRING, STRING>, body STRING",
    ).collect()
    for r in rows:
        assert r._error is None, r
        assert r.path == "/echo/x/" + quote(r.v, safe=""), r.path  # one path segment
        assert r.args == {"q": r.v}  # one parameter, decoded back to the value
        assert json.loads(r.body) == {"v": r.v, "k": r.k}  # JSON-escaped in the body


def test_unknown_option_suggests_the_name(spark: SparkSession, mock_api: MockApi) -> None:
    url = f"{mock_api.url}/customers/{{cid}}"
    with pytest.raises(Exception, match="Did you mean 'concurrency'"):
        rest_api_call(ids(spark, 1), url=url, concurrancy=4)
    with pytest.raises(Exception, match="Did you mean 'rateLimit'"):
        rest_api_call(ids(spark, 1), url=url, rate_limt=5)
    assert mock_api.stats()["total"] == 0


def test_log_level_conf_is_checked(spark: SparkSession, mock_api: MockApi) -> None:
    spark.conf.set("spark.rest.logLevel", "loud")
    try:
        with pytest.raises(Exception, match=r"spark\.rest\.logLevel"):
            rest_api_call(ids(spark, 1), url=f"{mock_api.url}/customers/{{cid}}")
    finally:
        spark.conf.unset("spark.rest.logLevel")
