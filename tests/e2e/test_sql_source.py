"""SQL: ``CREATE TEMPORARY VIEW ... USING rest`` (input mode and pagination mode) and the
``rest_api_call(TABLE(t), url, map(...))`` table function of RestExtensions."""

from __future__ import annotations

from pyspark.sql import SparkSession

from engine_child import run_child
from mockapi import MockApi


def test_view_over_an_input_view(spark: SparkSession, mock_api: MockApi) -> None:
    spark.range(1, 51).withColumnRenamed("id", "customer_id").createOrReplaceTempView(
        "sql_customers"
    )
    spark.sql(
        f"""CREATE OR REPLACE TEMPORARY VIEW sql_scored USING rest OPTIONS (
              url '{mock_api.url}/customers/{{customer_id}}',
              input 'sql_customers',
              schema 'score INT, tier STRING')"""
    )
    # ORDER BY: the sort's generated code serialises the plan tree below it
    rows = spark.sql(
        "SELECT customer_id, score, _status FROM sql_scored ORDER BY customer_id DESC"
    ).collect()
    assert [(r.customer_id, r.score, r._status) for r in reversed(rows)] == [
        (i, i % 1000, 200) for i in range(1, 51)
    ]


def test_view_over_a_paginated_api(spark: SparkSession, mock_api: MockApi) -> None:
    spark.sql(
        f"""CREATE OR REPLACE TEMPORARY VIEW sql_items USING rest OPTIONS (
              url '{mock_api.url}/items', paginationType 'page', dataField 'results',
              pageSize '25', schema 'id BIGINT, name STRING')"""
    )
    row = spark.sql("SELECT count(*) AS n, count(DISTINCT id) AS d, sum(id) AS s FROM sql_items")
    assert row.head().asDict() == {"n": 250, "d": 250, "s": sum(range(1, 251))}


def test_table_function(mock_api: MockApi) -> None:
    run = run_child(
        f"""
        spark.range(1, 21).withColumnRenamed("id", "customer_id") \\
            .createOrReplaceTempView("customers")
        url = "{mock_api.url}/customers/{{customer_id}}"
        typed = spark.sql(
            f"SELECT customer_id, score, tier, _status FROM rest_api_call("
            f"TABLE(customers), '{{url}}', map('schema', 'score INT, tier STRING', "
            f"'concurrency', '8'))")
        emit(sorted(list(r) for r in typed.collect()))
        raw = spark.sql(
            f"SELECT * FROM rest_api_call(TABLE(SELECT * FROM customers WHERE customer_id = 3), "
            f"'{{url}}')")
        emit(raw.columns)
        emit([r.output for r in raw.collect()])
        try:
            spark.sql(f"SELECT * FROM rest_api_call(TABLE(customers), '{{url}}', "
                      f"map('concurency', '8'))")
            emit("no error")
        except Exception as e:
            emit(str(e))
        """,
        conf={"spark.sql.extensions": "io.sparkrest.RestExtensions"},
    )
    typed, columns, raw, error = run.results
    tiers = ["bronze", "silver", "gold"]
    assert typed == [[i, i % 1000, tiers[i % 3], 200] for i in range(1, 21)]
    assert columns == ["customer_id", "output", "_status", "_error"]
    assert '"customer_id":3' in raw[0].replace(" ", "")
    assert "concurency" in error and "concurrency" in error
