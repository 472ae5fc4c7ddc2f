package io.sparkrest.source

import org.apache.spark.sql.types.{StringType, StructField, StructType}

import io.sparkrest.RestApiCall

/**
 * Everything an executor needs to open the native source of one read: plain values, computed
 * on the driver and shipped with the partitions.
 *
 * @param optionsJson the engine's options (a JSON object), secrets included: never printed
 * @param schema the typed record fields, or None for one `output` column of raw JSON
 */
private[sparkrest] final class SourceSpec(
    val optionsJson: String,
    val schema: Option[StructType],
    val timeZoneId: String)
    extends Serializable {

  /** The rows of the read: the schema fields, or `output STRING`. */
  def resultSchema: StructType = SourceSpec.resultSchema(schema)

  override def toString: String = s"SourceSpec(${resultSchema.simpleString})"
}

private[sparkrest] object SourceSpec {
  def resultSchema(schema: Option[StructType]): StructType =
    schema
      .map(s => StructType(s.fields.map(_.copy(nullable = true))))
      .getOrElse(StructType(Seq(StructField(RestApiCall.OutputColumn, StringType))))
}
