package io.sparkrest

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.sparkrest.PlanBridge

/**
 * The one way every surface builds an enrichment. The DataFrame is analysed at once, so bad
 * options and unknown columns fail here, before any task runs.
 */
object RestApi {

  /** Entry point for the Python shim (through Py4J): options are exactly SPEC's names. */
  def call(df: DataFrame, url: String, options: java.util.Map[String, String]): DataFrame =
    enrich(df, url, if (options == null) Map.empty else options.asScala.toMap)

  def enrich(df: DataFrame, url: String, options: Map[String, String]): DataFrame = {
    val spark = df.sparkSession
    RestPlanner.ensureRegistered(spark)
    val node = RestApiCall.create(url, options, PlanBridge.logicalPlan(df), Some(spark))
    PlanBridge.ofRows(spark, node)
  }
}
