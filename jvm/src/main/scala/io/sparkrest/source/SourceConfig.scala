package io.sparkrest.source

import scala.jdk.CollectionConverters._
import scala.util.Try

import org.apache.spark.sql.catalyst.util.CaseInsensitiveMap

import io.sparkrest.{RestOptionException, RestOptionNames, RestOptions}

/**
 * The options of one `rest` read exactly as the user spelled them (SPEC section 4), and the
 * few the JVM itself needs. The native engine validates all of them; this class only decides
 * the read's mode (`input` / `inputData` rows, or the API's own records).
 *
 * Not a case class: `toString` must never show a secret.
 */
private[sparkrest] final class SourceConfig private (
    val values: Map[String, String],
    val ignoredInputData: Boolean = false) {
  import SourceConfig._

  /** The temporary view whose rows drive the requests. */
  def input: Option[String] = values.get(Input)

  /** A JSON array of objects used as input rows. */
  def inputData: Option[String] = values.get(InputData)

  /** One request per input row (the enrichment node) rather than the API's own records. */
  def hasInput: Boolean = input.isDefined || inputData.isDefined

  /** The options handed to the engine: everything but the input, which the JVM resolves. */
  def engineValues: Map[String, String] = values -- Seq(Input, InputData)

  def url: String = values.getOrElse(
    RestOptions.Url,
    throw new RestOptionException(
      "option url is required by the rest data source, e.g. .option(\"url\", " +
        "\"http://api.example.com/items\")"))

  def schemaDdl: Option[String] = values.get("schema")

  def inferSchema: Boolean = values.get("inferSchema").exists(_.trim.equalsIgnoreCase("true"))

  def schemaSampleSize: Int = number("schemaSampleSize", 20L).toInt.max(1)

  /** `streamingInterval`: seconds (fractions allowed) between two polls of a stream. */
  def streamingIntervalMillis: Long = values.get("streamingInterval") match {
    case None => 10000L
    case Some(v) =>
      Try(v.trim.toDouble).toOption.filter(s => s >= 0 && s <= MaxIntervalSeconds) match {
        case Some(seconds) => (seconds * 1000).round
        case None =>
          throw new RestOptionException(
            s"option streamingInterval has invalid value '$v': allowed is a number of seconds " +
              s"from 0 to $MaxIntervalSeconds, e.g. 10 or 0.5")
      }
  }

  /** Max records per micro-batch. */
  def batchSize: Long = number("batchSize", 1000L).max(1L)

  /** Consecutive failed polls after which a stream fails (validated by the engine). */
  def maxPollFailures: Int = number("maxPollFailures", 10L).max(1L).min(Int.MaxValue).toInt

  /**
   * A stream read written the way seed 002 does: `streaming=true`, or options only a stream
   * has. Such a read ignores a dummy `inputData` (with a warning when the stream starts).
   */
  def looksLikeStream: Boolean =
    values.exists { case (k, v) =>
      (k.equalsIgnoreCase("streaming") && v.trim.equalsIgnoreCase("true")) ||
      StreamOnlyOptions.exists(_.equalsIgnoreCase(k))
    }

  /** These options without the input rows: what a stream reads with. */
  def withoutInputData: SourceConfig =
    new SourceConfig(values.filterNot(_._1.equalsIgnoreCase(InputData)), ignoredInputData = true)

  def initialOffset: String = values.getOrElse("initialOffset", "0")

  private def number(name: String, default: Long): Long =
    values.get(name).flatMap(v => Try(v.trim.toLong).toOption).getOrElse(default)

  override def toString: String = s"SourceConfig(${values.keys.toSeq.sorted.mkString(", ")})"
}

private[sparkrest] object SourceConfig {
  val Input = "input"
  private val MaxIntervalSeconds = 86400.0
  val InputData = "inputData"
  private val StreamOnlyOptions =
    Seq("streamingInterval", "offsetType", "offsetField", "initialOffset", "maxPollFailures")

  /** From a Spark options map; keys keep the user's spelling when Spark still has it. */
  def apply(options: Map[String, String]): SourceConfig = {
    val values = options match {
      case m: CaseInsensitiveMap[String @unchecked] => m.originalMap
      case m => m
    }
    val config = new SourceConfig(RestOptionNames.canonical(values))
    if (config.input.isDefined && config.inputData.isDefined) {
      throw new RestOptionException(
        "options input and inputData are both given; pass one of them: input names a " +
          "temporary view, inputData is a JSON array of objects")
    }
    config
  }

  def apply(options: java.util.Map[String, String]): SourceConfig = apply(options.asScala.toMap)
}
