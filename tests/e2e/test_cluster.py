"""spark-rest on a real standalone cluster (master + 2 workers on loopback):
the jar shipped with `spark-submit --jars`, the library extracted on each
executor, every row enriched exactly once, and the rate limit holding for the
whole query across both executors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from helpers import examples_jar, jar_under_test
from mockapi import MockApi
from standalone import SPARK_HOME, StandaloneCluster, spark_env

SUBMIT_TIMEOUT = 420


def submit(master: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(SPARK_HOME / "bin" / "spark-submit"),
        "--master", master,
        "--conf", "spark.ui.enabled=false",
        "--conf", "spark.executor.memory=768m",
        "--jars", str(jar_under_test()),
        *args,
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT, env=spark_env()
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"spark-submit did not finish in {SUBMIT_TIMEOUT}s: {exc.stderr!s:.4000}")
    assert result.returncode == 0, (
        f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-6000:]}"
    )
    return result


@pytest.fixture(scope="module")
def cluster():
    with StandaloneCluster(workers=2) as running:
        yield running


def test_scala_program_on_two_executors(cluster: StandaloneCluster, tmp_path: Path) -> None:
    rows = 4_000
    with MockApi(latency_ms=2) as api:
        out = tmp_path / "out"
        result = submit(
            cluster.master_url,
            "--class", "io.sparkrest.examples.EnrichCustomers",
            str(examples_jar()), api.url, str(rows), str(out), "8",
        )  # fmt: skip
        assert f"ROWS {rows}" in result.stdout
        stats = api.stats()
    table = pq.read_table(out).to_pylist()
    ids = sorted(r["customer_id"] for r in table)
    assert ids == list(range(rows))
    assert all(r["_status"] == 200 and r["_error"] is None for r in table)
    assert stats["total"] == rows


RATE_JOB = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[3])
    from pyspark.sql import SparkSession
    from spark_rest import rest_api_call
    import time
    spark = SparkSession.builder.getOrCreate()
    # The rate is shared among the executors registered when the query is
    # planned: wait for both, as a production job would by its first stage.
    deadline = time.time() + 60
    while spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() < 3:
        assert time.time() < deadline, "executors did not register"
        time.sleep(0.2)
    df = spark.range(int(sys.argv[2])).withColumnRenamed("id", "customer_id").repartition(4)
    out = rest_api_call(df, url=sys.argv[1] + "/customers/{customer_id}",
                        rate_limit=40, concurrency=8)
    print("OK", out.where("_status = 200").count())
    """
)


def test_rate_limit_holds_for_the_whole_query_across_executors(
    cluster: StandaloneCluster, tmp_path: Path
) -> None:
    rows = 400  # ten seconds at 40 requests per second
    job = tmp_path / "rate_job.py"
    job.write_text(RATE_JOB)
    python_dir = Path(__file__).resolve().parents[2] / "python"
    with MockApi() as api:
        result = submit(
            cluster.master_url,
            "--conf", f"spark.pyspark.python={sys.executable}",
            str(job), api.url, str(rows), str(python_dir),
        )  # fmt: skip
        stats = api.stats()
    assert f"OK {rows}" in result.stdout, result.stdout[-2000:]
    assert stats["total"] == rows
    # Both executors together, any one-second window.
    assert stats["max_per_second_sliding"] <= 40, stats
