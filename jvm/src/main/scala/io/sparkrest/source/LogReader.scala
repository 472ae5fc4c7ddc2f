package io.sparkrest.source

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.connector.read.{InputPartition, PartitionReader, PartitionReaderFactory}
import org.apache.spark.sql.sparkrest.ResultBatch

/** One micro-batch: its record log, how many records it holds, how many polls planned it. */
private[sparkrest] final case class LogPartition(file: String, records: Long, polls: Long)
    extends InputPartition

private[sparkrest] final class LogReaderFactory(spec: SourceSpec, conf: HadoopConf)
    extends PartitionReaderFactory {
  override def createReader(partition: InputPartition): PartitionReader[InternalRow] =
    partition match {
      case p: LogPartition => new LogReader(spec, conf, p)
      case other => throw new IllegalArgumentException(s"not a rest stream partition: $other")
    }
}

/**
 * Reads a micro-batch from its record log and decodes it natively: the API is never asked
 * again, so a replay after a restart is exact whatever the API answers today.
 */
private[sparkrest] final class LogReader(spec: SourceSpec, conf: HadoopConf, part: LogPartition)
    extends RecordReader(spec, "stream") {

  private var done = false

  override protected def nextBatch(source: NativeSource): Option[ResultBatch] =
    if (done) None
    else {
      done = true
      val (lines, bytes) = RecordLog.read(part.file, conf.value)
      val (records, batch) = source.decodeLog(lines)
      if (records != part.records) {
        batch.close()
        throw new IllegalStateException(
          s"spark-rest: the record log ${part.file} holds $records records, its batch was " +
            s"planned with ${part.records}")
      }
      totals.add(records, Map("log_bytes" -> bytes, "polls" -> part.polls))
      Some(batch)
    }
}
