package io.sparkrest.source

import java.util.{Set => JSet}

import scala.jdk.CollectionConverters._

import org.apache.hadoop.conf.Configuration

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.connector.catalog.{SupportsRead, Table, TableCapability}
import org.apache.spark.sql.connector.metric.CustomMetric
import org.apache.spark.sql.connector.read.{Batch, Scan, ScanBuilder}
import org.apache.spark.sql.connector.read.streaming.MicroBatchStream
import org.apache.spark.sql.types.StructType
import org.apache.spark.sql.util.CaseInsensitiveStringMap

import io.sparkrest.{RestOptionException, RestOptions}

/**
 * The DataSource V2 table of a `rest` read without input: batch reads of the API's pages and
 * micro-batch reads of its feed. A read with `input`/`inputData` gets a table without
 * BATCH_READ, so Spark falls back to [[RestDataSource]]'s V1 relation (the enrichment node).
 */
private[sparkrest] final class RestTable(
    config: SourceConfig,
    plan: Option[ApiReadPlan],
    tableSchema: StructType)
    extends Table
    with SupportsRead {

  override def name(): String = "rest"

  override def schema(): StructType = tableSchema

  override def capabilities(): JSet[TableCapability] = {
    val caps =
      if (config.hasInput) Set(TableCapability.MICRO_BATCH_READ) // streaming fails with a reason
      else Set(TableCapability.BATCH_READ, TableCapability.MICRO_BATCH_READ)
    caps.asJava
  }

  override def newScanBuilder(options: CaseInsensitiveStringMap): ScanBuilder = () =>
    plan match {
      case Some(p) => new RestScan(p, tableSchema)
      case None =>
        throw new RestOptionException(
          s"options ${SourceConfig.Input}/${SourceConfig.InputData} make one request per input " +
            "row, which is a batch read (spark.read); a stream (spark.readStream) polls the API " +
            "itself and takes no input")
    }
}

/** The scan of a read without input: its description is the redacted options. */
private[sparkrest] final class RestScan(plan: ApiReadPlan, tableSchema: StructType) extends Scan {

  override def readSchema(): StructType = tableSchema

  override def description(): String = s"RestScan ${plan.options.describe}"

  // One batch per scan: Spark may ask twice, and each batch reads the first page to plan.
  private lazy val batch: Batch = new PagesBatch(plan.spec, plan.maxPartitions)

  override def toBatch: Batch = {
    plan.options.checkSurface(RestOptions.Surface.Paginated)
    batch
  }

  override def toMicroBatchStream(checkpointLocation: String): MicroBatchStream = {
    plan.options.checkSurface(RestOptions.Surface.Stream)
    val hadoopConf = new Configuration(SparkSession.active.sparkContext.hadoopConfiguration)
    new RestMicroBatchStream(plan.spec, plan.config, checkpointLocation, hadoopConf)
  }

  override def supportedCustomMetrics(): Array[CustomMetric] = SourceMetrics.supported
}
