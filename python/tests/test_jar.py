"""Locating the jar and configuring a SparkSession.Builder (no JVM is started)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

import spark_rest._jar as jar_module
from spark_rest import JAR_ENV_VAR, jar_path, with_spark_rest


@pytest.fixture
def no_packaged_jar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jar_module, "_PACKAGED_JAR", tmp_path / "absent" / "spark-rest.jar")


@pytest.fixture
def fake_jar(tmp_path: Path) -> Path:
    jar = tmp_path / "spark-rest.jar"
    jar.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return jar


def test_packaged_jar_wins(monkeypatch: pytest.MonkeyPatch, fake_jar: Path, tmp_path: Path) -> None:
    monkeypatch.setattr(jar_module, "_PACKAGED_JAR", fake_jar)
    monkeypatch.setenv(JAR_ENV_VAR, str(tmp_path / "other.jar"))
    assert jar_path() == str(fake_jar)


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
def test_no_jar_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(JAR_ENV_VAR, raising=False)
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
