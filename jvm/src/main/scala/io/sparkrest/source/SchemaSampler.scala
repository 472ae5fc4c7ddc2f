package io.sparkrest.source

import scala.collection.mutable.ArrayBuffer

import org.slf4j.LoggerFactory

import org.apache.spark.sql.{Encoders, SparkSession}
import org.apache.spark.sql.internal.SQLConf
import org.apache.spark.sql.sparkrest.ResultBatch
import org.apache.spark.sql.types.StructType

/**
 * `inferSchema=true` without input: reads a few records as raw JSON on the driver (the first
 * page(s) of a paginated read, or a poll from `initialOffset` when the url takes an offset)
 * and lets Spark's JSON reader infer their schema. No records: no schema (raw `output`).
 */
private[sparkrest] object SchemaSampler {
  private val log = LoggerFactory.getLogger(getClass)
  private val MaxPages = 5

  def infer(spark: SparkSession, config: SourceConfig, optionsJson: String): Option[StructType] = {
    val rawSpec = new SourceSpec(optionsJson, None, SQLConf.get.sessionLocalTimeZone)
    val size = config.schemaSampleSize
    val samples = NativeSource.using(rawSpec, "driver schema sample") { source =>
      if (config.url.contains("{")) fromPoll(source, config.initialOffset, size)
      else fromPages(source, size)
    }
    if (samples.isEmpty) {
      log.warn("spark-rest: inferSchema found no records to sample; reading raw `output` JSON")
      None
    } else {
      val inferred = spark.read.json(spark.createDataset(samples.toSeq)(Encoders.STRING)).schema
      val fields = inferred.fields.filterNot(_.name == SQLConf.get.columnNameOfCorruptRecord)
      if (fields.isEmpty) None else Some(StructType(fields))
    }
  }

  private def fromPages(source: NativeSource, size: Int): Seq[String] = {
    val samples = ArrayBuffer.empty[String]
    var state = source.planPages(1).headOption
    var pages = 0
    while (samples.length < size && state.isDefined && pages < MaxPages) {
      val (page, batch) = source.fetchPage(state.get)
      try samples ++= strings(batch, size - samples.length)
      finally batch.close()
      state = page.next
      pages += 1
    }
    samples.toSeq
  }

  private def fromPoll(source: NativeSource, offset: String, size: Int): Seq[String] = {
    val (_, batch) = source.pollRecords(offset, size.toLong)
    try strings(batch, size)
    finally batch.close()
  }

  private def strings(batch: ResultBatch, max: Int): Seq[String] =
    (0 until batch.numRows.min(max)).flatMap { i =>
      val row = batch.row(i)
      if (row.isNullAt(0)) None else Some(row.getUTF8String(0).toString)
    }
}
