"""spark-rest demo (`make demo`): enrich 100,000 rows from a REST API in PySpark.

Starts the project's mock API (2 ms latency per request), enriches every row of a
DataFrame through the native engine with `rest_api_call`, parses the raw JSON in
Spark, writes Parquet under out/demo/ and prints a sample, the throughput, the
engine's SQL metrics and what the API server saw. No Python worker runs: the HTTP
calls happen in the executor JVM's native engine.

    .venv/bin/python examples/demo.py [--rows N] [--concurrency N] [--out DIR]

Environment: SPARK_REST_JAR overrides the jar (default: the installed pyspark's line's
dist/spark-rest-spark<X.Y>.jar).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))  # the shim, from the source tree
sys.path.insert(0, str(ROOT / "tests"))  # mockapi: starts the mock API server

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from mockapi import MockApi  # noqa: E402
from spark_rest import last_query_metrics, rest_api_call, with_spark_rest  # noqa: E402

CUSTOMER_SCHEMA = "customer_id BIGINT, name STRING, score INT, tier STRING, ltv DOUBLE"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "demo")
    return parser.parse_args()


def find_jar() -> Path:
    env = os.environ.get("SPARK_REST_JAR")
    import pyspark

    line = ".".join(pyspark.__version__.split(".")[:2])
    jar = Path(env) if env else ROOT / "dist" / f"spark-rest-spark{line}.jar"
    if not jar.is_file():
        sys.exit(f"demo: {jar} not found; run `make build` first")
    return jar.resolve()


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def main() -> int:
    args = parse_args()
    jar = find_jar()
    output = args.out.resolve() / "customers.parquet"

    with MockApi(latency_ms=args.latency_ms) as api:
        builder = (
            SparkSession.builder.master("local[2]")
            .appName("spark-rest-demo")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.showConsoleProgress", "false")
        )
        spark = with_spark_rest(builder, jar=jar).getOrCreate()
        spark.sparkContext.setLogLevel("WARN")
        try:
            return run(spark, api, args, output)
        finally:
            spark.stop()


def run(spark: SparkSession, api: MockApi, args: argparse.Namespace, output: Path) -> int:
    customers = spark.range(0, args.rows, 1, args.partitions).withColumnRenamed("id", "customer_id")
    url = f"{api.url}/customers/{{customer_id}}"
    enriched = rest_api_call(customers, url=url, concurrency=args.concurrency)
    parsed = enriched.select(
        "customer_id",
        F.from_json("output", CUSTOMER_SCHEMA).alias("customer"),
        "_status",
        "_error",
    ).select(
        "customer_id",
        "customer.name",
        "customer.score",
        "customer.tier",
        "customer.ltv",
        "_status",
        "_error",
    )

    banner("physical plan (no Python operator: the rows stay in the JVM)")
    print(str(enriched._jdf.queryExecution().executedPlan().toString()).strip())
    api.reset()

    banner(f"enriching {args.rows:,} rows ({args.latency_ms} ms API latency)")
    started = time.monotonic()
    parsed.write.mode("overwrite").parquet(str(output))
    elapsed = time.monotonic() - started
    metrics = last_query_metrics(spark)
    server = api.stats()

    result = spark.read.parquet(str(output))
    count = result.count()
    failed = result.where("_status IS NULL OR _status <> 200 OR _error IS NOT NULL").count()

    banner("sample")
    result.orderBy("customer_id").show(5, truncate=False)
    banner("tiers")
    result.groupBy("tier").agg(
        F.count("*").alias("rows"), F.avg("score").alias("avg_score")
    ).orderBy("tier").show()

    banner("summary")
    print(f"rows written      : {count:,} -> {output}")
    print(f"rows failed       : {failed:,}")
    print(f"elapsed           : {elapsed:.1f} s")
    print(f"rows per second   : {count / elapsed:,.0f}")

    banner("engine metrics (SQL metrics of the RestApiCall node)")
    if metrics:
        width = max(len(name) for name in metrics)
        # Counts first ("number of ..."), then sizes and timings.
        for name in sorted(metrics, key=lambda n: (not n.startswith("number"), n)):
            print(f"{name:<{width}} : {metric_display(name, metrics[name])}")
    else:
        print("(no RestApiCall node found in the last query)")

    banner("what the API server saw")
    for key in ("total", "by_status", "max_in_flight", "max_per_second"):
        print(f"{key:<15} : {server.get(key)}")

    if count != args.rows or failed:
        print(f"\ndemo: FAILED ({count:,} rows written, {failed:,} failed)", file=sys.stderr)
        return 1
    print("\ndemo: OK")
    return 0


def metric_display(name: str, value: str) -> str:
    """Spark renders size and timing metrics as a header line plus
    "total (min, med, max (stage: task))"; show the total (or, for metrics that are
    a maximum per task, the largest one) and the per-task spread."""
    lines = value.strip().splitlines()
    if len(lines) < 2:
        return value.strip()
    total, _, spread = lines[-1].partition(" (")
    spread = spread.rsplit(" (stage", 1)[0]
    if "max in task" in name:  # summing per-task maxima means nothing
        return f"{spread.rsplit(', ', 1)[-1]}   (per task min, med, max: {spread})"
    return f"{total}   (per task min, med, max: {spread})"


if __name__ == "__main__":
    sys.exit(main())
