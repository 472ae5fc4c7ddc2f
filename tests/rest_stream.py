"""Streaming reads of the ``rest`` source and the mock API's growing feeds, shared by the
e2e suites, the line smoke and ``bench/stream.py`` (each puts ``tests/`` on ``sys.path``).

    df = read_stream(spark, {"url": feed_url(api, "f", "ids?from={offset}", shape), ...})
    query = available_now(df, "memory", checkpoint, query_name="out")

``read_stream`` and ``available_now`` work on classic and Spark Connect sessions alike.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mockapi import MockApi


def read_stream(spark: Any, options: Mapping[str, str]) -> Any:
    """``spark.readStream.format("rest")`` with ``options``, loaded."""
    reader = spark.readStream.format("rest")
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()


def available_now(
    df: Any,
    sink: str,
    checkpoint: str | Path,
    *,
    path: str | Path | None = None,
    query_name: str | None = None,
    timeout: float | None = 180,
) -> Any:
    """Runs the streaming ``df`` into ``sink`` (``memory``, ``parquet``, ``noop``) with
    ``Trigger.AvailableNow`` until it ends and returns the query. A query that fails raises
    its error (``awaitTermination`` does); one still running after ``timeout`` seconds fails
    the caller (``None`` waits as long as it takes)."""
    writer = df.writeStream.format(sink).option("checkpointLocation", str(checkpoint))
    if path is not None:
        writer = writer.option("path", str(path))
    if query_name is not None:
        writer = writer.queryName(query_name)
    query = writer.trigger(availableNow=True).start()
    if timeout is None:
        query.awaitTermination()
    else:
        assert query.awaitTermination(timeout), (
            f"the AvailableNow query did not finish in {timeout} s"
        )
    assert query.exception() is None, query.exception()
    return query


def feed_url(api: MockApi, feed: str, path: str, shape: str) -> str:
    """The URL of growing feed ``feed``'s endpoint ``path`` (``ids?from={offset}``) with the
    feed's ``shape`` (``per=3&every=100&groups=50``)."""
    sep = "&" if "?" in path else "?"
    return f"{api.url}/grow/{feed}/{path}{sep}{shape}"


def feed_all(api: MockApi, feed: str) -> dict[str, Any]:
    """Everything feed ``feed`` produced so far, whether it is ``done``, and the
    ``requests`` it answered."""
    return api.get_json(f"/grow/{feed}/all")


def wait_feed_done(api: MockApi, feed: str, timeout: float = 120) -> None:
    """Waits until feed ``feed`` has produced all its records."""
    deadline = time.monotonic() + timeout
    while not feed_all(api, feed)["done"]:
        assert time.monotonic() < deadline, f"feed {feed} did not finish in {timeout} s"
        time.sleep(0.2)
