package io.sparkrest.source

import org.slf4j.LoggerFactory

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.connector.read.{InputPartition, PartitionReader, PartitionReaderFactory}
import org.apache.spark.sql.sparkrest.ResultBatch

/** One micro-batch: the first `count` records after `offset` (`end` is for checks only). */
private[sparkrest] final case class PollPartition(offset: String, count: Long, end: String)
    extends InputPartition

private[sparkrest] final class PollReaderFactory(spec: SourceSpec) extends PartitionReaderFactory {
  override def createReader(partition: InputPartition): PartitionReader[InternalRow] =
    partition match {
      case p: PollPartition => new PollReader(spec, p)
      case other => throw new IllegalArgumentException(s"not a rest stream partition: $other")
    }
}

/**
 * Reads a micro-batch with one poll. Fewer records than the batch was planned with means the
 * API no longer returns what it did (records deleted, offsets reset): failing is the only way
 * not to lose them silently.
 */
private[sparkrest] final class PollReader(spec: SourceSpec, partition: PollPartition)
    extends RecordReader(spec, "stream") {

  private var done = false

  override protected def nextBatch(source: NativeSource): Option[ResultBatch] =
    if (done) None
    else {
      done = true
      val (poll, batch) = source.pollRecords(partition.offset, partition.count)
      totals.add(poll.records, poll.metrics)
      if (poll.records != partition.count) {
        batch.close()
        throw new IllegalStateException(
          s"spark-rest: the micro-batch after offset '${partition.offset}' was planned with " +
            s"${partition.count} records but the API now returns ${poll.records}; the feed " +
            "changed under the stream")
      }
      if (!poll.nextOffset.contains(partition.end)) {
        PollReader.log.warn(
          s"spark-rest: re-reading ${partition.count} records after '${partition.offset}' ended " +
            s"at offset ${poll.nextOffset.getOrElse("(none)")}, planned '${partition.end}'")
      }
      Some(batch)
    }
}

private object PollReader {
  private val log = LoggerFactory.getLogger(classOf[PollReader])
}
