package io.sparkrest.examples

import org.apache.spark.sql.SparkSession

import io.sparkrest.implicits._

/**
 * spark-submit test program: enriches `rows` customers with `<baseUrl>/customers/{customer_id}`
 * and writes them as Parquet.
 *
 * {{{
 * spark-submit --class io.sparkrest.examples.EnrichCustomers --jars dist/spark-rest.jar \
 *   dist/spark-rest-examples.jar <baseUrl> <rows> <outputPath> [concurrency]
 * }}}
 * Prints `ROWS <n>` (the rows written) on success so that tests can check the count.
 */
object EnrichCustomers {

  def main(args: Array[String]): Unit = {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: EnrichCustomers <baseUrl> <rows> <outputPath> [concurrency]")
      sys.exit(2)
    }
    val baseUrl = args(0).stripSuffix("/")
    val rows = args(1).toLong
    val outputPath = args(2)
    val concurrency = if (args.length > 3) args(3) else "32"

    val spark = SparkSession.builder().appName("spark-rest EnrichCustomers").getOrCreate()
    try {
      val customers = spark.range(rows).withColumnRenamed("id", "customer_id")
      val enriched = customers.restApiCall(
        s"$baseUrl/customers/{customer_id}",
        Map("concurrency" -> concurrency))
      enriched.write.mode("overwrite").parquet(outputPath)
      val written = spark.read.parquet(outputPath).count()
      println(s"ROWS $written")
    } finally spark.stop()
  }
}
