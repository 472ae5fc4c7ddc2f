package io.sparkrest.source

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}

import org.apache.spark.sql.{DataFrame, Encoders, SparkSession}

import io.sparkrest.RestOptionException

/** `inputData`: a JSON array of objects as input rows (types inferred by Spark's JSON reader). */
private[sparkrest] object InputData {
  private val mapper = new ObjectMapper()

  def read(spark: SparkSession, json: String): DataFrame = {
    val node =
      try mapper.readTree(json)
      catch {
        case e: Exception =>
          throw new RestOptionException(
            s"option inputData is not valid JSON (${e.getMessage.linesIterator.toSeq.headOption.getOrElse("")}); " +
              "allowed is a JSON array of objects, e.g. [{\"customer_id\": 1}]")
      }
    if (node == null || !node.isArray || !node.elements().hasNext ||
      !iterate(node).forall(_.isObject)) {
      throw new RestOptionException(
        "option inputData must be a non-empty JSON array of objects, e.g. " +
          "[{\"customer_id\": 1}, {\"customer_id\": 2}]")
    }
    // One string per row, so that a large array is split into rows by Spark, not by us. The
    // schema is inferred here, from the parsed rows: inference by Spark would run a job.
    val rows = iterate(node).map(mapper.writeValueAsString).toSeq
    spark.read
      .schema(InputDataSchema.infer(iterate(node)))
      .json(spark.createDataset(rows)(Encoders.STRING))
  }

  private def iterate(node: JsonNode): Seq[JsonNode] = node.elements().asScala.toSeq
}
