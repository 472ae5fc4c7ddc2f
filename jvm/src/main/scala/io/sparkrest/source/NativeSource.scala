package io.sparkrest.source

import scala.jdk.CollectionConverters._
import scala.util.control.NonFatal

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import org.apache.arrow.memory.BufferAllocator

import org.apache.spark.sql.sparkrest.{ArrowBridge, ArrowImport, ResultBatch}
import org.apache.spark.sql.types.DataType

import io.sparkrest.{Native, NativeException}

/**
 * One native source handle (pages and polls of an API, no input rows) and the Arrow allocator
 * its records are imported with. Not thread-safe: one task or the driver's stream uses it.
 * `close` releases both; results must be closed before.
 */
private[sparkrest] final class NativeSource private (
    spec: SourceSpec,
    allocator: BufferAllocator,
    val handle: Long)
    extends AutoCloseable {
  import NativeSource._

  private var closed = false

  /** Driver: the partition states of a paginated read (opaque JSON objects). */
  def planPages(maxPartitions: Int): Seq[String] = {
    val states = mapper.readTree(Native.methods.planPages(handle, maxPartitions.max(1)))
    if (!states.isArray || states.size() == 0) {
      throw new NativeException(
        s"planPages returned no partition state: ${states.toString.take(200)}")
    }
    states.elements().asScala.map(s => mapper.writeValueAsString(s)).toSeq
  }

  /** One page from `state`: its records and the state of the next page (None when done). */
  def fetchPage(state: String): (Page, ResultBatch) = {
    val (json, batch) = ArrowImport.importInto(allocator) { (outArray, outSchema) =>
      Native.methods.fetchPage(handle, state, outArray, outSchema)
    }
    try {
      val answer = mapper.readTree(json)
      val next = Option(answer.get("next")).filterNot(_.isNull).map(mapper.writeValueAsString)
      checkSchema(batch)
      (Page(next, records(answer, batch), metrics(answer)), batch)
    } catch {
      case NonFatal(e) =>
        batch.close()
        throw e
    }
  }

  /** The first `limit` records after `offset`, in API order (schema sampling). */
  def pollRecords(offset: String, limit: Long): (Poll, ResultBatch) = {
    val (json, batch) = ArrowImport.importInto(allocator) { (outArray, outSchema) =>
      Native.methods.poll(handle, offset, limit, outArray, outSchema)
    }
    try {
      val answer = mapper.readTree(json)
      checkSchema(batch)
      (Poll(nextOffset(answer), records(answer, batch), metrics(answer)), batch)
    } catch {
      case NonFatal(e) =>
        batch.close()
        throw e
    }
  }

  /** Driver: one poll for the record log (see [[io.sparkrest.NativeMethods.pollLog]]). */
  def pollLog(offsetJson: String, limit: Long, first: Boolean): LogPoll = {
    val reply = Native.methods.pollLog(handle, offsetJson, limit, first)
    val cut = reply.indexOf('\n')
    val header = mapper.readTree(if (cut < 0) reply else reply.substring(0, cut))
    val next = Option(header.get("next")).filterNot(_.isNull).map(mapper.writeValueAsString)
    LogPoll(
      next,
      long(header, "records"),
      Option(header.get("truncated")).exists(_.asBoolean()),
      metrics(header),
      if (cut < 0) "" else reply.substring(cut + 1))
  }

  /** Executor: the rows of a record log. */
  def decodeLog(lines: String): (Long, ResultBatch) = {
    val (json, batch) = ArrowImport.importInto(allocator) { (outArray, outSchema) =>
      Native.methods.decodeLog(handle, lines, outArray, outSchema)
    }
    try {
      checkSchema(batch)
      (records(mapper.readTree(json), batch), batch)
    } catch {
      case NonFatal(e) =>
        batch.close()
        throw e
    }
  }

  /** The handle's cumulative metrics (the engine's keys, e.g. `requests`, `retries`). */
  def cumulativeMetrics: Map[String, Long] = numbers(
    mapper.readTree(Native.methods.sourceMetrics(handle)))

  override def close(): Unit = if (!closed) {
    closed = true
    try Native.methods.releaseSource(handle)
    finally allocator.close()
  }

  // A mismatch would read garbage or throw deep inside Spark's row projection.
  private def checkSchema(batch: ResultBatch): Unit = {
    val want = spec.resultSchema
    val got = batch.schema
    val same = got.length == want.length && got.fields.zip(want.fields).forall { case (g, w) =>
      DataType.equalsStructurally(g.dataType, w.dataType, ignoreNullability = true)
    }
    if (!same) {
      throw new NativeException(
        s"native source returned columns ${got.simpleString}, expected ${want.simpleString}")
    }
  }

  private def records(answer: JsonNode, batch: ResultBatch): Long = {
    val n = long(answer, "records")
    if (n != batch.numRows) {
      throw new NativeException(s"native source reported $n records but exported ${batch.numRows}")
    }
    n
  }
}

private[sparkrest] object NativeSource {
  private val mapper = new ObjectMapper()

  /** One page's outcome. */
  final case class Page(next: Option[String], records: Long, metrics: Map[String, Long])

  /** One poll's outcome; `nextOffset` is None when the offset does not move. */
  final case class Poll(nextOffset: Option[String], records: Long, metrics: Map[String, Long])

  /** One poll for the record log: `lines` holds each record's JSON on its own line. */
  final case class LogPoll(
      next: Option[String],
      records: Long,
      truncated: Boolean,
      metrics: Map[String, Long],
      lines: String)

  /** Opens a source; throws [[io.sparkrest.RestOptionException]] for bad options. */
  def open(spec: SourceSpec, name: String): NativeSource = {
    val allocator = ArrowBridge.newAllocator(s"spark-rest source $name")
    try {
      val native = Native.methods
      val handle = spec.schema match {
        case Some(schema) =>
          ArrowBridge.withExportedSchema(schema, spec.timeZoneId, allocator) { address =>
            native.createSource(spec.optionsJson, address)
          }
        case None => native.createSource(spec.optionsJson, 0L)
      }
      new NativeSource(spec, allocator, handle)
    } catch {
      case NonFatal(e) =>
        allocator.close()
        throw e
    }
  }

  /** Opens a source, runs `use` and closes it. */
  def using[T](spec: SourceSpec, name: String)(use: NativeSource => T): T = {
    val source = open(spec, name)
    try use(source)
    finally source.close()
  }

  /** The numeric fields of the engine's metrics object (absent keys simply are absent). */
  def numbers(node: JsonNode): Map[String, Long] =
    if (node == null || !node.isObject) Map.empty
    else
      node
        .properties()
        .asScala
        .collect { case e if e.getValue.isNumber => e.getKey -> e.getValue.asLong() }
        .toMap

  private def metrics(answer: JsonNode): Map[String, Long] = numbers(answer.get("metrics"))

  private def nextOffset(answer: JsonNode): Option[String] =
    Option(answer.get("next_offset")).filterNot(_.isNull).map(_.asText())

  private def long(node: JsonNode, key: String): Long =
    Option(node.get(key)).filter(_.isNumber).map(_.asLong()).getOrElse(0L)
}
