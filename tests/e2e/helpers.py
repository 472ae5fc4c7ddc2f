"""Shared helpers of the end-to-end suites (paths, artifacts, ports, stats).

Importing this module puts ``python/`` (the shim's source tree, tested instead of any
installed wheel) and ``tests/`` (for ``mockapi``) on ``sys.path``.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"
for _path in (ROOT / "tests", ROOT / "python"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TIERS = ["bronze", "silver", "gold"]


def artifact(path: Path, what: str) -> Path:
    """Return ``path`` if it exists, else fail the test with a hint to build it."""
    if not path.is_file():
        pytest.fail(f"{what} not found at {path}: run `make build` first", pytrace=False)
    return path


def spark_line() -> str:
    """The Spark line (``4.1``) of the pyspark the tests run with."""
    import pyspark

    return ".".join(pyspark.__version__.split(".")[:2])


def jar_under_test() -> Path:
    """The spark-rest jar: ``$SPARK_REST_JAR`` or the running pyspark's line's
    ``dist/spark-rest-spark<X.Y>.jar``."""
    env = os.environ.get("SPARK_REST_JAR")
    path = Path(env).resolve() if env else DIST / f"spark-rest-spark{spark_line()}.jar"
    return artifact(path, "spark-rest jar")


def examples_jar() -> Path:
    """The Scala example programs: ``$SPARK_REST_EXAMPLES_JAR`` or the running pyspark's
    line's ``dist/spark-rest-examples-spark<X.Y>.jar``."""
    env = os.environ.get("SPARK_REST_EXAMPLES_JAR")
    path = Path(env).resolve() if env else DIST / f"spark-rest-examples-spark{spark_line()}.jar"
    return artifact(path, "examples jar")


def native_library() -> Path:
    """The standalone native library: ``$SPARK_REST_NATIVE_LIBRARY`` or
    ``dist/native/libspark_rest_native.so``."""
    env = os.environ.get("SPARK_REST_NATIVE_LIBRARY")
    path = Path(env).resolve() if env else DIST / "native" / "libspark_rest_native.so"
    return artifact(path, "native library")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_count(stats: dict[str, Any], status: int) -> int:
    """Requests the mock answered with ``status`` (``by_status`` keys are strings)."""
    by_status = stats.get("by_status", {})
    return int(by_status.get(str(status), by_status.get(status, 0)))


def expected_customer(customer_id: int) -> dict[str, Any]:
    """The fields of ``GET /customers/{id}`` that the suites check."""
    return {
        "customer_id": customer_id,
        "name": f"customer-{customer_id}",
        "score": customer_id % 1000,
        "tier": TIERS[customer_id % 3],
    }
