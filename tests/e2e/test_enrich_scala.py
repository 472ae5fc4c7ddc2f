"""The Scala surface through spark-submit: library taken from the jar, then from
an external .so given by spark.rest.nativeLibrary."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pyspark
import pytest

from helpers import ROOT, TIERS, artifact, examples_jar, jar_under_test, native_library
from mockapi import MockApi

ROWS = 5_000
SUBMIT_TIMEOUT = 420
MAIN_CLASS = "io.sparkrest.examples.EnrichCustomers"
NATIVE_NAME = "libspark_rest_native"
# The JVM logs every library it loads ("Loaded library /path/lib.so, handle ..."):
# proof of which native library was used that does not depend on our own logging.
JVM_LIBRARY_LOG = "-Xlog:library=info"


def spark_submit() -> Path:
    """The spark-submit of the pyspark install the tests run with."""
    return artifact(
        Path(pyspark.__file__).resolve().parent / "bin" / "spark-submit", "spark-submit"
    )


def run_example(api_url: str, out: Path, *extra_conf: str) -> subprocess.CompletedProcess[str]:
    command = [
        str(spark_submit()),
        "--master",
        "local[2]",
        "--conf",
        "spark.ui.enabled=false",
        *extra_conf,
        "--jars",
        str(jar_under_test()),
        "--class",
        MAIN_CLASS,
        str(examples_jar()),
        api_url,
        str(ROWS),
        str(out),
    ]
    env = dict(os.environ)
    env.pop("PYSPARK_SUBMIT_ARGS", None)
    env["SPARK_HOME"] = str(Path(pyspark.__file__).resolve().parent)
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=SUBMIT_TIMEOUT, env=env
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"spark-submit did not finish in {SUBMIT_TIMEOUT}s:\n{exc.stderr!s:.4000}")
    assert result.returncode == 0, (
        f"exit {result.returncode}\nstdout:\n{result.stdout[-4000:]}\n"
        f"stderr:\n{result.stderr[-8000:]}"
    )
    assert re.search(rf"^ROWS {ROWS}$", result.stdout, re.MULTILINE), result.stdout[-4000:]
    return result


def check_output(out: Path) -> None:
    """Every customer once, status 200, no error, score = id % 1000."""
    table = pq.read_table(out)
    columns = table.column_names
    assert "_status" in columns and "_error" in columns, columns
    rows = table.to_pylist()
    assert len(rows) == ROWS
    id_column = "customer_id" if "customer_id" in columns else "id"
    ids = sorted(row[id_column] for row in rows)
    assert ids == list(range(ROWS))
    bad = []
    for row in rows:
        cid = row[id_column]
        if "score" in columns:
            score, tier = row["score"], row.get("tier", TIERS[cid % 3])
        else:
            body = json.loads(row["output"]) if row["output"] else {}
            score, tier = body.get("score"), body.get("tier")
        if (row["_status"], row["_error"], score, tier) != (200, None, cid % 1000, TIERS[cid % 3]):
            bad.append(row)
    assert not bad, f"{len(bad)} bad rows, first: {bad[:3]}"


def loaded_native_libraries(stdout: str) -> list[str]:
    """Paths of spark-rest native libraries the JVM reported loading."""
    return re.findall(rf"Loaded library (\S*{NATIVE_NAME}\S*?),? handle", stdout)


def test_spark_submit_embedded_library(mock_api: MockApi, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_example(
        mock_api.url, out, "--conf", f"spark.driver.extraJavaOptions={JVM_LIBRARY_LOG}"
    )
    check_output(out)
    assert mock_api.stats()["total"] == ROWS
    loaded = loaded_native_libraries(result.stdout)
    assert loaded, f"the JVM loaded no {NATIVE_NAME}:\n{result.stdout[-4000:]}"
    # Extracted from the jar (into Spark's local or temp dir), not taken from the build tree.
    assert not [path for path in loaded if path.startswith(str(ROOT))], loaded


def test_spark_submit_external_library(mock_api: MockApi, tmp_path: Path) -> None:
    built = native_library()
    # A copy at a path of our own, so the JVM's log can only show it if it was used.
    library = tmp_path / "external-lib" / f"{NATIVE_NAME}.so"
    library.parent.mkdir()
    shutil.copy2(built, library)
    library = library.resolve()

    out = tmp_path / "out"
    result = run_example(
        mock_api.url,
        out,
        "--conf",
        f"spark.rest.nativeLibrary={library}",
        "--conf",
        f"spark.driver.extraJavaOptions=-Dspark.rest.nativeLibrary={library} {JVM_LIBRARY_LOG}",
    )
    check_output(out)
    loaded = loaded_native_libraries(result.stdout)
    assert loaded == [str(library)], f"expected only {library} to be loaded, got {loaded}"
    # If our loader says which library it loaded, it must name this one.
    mentions = [line for line in result.stderr.splitlines() if NATIVE_NAME in line]
    if mentions:
        assert any(str(library) in line for line in mentions), mentions
