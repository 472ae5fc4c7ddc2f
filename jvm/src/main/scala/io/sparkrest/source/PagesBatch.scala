package io.sparkrest.source

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.connector.read.{Batch, InputPartition, PartitionReader, PartitionReaderFactory}

/**
 * A paginated read: the driver reads the first page to learn the totals (native `planPages`)
 * and gets one state per partition; each task then follows its pages from that state. When
 * the API reports no total, there is a single partition that reads the pages in order.
 */
private[sparkrest] final class PagesBatch(spec: SourceSpec, maxPartitions: Int) extends Batch {

  // Planned once per scan, even when Spark asks twice.
  private lazy val partitions: Array[InputPartition] =
    NativeSource
      .using(spec, "driver pages")(_.planPages(maxPartitions))
      .map(state => PagePartition(state): InputPartition)
      .toArray

  override def planInputPartitions(): Array[InputPartition] = partitions

  override def createReaderFactory(): PartitionReaderFactory = new PageReaderFactory(spec)
}

/** The native state of a partition's first page (opaque JSON). */
private[sparkrest] final case class PagePartition(state: String) extends InputPartition

private[sparkrest] final class PageReaderFactory(spec: SourceSpec) extends PartitionReaderFactory {
  override def createReader(partition: InputPartition): PartitionReader[InternalRow] =
    partition match {
      case p: PagePartition => new PageReader(spec, p.state)
      case other => throw new IllegalArgumentException(s"not a rest page partition: $other")
    }
}
