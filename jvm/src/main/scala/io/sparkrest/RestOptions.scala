package io.sparkrest

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.ObjectMapper

import org.apache.spark.sql.types.StructType

/**
 * The options of one REST enrichment (SPEC section 4), validated by the native engine, which
 * owns the rules: the JVM only learns which input columns the templates use and how to show
 * the options without their secrets.
 *
 * `toString` shows the redacted options only, and this is deliberately not a case class: plan
 * nodes print and serialise their fields generically, and none of those paths may reveal a
 * secret.
 */
final class RestOptions private (
    val values: Map[String, String],
    val redacted: Map[String, String],
    val columns: Seq[String])
    extends Serializable {

  def url: String = values(RestOptions.Url)

  /** All options as the engine's JSON object; keys sorted so equal options give equal strings. */
  def json: String = RestOptions.toJson(values)

  /** The parsed output fields when `schema` is set. */
  def schema: Option[StructType] = values.get("schema").map(StructType.fromDDL)

  def arrowBatchSize: Int =
    values
      .get("arrowBatchSize")
      .map(_.trim.toInt)
      .filter(_ > 0)
      .getOrElse(RestOptions.DefaultArrowBatchSize)

  /** `url=..., name=value, ...` with secrets redacted, url first, then by name. */
  def describe: String = {
    val url = redacted.getOrElse(RestOptions.Url, "")
    val rest = (redacted - RestOptions.Url).toSeq.sortBy(_._1).map { case (k, v) => s"$k=$v" }
    (s"url=$url" +: rest).mkString(", ")
  }

  override def toString: String = describe

  override def equals(other: Any): Boolean = other match {
    case o: RestOptions => values == o.values
    case _ => false
  }

  override def hashCode(): Int = values.hashCode()
}

object RestOptions {
  val Url = "url"
  val DefaultArrowBatchSize = 1024

  private val mapper = new ObjectMapper()

  /**
   * Validates `values` (which include `url`) with the native engine. Throws
   * [[RestOptionException]] naming the bad option.
   */
  def analyze(values: Map[String, String]): RestOptions = {
    val answer = mapper.readTree(Native.methods.analyzeOptions(toJson(values)))
    val columns = Option(answer.get("columns")).toSeq.flatMap(_.elements().asScala).map(_.asText())
    val redacted = Option(answer.get("redacted"))
      .map(_.properties().asScala.map(e => e.getKey -> e.getValue.asText()).toMap)
      .getOrElse(throw new NativeException(s"analyzeOptions returned no 'redacted' object"))
    new RestOptions(values, redacted, columns.distinct)
  }

  private[sparkrest] def toJson(values: Map[String, String]): String =
    mapper.writeValueAsString(new java.util.TreeMap[String, String](values.asJava))
}
