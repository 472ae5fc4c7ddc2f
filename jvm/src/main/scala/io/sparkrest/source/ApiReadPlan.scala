package io.sparkrest.source

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.internal.SQLConf
import org.apache.spark.sql.types.StructType

import io.sparkrest.RestOptions

/**
 * A read of the API's own records (no input), resolved on the driver when the DataFrame is
 * created: options validated by the engine (a typo fails here), the record schema decided.
 */
private[sparkrest] final class ApiReadPlan(
    val config: SourceConfig,
    val options: RestOptions,
    val spec: SourceSpec,
    val maxPartitions: Int)

private[sparkrest] object ApiReadPlan {

  /** Validates the options: the engine's analysis, then the source's own (by opening one). */
  def validate(config: SourceConfig): RestOptions = {
    config.streamingIntervalMillis // the only option the engine does not check
    val options = RestOptions.analyze(config.engineValues + (RestOptions.Url -> config.url))
    options.checkSurface(RestOptions.Surface.Source)
    NativeSource.using(
      new SourceSpec(options.json, None, SQLConf.get.sessionLocalTimeZone),
      "check")(_ => ())
    options
  }

  /** The record schema: `schema`, else inferred when `inferSchema=true`, else raw (None). */
  def recordSchema(
      spark: SparkSession,
      config: SourceConfig,
      options: RestOptions): Option[StructType] =
    config.schemaDdl match {
      case Some(_) => options.schema
      case None if config.inferSchema => SchemaSampler.infer(spark, config, options.json)
      case None => None
    }

  def apply(
      spark: SparkSession,
      config: SourceConfig,
      options: RestOptions,
      schema: Option[StructType]): ApiReadPlan = {
    val spec = new SourceSpec(options.json, schema, SQLConf.get.sessionLocalTimeZone)
    new ApiReadPlan(config, options, spec, spark.sparkContext.defaultParallelism.max(1))
  }
}
