package io.sparkrest.source

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection
import org.apache.spark.sql.connector.metric.CustomTaskMetric
import org.apache.spark.sql.connector.read.PartitionReader
import org.apache.spark.sql.sparkrest.ResultBatch

/**
 * Emits the records of native result batches, one batch at a time, and reports the engine's
 * numbers as custom metrics. Subclasses say how to get the next batch. Rows are copied out of
 * Arrow memory, so a batch is freed as soon as the next one is fetched. Memory is bounded by
 * one page (or one poll).
 */
private[sparkrest] abstract class RecordReader(spec: SourceSpec, name: String)
    extends PartitionReader[InternalRow] {

  protected val totals = new SourceMetrics.Totals
  private val toUnsafe = UnsafeProjection.create(spec.resultSchema)
  private var source: NativeSource = _
  private var batch: ResultBatch = _
  private var position = -1
  private var closed = false

  /** The next batch of records, or None when the partition is done. */
  protected def nextBatch(source: NativeSource): Option[ResultBatch]

  override def next(): Boolean = {
    if (closed) return false
    position += 1
    while (batch == null || position >= batch.numRows) {
      closeBatch()
      if (source == null) source = NativeSource.open(spec, name)
      nextBatch(source) match {
        case Some(b) =>
          batch = b
          position = 0
        case None => return false
      }
    }
    true
  }

  override def get(): InternalRow = toUnsafe(batch.row(position))

  override def currentMetricsValues(): Array[CustomTaskMetric] = totals.current

  override def close(): Unit = if (!closed) {
    closed = true
    try closeBatch()
    finally if (source != null) source.close()
  }

  private def closeBatch(): Unit = if (batch != null) {
    batch.close()
    batch = null
  }
}

/** One partition of a paginated read: pages from `firstState` until native says done. */
private[sparkrest] final class PageReader(spec: SourceSpec, firstState: String)
    extends RecordReader(spec, "pages") {

  private var state: Option[String] = Some(firstState)

  override protected def nextBatch(source: NativeSource): Option[ResultBatch] = state.map { s =>
    val (page, batch) = source.fetchPage(s)
    state = page.next
    totals.add(page.records, page.metrics)
    batch
  }
}
