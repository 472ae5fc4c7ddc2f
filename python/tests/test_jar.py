"""Locating the jar and configuring a SparkSession.Builder (no JVM is started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

import spark_rest._jar as jar_module
from spark_rest import JAR_ENV_VAR, jar_path, with_spark_rest
from spark_rest._jar import SUPPORTED_LINES, spark_line


@pytest.fixture(autouse=True)
def no_env_jar(monkeypatch: pytest.MonkeyPatch) -> None:
    # A SPARK_REST_JAR of the shell running the tests would win over every packaged jar.
    monkeypatch.delenv(JAR_ENV_VAR, raising=False)


@pytest.fixture
def no_packaged_jar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jar_module, "_JARS_DIR", tmp_path / "absent")


@pytest.fixture
def fake_jar(tmp_path: Path) -> Path:
    jar = tmp_path / "spark-rest.jar"
    jar.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return jar


def packaged_jars(tmp_path: Path, lines: tuple[str, ...]) -> Path:
    folder = tmp_path / "jars"
    folder.mkdir()
    for line in lines:
        (folder / f"spark-rest-spark{line}.jar").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return folder


def test_packaged_jar_of_the_installed_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pyspark

    folder = packaged_jars(tmp_path, SUPPORTED_LINES)
    monkeypatch.setattr(jar_module, "_JARS_DIR", folder)
    line = ".".join(pyspark.__version__.split(".")[:2])
    assert jar_path() == str(folder / f"spark-rest-spark{line}.jar")


def test_env_wins_over_the_packaged_jar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake_jar: Path
) -> None:
    # A source checkout after `make native jar` without `make wheel`: the packaged jar
    # is stale, the one SPARK_REST_JAR names was just built.
    monkeypatch.setattr(jar_module, "_JARS_DIR", packaged_jars(tmp_path, SUPPORTED_LINES))
    monkeypatch.setenv(JAR_ENV_VAR, str(fake_jar))
    assert jar_path() == str(fake_jar.resolve())
    assert jar_path("3.5.9") == str(fake_jar.resolve())


def test_env_naming_no_file_fails_despite_a_packaged_jar(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(jar_module, "_JARS_DIR", packaged_jars(tmp_path, SUPPORTED_LINES))
    monkeypatch.setenv(JAR_ENV_VAR, str(tmp_path / "nope.jar"))
    with pytest.raises(FileNotFoundError, match=r"nope\.jar"):
        jar_path()


def test_empty_env_is_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    folder = packaged_jars(tmp_path, SUPPORTED_LINES)
    monkeypatch.setattr(jar_module, "_JARS_DIR", folder)
    monkeypatch.setenv(JAR_ENV_VAR, "")
    assert jar_path("4.1.1") == str(folder / "spark-rest-spark4.1.jar")


@pytest.mark.parametrize(
    ("version", "line"), [("3.5.9", "3.5"), ("4.0.5", "4.0"), ("4.2.1", "4.2"), ("4.3.0", "4.3")]
)
def test_jar_of_each_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, version: str, line: str
) -> None:
    folder = packaged_jars(tmp_path, SUPPORTED_LINES)
    monkeypatch.setattr(jar_module, "_JARS_DIR", folder)
    assert jar_path(version) == str(folder / f"spark-rest-spark{line}.jar")
    assert spark_line(version) == line


@pytest.mark.parametrize("version", ["3.4.4", "2.4.8", "5.0.0", "4.4.0.dev0"])
def test_unsupported_version_names_the_lines(version: str) -> None:
    with pytest.raises(ValueError, match=r"supported lines are 3\.5, 4\.0, 4\.1, 4\.2, 4\.3") as e:
        jar_path(version)
    assert version in str(e.value)


@pytest.mark.usefixtures("no_packaged_jar")
def test_env_fallback(monkeypatch: pytest.MonkeyPatch, fake_jar: Path) -> None:
    monkeypatch.setenv(JAR_ENV_VAR, str(fake_jar))
    assert jar_path() == str(fake_jar.resolve())


@pytest.mark.usefixtures("no_packaged_jar")
def test_env_pointing_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(JAR_ENV_VAR, str(tmp_path / "nope.jar"))
    with pytest.raises(FileNotFoundError, match=r"nope\.jar"):
        jar_path()


@pytest.mark.usefixtures("no_packaged_jar")
def test_no_jar_at_all() -> None:
    with pytest.raises(FileNotFoundError, match=JAR_ENV_VAR):
        jar_path()


@pytest.mark.usefixtures("no_packaged_jar")
def test_with_spark_rest_sets_spark_jars(monkeypatch: pytest.MonkeyPatch, fake_jar: Path) -> None:
    monkeypatch.setenv(JAR_ENV_VAR, str(fake_jar))
    builder = SparkSession.builder.master("local[1]")
    assert with_spark_rest(builder) is builder
    assert builder._options["spark.jars"] == str(fake_jar.resolve())


def test_with_spark_rest_appends_once(fake_jar: Path) -> None:
    builder = SparkSession.builder.config("spark.jars", "/opt/a.jar, /opt/b.jar")
    with_spark_rest(builder, jar=fake_jar)
    with_spark_rest(builder, jar=fake_jar)
    assert builder._options["spark.jars"] == f"/opt/a.jar,/opt/b.jar,{fake_jar.resolve()}"


def test_with_spark_rest_sql_extensions(fake_jar: Path) -> None:
    builder = SparkSession.builder.config("spark.sql.extensions", "com.example.Ext")
    with_spark_rest(builder, jar=fake_jar, sql_extensions=True)
    assert builder._options["spark.sql.extensions"] == "com.example.Ext,io.sparkrest.RestExtensions"


def test_builders_do_not_share_state(fake_jar: Path) -> None:
    with_spark_rest(SparkSession.builder, jar=fake_jar)
    assert "spark.jars" not in SparkSession.builder._options


def test_remote_builder_gets_the_extensions(fake_jar: Path) -> None:
    # .remote("local[2]") starts a Connect server from these options (SPARK_REMOTE unset).
    builder = SparkSession.builder.config("spark.remote", "local[2]")
    with_spark_rest(builder, jar=fake_jar)
    assert builder._options["spark.jars"] == str(fake_jar.resolve())
    assert builder._options["spark.sql.extensions"] == "io.sparkrest.RestExtensions"


def test_classic_builder_keeps_extensions_opt_in(
    monkeypatch: pytest.MonkeyPatch, fake_jar: Path
) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    builder = SparkSession.builder.master("local[1]")
    with_spark_rest(builder, jar=fake_jar)
    assert "spark.sql.extensions" not in builder._options
