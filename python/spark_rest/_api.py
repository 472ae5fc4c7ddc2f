"""``rest_api_call``: the PySpark entry point to the native enrichment operator.

Only the query plan is built here, through Py4J, by calling the Scala
``io.sparkrest.RestApi.call``. The rows never pass through Python: the returned
DataFrame runs entirely in the executors' JVMs and the native engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from spark_rest._options import build_options

if TYPE_CHECKING:
    from py4j.java_gateway import JavaObject
    from pyspark.sql import DataFrame

__all__ = ["rest_api_call"]

_SCALA_API = "io.sparkrest.RestApi"


def rest_api_call(
    df: DataFrame,
    url: str,
    options: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> DataFrame:
    """Enrich every row of ``df`` with the response of a REST API.

    Args:
        df: the input DataFrame, classic PySpark or Spark Connect. Over Connect the plan
            is built on the server: ``df`` becomes a temporary view that the ``rest`` data
            source reads with ``input`` (still no Python on the data path).
        url: URL template; ``{column}`` is replaced by that column's URL-encoded value.
        options: extra options as a mapping, for names that are not Python
            identifiers (``{"header.X-Tenant": "acme"}``).
        **kwargs: options in snake_case or camelCase (``max_retries=0``,
            ``rateLimit=100``, ``schema="score INT, tier STRING"``). Values are
            converted to strings: booleans to ``true``/``false``, lists, tuples and
            sets to comma-separated values (``retry_on_status=[429, 503]``), dicts to
            JSON; ``None`` leaves an option unset. Names of other tools are accepted
            or refused naming the option to use (README: "Migrating to spark-rest").

    Returns:
        A DataFrame with all columns of ``df``, then either the fields of ``schema``
        or ``output`` (the raw body), then ``_status`` (INT) and ``_error`` (STRING).
        With ``array_column="name"`` a JSON array response is one column
        ``name ARRAY<STRUCT<schema>>``; with ``explode=True`` each element is its own row
        (the input columns repeated). ``infer_schema=True`` samples the responses of the
        first ``schema_sample_size`` (20) rows now, on the driver, to find ``schema``.

    Raises:
        pyspark.errors.IllegalArgumentException: (or another captured JVM
            exception) for an unknown option or an invalid value; this happens
            here, before any task runs.
        RuntimeError: when the spark-rest jar is not on the driver's classpath.
        TypeError: when ``df`` is neither a classic nor a Spark Connect DataFrame.
        ValueError: when one option is given twice (``max_retries`` and ``maxRetries``).
    """
    from pyspark.sql import DataFrame as PySparkDataFrame

    if not isinstance(url, str) or not url:
        raise TypeError(f"url must be a non-empty string, got {url!r}")
    opts = build_options(options, **kwargs)
    if _is_connect(df):
        return _connect_rest_api_call(df, url, opts)
    jdf = _java_dataframe(df)
    session = df.sparkSession
    jvm = session.sparkContext._jvm
    result = _capture_jvm_errors(call_scala_api)(jvm, jdf, url, opts)
    return PySparkDataFrame(result, session)


def _is_connect(df: Any) -> bool:
    """True for a Spark Connect DataFrame (``pyspark.sql.connect.dataframe.DataFrame``)."""
    return type(df).__module__.startswith("pyspark.sql.connect.")


def _connect_rest_api_call(df: DataFrame, url: str, options: Mapping[str, str]) -> DataFrame:
    """The same enrichment built on the Connect server: ``df`` as a temporary view (kept
    for the session: a Connect plan is analysed again on every action) read by the
    ``rest`` data source, which plans the same node. Validated now, like the classic path."""
    view = f"spark_rest_input_{uuid.uuid4().hex}"
    df.createOrReplaceTempView(view)
    reader = df.sparkSession.read.format("rest").option("url", url).option("input", view)
    for key, value in options.items():
        reader = reader.option(key, value)
    result = reader.load()
    result.schema  # noqa: B018 - analysis on the server: bad options fail here
    return result


def call_scala_api(jvm: Any, jdf: JavaObject, url: str, options: Mapping[str, str]) -> JavaObject:
    """Call ``io.sparkrest.RestApi.call(jdf, url, java.util.Map)`` and return its Java DataFrame."""
    api = _scala_api(jvm)
    jmap = jvm.java.util.HashMap()
    for key, value in options.items():
        jmap.put(key, value)
    return api.call(jdf, url, jmap)


def _scala_api(jvm: Any) -> Any:
    """Return the Py4J handle of the Scala API, or fail clearly when the jar is missing."""
    from py4j.java_gateway import JavaClass

    handle = jvm
    for part in _SCALA_API.split("."):
        handle = getattr(handle, part)
    if not isinstance(handle, JavaClass):
        raise RuntimeError(
            f"{_SCALA_API} is not on the driver classpath: create the SparkSession with "
            "spark_rest.with_spark_rest(SparkSession.builder) before any other session "
            "starts in this process, or pass --jars spark-rest.jar to spark-submit"
        )
    return handle


def _java_dataframe(df: DataFrame) -> JavaObject:
    """Return the JVM DataFrame behind ``df``."""
    try:
        jdf = df._jdf
    except Exception:  # Spark Connect DataFrames raise on _jdf
        jdf = None
    if jdf is None:
        raise TypeError(
            "rest_api_call needs a classic PySpark DataFrame backed by a JVM "
            f"(Spark Connect is not supported), got {type(df).__name__}"
        )
    return jdf


def _capture_jvm_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``func`` so that JVM exceptions surface as PySpark's Python exceptions."""
    try:
        from pyspark.errors.exceptions.captured import capture_sql_exception
    except ImportError:  # pragma: no cover - older layouts: keep the Py4JJavaError
        return func
    return capture_sql_exception(func)
