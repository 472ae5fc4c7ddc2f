"""A query-wide `rateLimit` under dynamic allocation on the standalone cluster: the rate is
divided by `spark.dynamicAllocation.maxExecutors`, so a worker that joins mid-query, and the
executor dynamic allocation starts on it, never push the total above the limit. (An unset
maxExecutors is refused: `RateShareSuite`.)"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from helpers import jar_under_test
from mockapi import MockApi
from standalone import SPARK_HOME, StandaloneCluster, spark_env

RATE = 40
ROWS = 600  # 15 s at 40/s; at 20/s (one executor's share) until the second joins
SUBMIT_TIMEOUT = 300

JOB = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[3])
    from pyspark.sql import SparkSession
    from spark_rest import rest_api_call
    spark = SparkSession.builder.getOrCreate()
    df = spark.range(0, int(sys.argv[2]), 1, 12).withColumnRenamed("id", "customer_id")
    out = rest_api_call(df, url=sys.argv[1] + "/customers/{customer_id}",
                        rate_limit=int(sys.argv[4]), concurrency=4, cache=False)
    ok = out.where("_status = 200").count()
    executors = spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1
    print("OK", ok, "EXECUTORS", executors)
    """
)


def test_rate_limit_holds_while_a_worker_joins_mid_query(tmp_path: Path) -> None:
    job = tmp_path / "dynamic_job.py"
    job.write_text(JOB)
    python_dir = Path(__file__).resolve().parents[2] / "python"
    with StandaloneCluster(workers=1) as cluster, MockApi() as api:
        command = [
            str(SPARK_HOME / "bin" / "spark-submit"),
            "--master", cluster.master_url,
            "--conf", "spark.ui.enabled=false",
            "--conf", "spark.executor.memory=768m",
            "--conf", "spark.executor.cores=1",
            "--conf", "spark.dynamicAllocation.enabled=true",
            "--conf", "spark.dynamicAllocation.shuffleTracking.enabled=true",
            "--conf", "spark.dynamicAllocation.minExecutors=1",
            "--conf", "spark.dynamicAllocation.initialExecutors=1",
            "--conf", "spark.dynamicAllocation.maxExecutors=2",
            "--conf", "spark.dynamicAllocation.schedulerBacklogTimeout=1s",
            "--conf", "spark.dynamicAllocation.sustainedSchedulerBacklogTimeout=1s",
            "--conf", f"spark.pyspark.python={sys.executable}",
            "--jars", str(jar_under_test()),
            str(job), api.url, str(ROWS), str(python_dir), str(RATE),
        ]  # fmt: skip
        submitted = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=spark_env()
        )
        try:
            # The query runs on the first executor: then a second worker joins.
            deadline = time.monotonic() + 120
            while api.stats()["total"] < 20:
                assert submitted.poll() is None, submitted.communicate()[1][-4000:]
                assert time.monotonic() < deadline, "the query never started"
                time.sleep(0.2)
            joined_at = api.stats()["total"]
            cluster.add_worker()
            stdout, stderr = submitted.communicate(timeout=SUBMIT_TIMEOUT)
        except BaseException:
            submitted.kill()
            submitted.communicate()
            raise
        stats = api.stats()
    assert submitted.returncode == 0, f"stdout:\n{stdout[-3000:]}\nstderr:\n{stderr[-6000:]}"
    assert f"OK {ROWS}" in stdout, stdout[-2000:]
    executors = int(stdout.split("EXECUTORS")[-1].split()[0])
    assert executors >= 2, f"no second executor joined: {stdout[-2000:]}"
    assert joined_at < ROWS and stats["total"] == ROWS
    # Both executors together, in any one-second window: never above the query's rate...
    assert stats["max_per_second_sliding"] <= RATE, stats
    # ...and both did send at once (one executor's share alone is RATE/2 per second).
    assert stats["max_per_second_sliding"] > RATE / 2 + 3, stats
