"""spark-rest for PySpark: enrich DataFrame rows with REST API responses.

The HTTP work runs in spark-rest's native engine inside the executor JVMs; this
package only adds the jar to a session and builds query plans through Py4J, so no
Python worker ever runs on the data path.

    from pyspark.sql import SparkSession
    from spark_rest import rest_api_call, with_spark_rest

    spark = with_spark_rest(SparkSession.builder).getOrCreate()
    out = rest_api_call(customers, url="http://api.example.com/customers/{customer_id}",
                        schema="score INT, tier STRING, ltv DOUBLE", concurrency=64)
"""

from __future__ import annotations

from spark_rest._api import rest_api_call
from spark_rest._jar import JAR_ENV_VAR, SUPPORTED_LINES, jar_path, spark_line, with_spark_rest
from spark_rest._metrics import last_query_metrics
from spark_rest._options import build_options, option_name

__version__ = "0.1.0"

__all__ = [
    "JAR_ENV_VAR",
    "SUPPORTED_LINES",
    "__version__",
    "build_options",
    "jar_path",
    "last_query_metrics",
    "option_name",
    "rest_api_call",
    "spark_line",
    "with_spark_rest",
]
