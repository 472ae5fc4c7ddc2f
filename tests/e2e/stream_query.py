"""A streaming query of the ``rest`` source writing Parquet with a checkpoint, run as its
own process so that the streaming suites can kill it (SIGKILL of its process group: the
Python driver and its JVM at once) and restart it from the same checkpoint.

    python stream_query.py '{"jar": ..., "options": {...}, "out": DIR, "checkpoint": DIR,
                             "trigger": "available_now" | "processing"}'

Prints ``STARTED``, then one ``PROGRESS <json>`` line per finished micro-batch (batch id,
input rows, end offset, the source's metrics), and ``DONE <json>`` when an AvailableNow
query ends. A processing-time query runs until it is killed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def emit(kind: str, value: Any = None) -> None:
    print(kind if value is None else f"{kind} {json.dumps(value)}", flush=True)


def progress_record(progress: Any) -> dict[str, Any]:
    """The fields the suites check, from the progress's own JSON (offsets as objects)."""
    progress = json.loads(progress.json)
    source = (progress.get("sources") or [{}])[0]
    return {
        "batchId": progress.get("batchId"),
        "numInputRows": progress.get("numInputRows"),
        "endOffset": source.get("endOffset"),
        "metrics": source.get("metrics", {}),
    }


def main(job: dict[str, Any]) -> None:
    sys.path.insert(0, str(HERE))
    from pyspark.sql import SparkSession

    import helpers  # noqa: F401  (puts python/ on sys.path)
    from spark_rest import with_spark_rest

    builder = (
        SparkSession.builder.master("local[2]")
        .appName("spark-rest-stream-query")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
    )
    for key, value in job.get("conf", {}).items():
        builder = builder.config(key, value)
    spark = with_spark_rest(builder, jar=job["jar"]).getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    reader = spark.readStream.format("rest")
    for key, value in job["options"].items():
        reader = reader.option(key, value)
    writer = (
        reader.load()
        .writeStream.format("parquet")
        .option("path", job["out"])
        .option("checkpointLocation", job["checkpoint"])
    )
    if job["trigger"] == "available_now":
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime="200 milliseconds")
    query = writer.start()
    emit("STARTED")
    seen = -1
    while True:
        active = query.isActive
        for progress in query.recentProgress:
            if progress["batchId"] > seen and progress["numInputRows"] > 0:
                seen = progress["batchId"]
                emit("PROGRESS", progress_record(progress))
        if not active:
            break
        time.sleep(0.1)
    error = query.exception()
    if error is not None:
        raise RuntimeError(f"query failed: {error}")
    last = query.lastProgress
    emit("DONE", progress_record(last) if last else {})
    spark.stop()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
