"""Locating the spark-rest jar and adding it to a ``SparkSession.Builder``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["JAR_ENV_VAR", "SQL_EXTENSIONS_CLASS", "jar_path", "with_spark_rest"]

#: Environment variable naming the jar when the package carries none (source checkouts).
JAR_ENV_VAR = "SPARK_REST_JAR"
#: The ``spark.sql.extensions`` class that registers the ``rest_api_call`` SQL function.
SQL_EXTENSIONS_CLASS = "io.sparkrest.RestExtensions"

_PACKAGED_JAR = Path(__file__).resolve().parent / "jars" / "spark-rest.jar"


def jar_path() -> str:
    """Return the absolute path of the spark-rest jar.

    The jar bundled inside the wheel (``spark_rest/jars/spark-rest.jar``) is used when
    present; otherwise the file named by the ``SPARK_REST_JAR`` environment variable.

    Raises:
        FileNotFoundError: when neither exists.
    """
    if _PACKAGED_JAR.is_file():
        return str(_PACKAGED_JAR)
    env = os.environ.get(JAR_ENV_VAR)
    if env:
        candidate = Path(env).expanduser().resolve()
        if candidate.is_file():
            return str(candidate)
        raise FileNotFoundError(f"{JAR_ENV_VAR}={env!r} does not name an existing file")
    raise FileNotFoundError(
        f"spark-rest jar not found: the package has no bundled jar at {_PACKAGED_JAR} "
        f"and {JAR_ENV_VAR} is not set (build it with `make build`, then point "
        f"{JAR_ENV_VAR} at dist/spark-rest.jar or install the wheel from dist/)"
    )


def with_spark_rest(
    builder: SparkSession.Builder,
    *,
    jar: str | os.PathLike[str] | None = None,
    sql_extensions: bool = False,
) -> SparkSession.Builder:
    """Add the spark-rest jar to ``spark.jars`` of ``builder`` and return the builder.

    The jar is appended to any ``spark.jars`` value already set on the builder, and
    is not added twice. It must happen before the first SparkSession of the Python
    process starts: a running JVM does not pick up new jars.

    Args:
        builder: ``SparkSession.builder`` (possibly already configured).
        jar: explicit jar path; defaults to :func:`jar_path`.
        sql_extensions: also append ``io.sparkrest.RestExtensions`` to
            ``spark.sql.extensions`` so that the ``rest_api_call`` SQL table function
            is available.

    Returns:
        The same builder, for chaining: ``with_spark_rest(SparkSession.builder).getOrCreate()``.
    """
    path = str(Path(jar).expanduser().resolve()) if jar is not None else jar_path()
    _append_conf(builder, "spark.jars", path)
    if sql_extensions:
        _append_conf(builder, "spark.sql.extensions", SQL_EXTENSIONS_CLASS)
    return builder


def _append_conf(builder: SparkSession.Builder, key: str, value: str) -> None:
    """Append ``value`` to the comma-separated conf ``key`` of ``builder`` (once)."""
    current = _builder_options(builder).get(key)
    entries = [e.strip() for e in str(current).split(",") if e.strip()] if current else []
    if value not in entries:
        entries.append(value)
    builder.config(key, ",".join(entries))


def _builder_options(builder: SparkSession.Builder) -> dict[str, object]:
    """The options set so far on ``builder`` (PySpark keeps them in ``_options``)."""
    options = getattr(builder, "_options", None)
    return dict(options) if isinstance(options, dict) else {}
