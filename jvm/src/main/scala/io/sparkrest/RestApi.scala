package io.sparkrest

import scala.jdk.CollectionConverters._

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.catalyst.plans.logical.Project
import org.apache.spark.sql.sparkrest.PlanBridge

/**
 * The one way every surface builds an enrichment. The DataFrame is analysed at once, so bad
 * options and unknown columns fail here, before any task runs.
 */
object RestApi {

  /** Entry point for the Python shim (through Py4J): options are exactly SPEC's names. */
  def call(df: DataFrame, url: String, options: java.util.Map[String, String]): DataFrame =
    enrich(df, url, if (options == null) Map.empty else options.asScala.toMap)

  def enrich(df: DataFrame, url: String, options: Map[String, String]): DataFrame =
    enrich(df, url, options, RestOptions.Surface.Enrichment)

  /**
   * `surface` says where the options are used (see [[RestOptions.Surface]]): an option without
   * effect there fails now. `includeInputs=false` keeps the appended columns only.
   */
  def enrich(
      df: DataFrame,
      url: String,
      options: Map[String, String],
      surface: String): DataFrame = {
    val spark = df.sparkSession
    RestPlanner.ensureRegistered(spark)
    val node = RestApiCall.create(url, options, PlanBridge.logicalPlan(df), Some(spark), surface)
    if (node.options.includeInputs) PlanBridge.ofRows(spark, node)
    else PlanBridge.ofRows(spark, Project(node.resultAttrs, node))
  }
}
