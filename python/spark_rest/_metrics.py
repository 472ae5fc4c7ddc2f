"""Reading the SQL metrics of the enrichment operator from Python.

The engine reports requests, retries, cache hits, failures, throttled waits and
latency as SQL metrics of its plan node. The Spark UI shows them; this module
reads the same values from Spark's SQL status store, which works with the UI
disabled too (useful in scripts, tests and notebooks).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["DEFAULT_NODE_NAME", "last_query_metrics"]

#: Substring of the physical node name of the enrichment operator.
DEFAULT_NODE_NAME = "RestApiCall"
# Only the most recent executions are searched.
_RECENT_EXECUTIONS = 32


def last_query_metrics(
    spark: SparkSession,
    node_name: str = DEFAULT_NODE_NAME,
    timeout: float = 10.0,
) -> dict[str, str]:
    """Return ``{metric name: value}`` of the newest finished query that has ``node_name``.

    Values are Spark's display strings (``"20,000"`` for counts; timing metrics read
    ``"total (min, med, max ...)"`` followed by the values). Spark records the final
    values asynchronously, so this waits up to ``timeout`` seconds for the query to be
    marked complete. Returns an empty dict when no recent query has such a node.
    """
    store = spark._jsparkSession.sharedState().statusStore()
    deadline = time.monotonic() + timeout
    while True:
        found = _newest_with_node(store, node_name)
        if found is None:
            if time.monotonic() >= deadline:
                return {}
        else:
            execution, node = found
            if execution.completionTime().isDefined() or time.monotonic() >= deadline:
                return _node_values(store, execution.executionId(), node)
        time.sleep(0.1)


def _newest_with_node(store: Any, node_name: str) -> tuple[Any, Any] | None:
    """The newest execution (and its node) whose plan has a node containing ``node_name``."""
    count = int(store.executionsCount())
    offset = max(0, count - _RECENT_EXECUTIONS)
    executions = store.executionsList(offset, count - offset)
    wanted = node_name.lower()
    for index in reversed(range(executions.size())):
        execution = executions.apply(index)
        try:
            nodes = store.planGraph(execution.executionId()).allNodes()
        except Exception:  # plan graph not recorded (yet)
            continue
        for j in range(nodes.size()):
            node = nodes.apply(j)
            if wanted in str(node.name()).lower():
                return execution, node
    return None


def _node_values(store: Any, execution_id: int, node: Any) -> dict[str, str]:
    """Metric values of ``node`` in execution ``execution_id``."""
    values: dict[int, str] = {}
    iterator = store.executionMetrics(execution_id).iterator()
    while iterator.hasNext():
        entry = iterator.next()
        values[int(entry._1())] = str(entry._2())
    metrics = node.metrics()
    result: dict[str, str] = {}
    for i in range(metrics.size()):
        metric = metrics.apply(i)
        result[str(metric.name())] = values.get(int(metric.accumulatorId()), "")
    return result
