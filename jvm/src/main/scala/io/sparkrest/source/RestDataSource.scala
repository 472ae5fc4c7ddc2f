package io.sparkrest.source

import java.util.{Map => JMap}

import org.apache.spark.sql.{SQLContext, SparkSession}
import org.apache.spark.sql.connector.catalog.{Table, TableProvider}
import org.apache.spark.sql.connector.expressions.Transform
import org.apache.spark.sql.sources.{BaseRelation, DataSourceRegister, RelationProvider}
import org.apache.spark.sql.types.StructType
import org.apache.spark.sql.util.CaseInsensitiveStringMap

import io.sparkrest.RestOptionException

/**
 * The `rest` data source (`spark.read.format("rest")`, `spark.readStream.format("rest")`,
 * `CREATE TEMPORARY VIEW v USING rest OPTIONS (...)`), registered through DataSourceRegister.
 *
 *  - With `input` (a temporary view) or `inputData` (a JSON array): one request per input row
 *    through the same plan node as `restApiCall`. The V2 table reports no BATCH_READ, so Spark
 *    falls back to this class's V1 [[RelationProvider]], whose relation wraps that node.
 *  - Without input: the API's own records, as a DataSource V2 table: paginated batch reads and
 *    micro-batch streams ([[RestTable]]).
 *
 * Options are validated when the DataFrame is created, before any task runs.
 */
class RestDataSource extends TableProvider with RelationProvider with DataSourceRegister {

  // inferSchema and getTable are called on the same instance for one read.
  private var inferred: Option[(Map[String, String], ApiReadPlan)] = None

  override def shortName(): String = RestDataSource.ShortName

  override def inferSchema(options: CaseInsensitiveStringMap): StructType = {
    val config = SourceConfig(options.asCaseSensitiveMap())
    if (config.hasInput) {
      // The V1 relation gives a batch read's schema; seed 002's streams carry a dummy inputData.
      val plan = streamPlan(config)
      plan.foreach(p => inferred = Some(config.values -> p))
      plan.map(_.spec.resultSchema).getOrElse(new StructType())
    } else {
      val plan = apiReadPlan(config)
      inferred = Some(config.values -> plan)
      plan.spec.resultSchema
    }
  }

  override def getTable(
      schema: StructType,
      partitioning: Array[Transform],
      properties: JMap[String, String]): Table = {
    val config = SourceConfig(properties)
    if (config.hasInput) {
      val plan = inferred
        .collect { case (values, p) if values == config.values => p }
        .orElse(streamPlan(config))
      new RestTable(config, plan, plan.map(_.spec.resultSchema).getOrElse(schema))
    } else {
      val plan = inferred
        .collect { case (values, p) if values == config.values => p }
        .getOrElse(apiReadPlan(config))
      new RestTable(config, Some(plan), plan.spec.resultSchema)
    }
  }

  override def createRelation(
      sqlContext: SQLContext,
      parameters: Map[String, String]): BaseRelation = {
    val config = SourceConfig(parameters)
    if (!config.hasInput) {
      throw new RestOptionException(
        "the rest source without input is a DataSource V2 read; it cannot be read through the " +
          "V1 API (is `rest` listed in spark.sql.sources.useV1SourceList?)")
    }
    InputRelation(sqlContext.sparkSession, config)
  }

  /**
   * A stream written as in seed 002 (`streaming=true` and a dummy `inputData`): the plan of
   * the API's own records, without the input. None for any other read with input.
   */
  private def streamPlan(config: SourceConfig): Option[ApiReadPlan] =
    if (config.input.isEmpty && config.looksLikeStream) {
      try Some(apiReadPlan(config.withoutInputData))
      catch { case _: RestOptionException => None }
    } else None

  private def apiReadPlan(config: SourceConfig): ApiReadPlan = {
    val spark = SparkSession.active
    val options = ApiReadPlan.validate(config)
    ApiReadPlan(spark, config, options, ApiReadPlan.recordSchema(spark, config, options))
  }
}

object RestDataSource {
  val ShortName = "rest"
}
