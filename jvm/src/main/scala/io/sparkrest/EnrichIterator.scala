package io.sparkrest

import scala.collection.mutable.ArrayBuffer
import scala.util.control.NonFatal

import org.apache.arrow.memory.BufferAllocator
import org.slf4j.LoggerFactory

import org.apache.spark.{TaskContext, TaskKilledException}
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, JoinedRow, UnsafeProjection}
import org.apache.spark.sql.execution.metric.SQLMetric
import org.apache.spark.sql.sparkrest.{ArrowBridge, ResultBatch}
import org.apache.spark.sql.types.{DataType, StructType}

/**
 * Enriches one partition as a continuous flow (DESIGN section 1): input rows are cut into Arrow
 * batches of `batchSize` rows and submitted to the task's native stream, up to
 * [[EnrichIterator.QueueDepth]] batches ahead, so the requests of consecutive batches are in
 * flight together; results come back in input order, a batch as soon as all its requests are
 * done, and each input row is emitted joined with its result row. With `explode=true` the engine
 * returns one result row per array element, each naming its input row (`_row`, ascending), so an
 * input row may come out several times. Memory is bounded by the queued batches (their input
 * rows) plus one result.
 *
 * While it waits for a result the task thread wakes every [[EnrichIterator.WaitMillis]] ms to
 * check whether Spark killed the task; if so it cancels the stream (every in-flight and queued
 * request) and throws Spark's TaskKilledException.
 *
 * Native resources (engine handle, Arrow allocator) are created on the first batch, so empty
 * partitions cost nothing, and released when the task completes, whether it succeeds or not.
 */
private[sparkrest] final class EnrichIterator(
    input: Iterator[InternalRow],
    spec: EnrichIterator.Spec,
    metrics: Map[String, SQLMetric])
    extends Iterator[InternalRow] {

  import EnrichIterator.log

  private val context = TaskContext.get()
  private val toReferenced = UnsafeProjection.create(spec.inputProjection, spec.childOutput)
  private val toOutput = UnsafeProjection.create(spec.outputTypes.toArray)
  private val joined = new JoinedRow
  private val numOutputRows = metrics(RestMetrics.OutputRows)

  // Input rows of the submitted batches, oldest first; `pending` holds the current result's.
  private val submitted = new java.util.ArrayDeque[ArrayBuffer[InternalRow]]()
  private var pending = new ArrayBuffer[InternalRow](0)
  private var position = 0 // the next result row
  private var result: ResultBatch = _
  private var resultRows = 0
  // Explode: the input row of each result row (the engine's `_row` column).
  private var inputIndex: Array[Int] = _

  private var allocator: BufferAllocator = _
  private var bridge: ArrowBridge = _
  private var engine = 0L
  private var stream = 0L
  private var opened = false // at most once, even when opening fails half-way
  private var closed = false

  if (context != null) context.addTaskCompletionListener[Unit](ctx => close(ctx.isFailed()))

  override def hasNext: Boolean = {
    while (position >= resultRows) if (!nextBatch()) return false
    true
  }

  override def next(): InternalRow = {
    if (!hasNext) throw new NoSuchElementException("no more rows in this partition")
    val source = if (inputIndex == null) position else inputIndex(position)
    // The projection reads the input and appended columns by position: `_row`, last in an
    // exploded result, is not part of the output.
    val row = toOutput(joined(pending(source), result.row(position)))
    position += 1
    numOutputRows += 1
    row
  }

  private def nextBatch(): Boolean = {
    closeResult()
    pending = new ArrayBuffer[InternalRow](0)
    position = 0
    resultRows = 0
    inputIndex = null
    if (closed) return false
    while (submitted.size() < EnrichIterator.QueueDepth && input.hasNext) submitBatch()
    if (submitted.isEmpty()) return false
    val (metricsJson, batch) = takeOldest()
    pending = submitted.poll()
    result = batch
    checkResult(batch)
    resultRows = batch.numRows
    if (spec.exploded) inputIndex = rowIndex(batch)
    RestMetrics.add(metrics, EnrichMetrics.parse(metricsJson))
    true
  }

  private def submitBatch(): Unit = {
    open()
    val rows = new ArrayBuffer[InternalRow](spec.batchSize)
    while (rows.length < spec.batchSize && input.hasNext) {
      // The child reuses its row objects; we hold the rows until the batch is emitted.
      val row = input.next().copy()
      rows += row
      bridge.write(toReferenced(row))
    }
    val native = Native.methods
    bridge.submit((inArray, inSchema) => native.submitBatch(stream, inArray, inSchema))
    submitted.add(rows)
  }

  // Waits in short slices so a killed task is noticed within a second even while its requests
  // hang: the stream is cancelled at once and Spark's own TaskKilledException thrown.
  private def takeOldest(): (String, ResultBatch) = {
    val native = Native.methods
    var taken: Option[(String, ResultBatch)] = None
    while (taken.isEmpty) {
      if (context != null && context.isInterrupted()) {
        native.cancelStream(stream)
        throw new TaskKilledException("spark-rest: the task was killed while requests were in flight")
      }
      taken = bridge.receive { (outArray, outSchema) =>
        native.takeBatch(stream, EnrichIterator.WaitMillis, outArray, outSchema)
      }
    }
    taken.get
  }

  // Every input row must have at least one result row, in order: `_row` starts at 0, never
  // goes down or skips a row, and ends at the last input row.
  private def rowIndex(batch: ResultBatch): Array[Int] = {
    val column = spec.resultSchema.length - 1
    val index = Array.tabulate(batch.numRows)(i => batch.row(i).getInt(column))
    val ordered = index.indices.forall { i =>
      val previous = if (i == 0) -1 else index(i - 1)
      index(i) == previous || index(i) == previous + 1
    }
    if (!ordered || index.lastOption.getOrElse(-1) != pending.length - 1) {
      val shown = index.take(20).mkString(",") + (if (index.length > 20) ",..." else "")
      throw new NativeException(
        s"native engine returned ${RestApiCall.RowColumn} [$shown] for ${pending.length} " +
          "input rows: every input row must appear, in order")
    }
    index
  }

  private def open(): Unit = if (!opened) {
    opened = true
    val taskName = Option(context).map(c => s"task ${c.taskAttemptId()}").getOrElse("no task")
    allocator = ArrowBridge.newAllocator(s"spark-rest $taskName")
    bridge = new ArrowBridge(spec.inputSchema, spec.timeZoneId, allocator)
    RestLogging.ensureInitialized(spec.logLevel)
    val native = Native.methods
    engine = spec.engineFields match {
      case Some(schema) =>
        ArrowBridge.withExportedSchema(schema, spec.timeZoneId, allocator) { address =>
          native.createEngine(spec.optionsJson, address)
        }
      case None => native.createEngine(spec.optionsJson, 0L)
    }
    stream = native.openStream(engine)
  }

  // The JoinedRow projection reads result columns by position and type: a mismatch would read
  // garbage or throw deep inside Spark, so it is checked once per batch here.
  private def checkResult(batch: ResultBatch): Unit = {
    if (!spec.exploded && batch.numRows != pending.length) {
      throw new NativeException(
        s"native engine returned ${batch.numRows} result rows for ${pending.length} input rows")
    }
    val got = batch.schema.fields.map(_.dataType).toSeq
    val want = spec.resultSchema.fields.map(_.dataType).toSeq
    val sameTypes = got.length == want.length && got.zip(want).forall { case (g, w) =>
      DataType.equalsStructurally(g, w, ignoreNullability = true)
    }
    if (!sameTypes) {
      throw new NativeException(
        s"native engine returned columns ${batch.schema.simpleString}, " +
          s"expected ${spec.resultSchema.simpleString}")
    }
  }

  private def closeResult(): Unit = if (result != null) {
    result.close()
    result = null
  }

  /** Frees everything; a failure to free is an error unless the task already failed. */
  private def close(taskFailed: Boolean): Unit = if (!closed) {
    closed = true
    pending.clear()
    submitted.clear()
    val steps: Seq[(String, () => Unit)] = Seq(
      // Closing the stream cancels its requests still in flight or queued (a killed task).
      "request stream" -> (() => if (stream != 0L) Native.methods.closeStream(stream)),
      "result batch" -> (() => closeResult()),
      "Arrow bridge" -> (() => if (bridge != null) bridge.close()),
      "Arrow allocator" -> (() => if (allocator != null) allocator.close()),
      "engine" -> (() => if (engine != 0L) Native.methods.releaseEngine(engine)))
    val errors = steps.flatMap { case (what, step) =>
      try {
        step()
        None
      } catch {
        case NonFatal(e) =>
          Some(
            new IllegalStateException(s"spark-rest could not free its $what: ${e.getMessage}", e))
      }
    }
    if (errors.nonEmpty) {
      if (taskFailed) errors.foreach(e => log.warn(e.getMessage, e))
      else {
        errors.tail.foreach(errors.head.addSuppressed)
        throw errors.head
      }
    }
  }
}

private[sparkrest] object EnrichIterator {
  private val log = LoggerFactory.getLogger(classOf[EnrichIterator])

  /** Batches a task keeps submitted ahead (the one being taken included). */
  val QueueDepth = 4

  /** How long one native wait for a result lasts before the task checks for a kill. */
  val WaitMillis = 100L

  /**
   * Everything a task needs, computed on the driver. `engineFields` are the result fields the
   * engine is created with (None: raw `output`); `resultSchema` is what it returns for a batch
   * (the appended columns, then `_row` when `exploded`).
   */
  final case class Spec(
      optionsJson: String,
      batchSize: Int,
      inputSchema: StructType,
      inputProjection: Seq[Attribute],
      childOutput: Seq[Attribute],
      engineFields: Option[StructType],
      resultSchema: StructType,
      exploded: Boolean,
      outputTypes: Seq[DataType],
      timeZoneId: String,
      logLevel: String)
}
