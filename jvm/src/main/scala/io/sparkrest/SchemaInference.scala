package io.sparkrest

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}

import org.apache.spark.sql.{Encoders, SparkSession}
import org.apache.spark.sql.catalyst.expressions.{Attribute, Literal}
import org.apache.spark.sql.catalyst.plans.logical.{Limit, LogicalPlan, Project}
import org.apache.spark.sql.sparkrest.PlanBridge
import org.apache.spark.sql.types.StructType

/**
 * `inferSchema=true`: on the driver, the first `schemaSampleSize` rows of the input go through
 * the same enrichment in raw mode (one small Spark job), the JSON at `dataField` of every
 * successful response is collected, and Spark's own JSON inference (`spark.read.json`) finds
 * the schema. A JSON array at `dataField` contributes its elements; when every sample is an
 * array the result becomes an array column (`arrayColumn`, default `results`) unless
 * `explode=true`.
 *
 * The sample runs in the driver's JVM through an engine with the query's request options and
 * no schema. In local mode the query's engines live in that JVM too; when the engine shares its
 * response cache between engines that differ only in response options, the query sends none
 * of the sampled requests again (see the e2e suite test_engine_output.py).
 */
private[sparkrest] object SchemaInference {
  private val mapper = new ObjectMapper()

  /** A record or array at `dataField`, or the reason a sample gave none. */
  private type Sample = Either[String, JsonNode]

  def infer(
      spark: SparkSession,
      options: RestOptions,
      referenced: Seq[Attribute],
      child: LogicalPlan): RestOptions = {
    val size = options.schemaSampleSize
    val sampling = options.rawForSampling
    // Only the referenced columns go into the sample, so no input column can clash with the
    // raw `output` column.
    val input = Limit(Literal(size), Project(referenced, child))
    val node = RestApiCall.build(sampling, referenced, input)
    val rows = PlanBridge.ofRows(spark, node).collect().toSeq
    val first = referenced.size
    val answers = rows.map { row =>
      val status = if (row.isNullAt(first + 1)) None else Some(row.getInt(first + 1))
      val body = Option(row.getString(first))
      val error = Option(row.getString(first + 2))
      (status, body, error)
    }
    if (answers.isEmpty) {
      throw new RestOptionException(
        "inferSchema=true: the input has no rows to sample; give option 'schema' instead")
    }
    val ok = answers.collect {
      case (Some(status), Some(body), None) if status >= 200 && status < 300 => body
    }
    if (ok.isEmpty) {
      val seen = answers
        .groupBy(_._1)
        .toSeq
        .sortBy(_._1.getOrElse(0))
        .map { case (status, all) =>
          s"${status.map(_.toString).getOrElse("no response")} x${all.size}"
        }
        .mkString(", ")
      val reason = answers.flatMap(_._3).headOption.map(e => s"; first error: $e").getOrElse("")
      throw new RestOptionException(
        s"inferSchema=true: none of the ${answers.size} sampled requests succeeded (statuses " +
          s"seen: $seen$reason); fix the requests or give option 'schema'")
    }
    val samples = ok.map(dataAt(_, options.dataField))
    val data = samples.collect { case Right(node) => node }
    if (data.isEmpty) {
      throw new RestOptionException(
        s"inferSchema=true: no sampled response had JSON data to infer from (" +
          samples.collect { case Left(why) => why }.distinct.take(3).mkString("; ") +
          "); check option 'dataField' or give option 'schema'")
    }
    val arrays = data.forall(_.isArray)
    val records = data.flatMap(n => if (n.isArray) n.elements().asScala.toSeq else Seq(n))
    val objects = records.filter(_.isObject).map(mapper.writeValueAsString)
    if (objects.isEmpty) {
      throw new RestOptionException(
        s"inferSchema=true: the ${data.size} sampled responses hold no JSON object " +
          (if (arrays) "(only empty arrays or arrays of plain values)" else "(only plain values)") +
          "; give option 'schema'")
    }
    val inferred = spark.read.json(spark.createDataset(objects)(Encoders.STRING)).schema
    val schema = StructType(
      inferred.fields.filterNot(_.name == "_corrupt_record").map(_.copy(nullable = true)))
    if (schema.isEmpty) {
      throw new RestOptionException(
        "inferSchema=true: the sampled JSON objects have no fields; give option 'schema'")
    }
    options.withInferredSchema(schema, arrays)
  }

  private def dataAt(body: String, path: Seq[String]): Sample = {
    val root =
      try mapper.readTree(body)
      catch { case _: Exception => return Left("a response is not JSON") }
    path.foldLeft[Sample](Right(root)) {
      case (Right(node), key) if node != null && node.isObject && node.has(key) =>
        Right(node.get(key))
      case (Right(_), _) => Left(s"dataField '${path.mkString(".")}' is not in a response")
      case (left, _) => left
    } match {
      case Right(node) if node == null || node.isNull => Left("a response holds null")
      case other => other
    }
  }
}
