"""Locating the spark-rest jar and adding it to a ``SparkSession.Builder``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "JAR_ENV_VAR",
    "SQL_EXTENSIONS_CLASS",
    "SUPPORTED_LINES",
    "jar_path",
    "spark_line",
    "with_spark_rest",
]

#: Environment variable naming the jar to use instead of the bundled one (e.g. a source
#: checkout's freshly built ``dist/spark-rest-spark<line>.jar``).
JAR_ENV_VAR = "SPARK_REST_JAR"
#: The ``spark.sql.extensions`` class that registers the ``rest_api_call`` SQL function.
SQL_EXTENSIONS_CLASS = "io.sparkrest.RestExtensions"

#: The Spark lines (major.minor) with a jar of their own in the wheel.
SUPPORTED_LINES = ("3.5", "4.0", "4.1", "4.2", "4.3")

_JARS_DIR = Path(__file__).resolve().parent / "jars"


def spark_line(spark_version: str | None = None) -> str:
    """Return the supported Spark line (``"4.1"``) of ``spark_version``.

    Args:
        spark_version: a Spark version such as ``"4.1.1"``; defaults to the installed
            ``pyspark.__version__``.

    Raises:
        ValueError: when the version belongs to no supported line (the message names them).
    """
    if spark_version is None:
        import pyspark

        spark_version = pyspark.__version__
    line = ".".join(str(spark_version).split(".")[:2])
    if line not in SUPPORTED_LINES:
        raise ValueError(
            f"spark-rest does not support Spark {spark_version}: supported lines are "
            f"{', '.join(SUPPORTED_LINES)} (3.5 on Scala 2.12, 4.x on Scala 2.13)"
        )
    return line


def _packaged_jar(line: str) -> Path:
    return _JARS_DIR / f"spark-rest-spark{line}.jar"


def jar_path(spark_version: str | None = None) -> str:
    """Return the absolute path of the spark-rest jar for a Spark version.

    The file named by the ``SPARK_REST_JAR`` environment variable when it is set; otherwise
    the jar the wheel carries for the line of ``spark_version`` (default: the installed
    pyspark's), one per supported line (``spark_rest/jars/spark-rest-spark4.1.jar``). The
    variable wins so that a source checkout's fresh build is not shadowed by a stale jar
    copied into the package by an earlier ``make wheel``. For
    ``spark-submit --jars $(python -c 'import spark_rest; print(spark_rest.jar_path())')``.

    Raises:
        ValueError: when the Spark version belongs to no supported line.
        FileNotFoundError: when ``SPARK_REST_JAR`` is set but names no file, or when it is
            unset and the package has no jar for the line.
    """
    line = spark_line(spark_version)
    env = os.environ.get(JAR_ENV_VAR)
    if env:
        candidate = Path(env).expanduser().resolve()
        if candidate.is_file():
            return str(candidate)
        raise FileNotFoundError(f"{JAR_ENV_VAR}={env!r} does not name an existing file")
    packaged = _packaged_jar(line)
    if packaged.is_file():
        return str(packaged)
    raise FileNotFoundError(
        f"spark-rest jar not found: the package has no bundled jar at {packaged} "
        f"and {JAR_ENV_VAR} is not set (build it with `make build`, then point "
        f"{JAR_ENV_VAR} at dist/spark-rest-spark<line>.jar or install the wheel from dist/)"
    )


def with_spark_rest(
    builder: SparkSession.Builder,
    *,
    jar: str | os.PathLike[str] | None = None,
    sql_extensions: bool | None = None,
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
            is available. Default: only for Spark Connect builders
            (``SparkSession.builder.remote(...)``).

    With ``.remote("local[2]")`` pyspark starts a local Spark Connect server from these
    options, so the server gets the jar and the extensions. A remote ``sc://`` server
    ignores them: start it with the jar (see the README's Spark Connect section).

    Returns:
        The same builder, for chaining: ``with_spark_rest(SparkSession.builder).getOrCreate()``.
    """
    path = str(Path(jar).expanduser().resolve()) if jar is not None else jar_path()
    _append_conf(builder, "spark.jars", path)
    if sql_extensions is None:
        sql_extensions = _is_remote(builder)
    if sql_extensions:
        _append_conf(builder, "spark.sql.extensions", SQL_EXTENSIONS_CLASS)
    return builder


def _is_remote(builder: SparkSession.Builder) -> bool:
    """True for a Spark Connect builder (``.remote(url)`` or ``SPARK_REMOTE``)."""
    return "spark.remote" in _builder_options(builder) or bool(os.environ.get("SPARK_REMOTE"))


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
