package io.sparkrest.source

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.{DataFrame, Row, SQLContext, SparkSession}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.sources.{BaseRelation, TableScan}
import org.apache.spark.sql.sparkrest.{Classic, PlanBridge}
import org.apache.spark.sql.types.StructType

import io.sparkrest.{RestApi, RestApiCall, RestOptions}

/**
 * A `rest` read with input rows: the input (`input` view or `inputData` JSON) enriched by the
 * same [[RestApiCall]] node as `restApiCall`, built (and so validated) when the read is
 * created. Input rows are never collected: [[InputRelationRule]] replaces this relation by the
 * node's plan during optimization, so the query runs `RestApiCallExec` with its SQL metrics;
 * where that rule is not installed, `buildScan` runs the same plan as an RDD.
 */
private[sparkrest] final class InputRelation private (
    session: Classic.SparkSession,
    enriched: Classic.Dataset[Row])
    extends BaseRelation
    with TableScan {

  override def sqlContext: SQLContext = session.sqlContext

  override def schema: StructType = enriched.schema

  // buildScan returns InternalRows of exactly `schema`.
  override def needConversion: Boolean = false

  override def buildScan(): RDD[Row] = enriched.queryExecution.toRdd.asInstanceOf[RDD[Row]]

  /** The analyzed enrichment: a [[RestApiCall]] over the input's plan. */
  def node: LogicalPlan = enriched.queryExecution.analyzed

  /** The enrichment optimized as its own query now (current cache and conf). */
  def optimizedNode: LogicalPlan = PlanBridge.ofRows(session, node) match {
    case d: Classic.Dataset[_] => d.queryExecution.optimizedPlan
    case other => throw new IllegalStateException(s"not a classic Dataset: ${other.getClass}")
  }

  override def toString: String = node match {
    case r: RestApiCall => s"RestInput[${r.options.describe}]"
    case _ => "RestInput"
  }
}

private[sparkrest] object InputRelation {

  def apply(spark: SparkSession, config: SourceConfig): InputRelation = {
    val session = PlanBridge.classicSession(spark)
    // Every option is checked before the input is read: reading inputData runs a Spark job.
    RestOptions
      .analyze(config.engineValues + (RestOptions.Url -> config.url))
      .checkSurface(RestOptions.Surface.Input)
    val input: DataFrame = config.input match {
      case Some(view) => session.table(view)
      case None => InputData.read(session, config.inputData.getOrElse(""))
    }
    val enriched =
      RestApi.enrich(input, config.url, config.engineValues, RestOptions.Surface.Input) match {
      case d: Classic.Dataset[Row @unchecked] => d
      case other => throw new IllegalStateException(s"not a classic Dataset: ${other.getClass}")
    }
    InputRelationRule.ensureRegistered(session)
    new InputRelation(session, enriched)
  }
}
