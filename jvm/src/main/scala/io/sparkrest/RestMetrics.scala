package io.sparkrest

import org.apache.spark.SparkContext
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}

/** The SQL metrics of [[RestApiCallExec]], as shown in the Spark UI, fed from engine batches. */
private[sparkrest] object RestMetrics {
  val OutputRows = "numOutputRows"
  val Requests = "numRequests"
  val FailedRows = "numFailedRows"
  val Retries = "numRetries"
  val CacheHits = "numCacheHits"
  val DedupedRows = "numDedupedRows"
  val BytesReceived = "bytesReceived"
  val EngineTime = "engineTime"
  val ThrottledTime = "throttledTime"
  val RequestLatency = "requestLatency"

  def create(sc: SparkContext): Map[String, SQLMetric] = Map(
    OutputRows -> SQLMetrics.createMetric(sc, "number of output rows"),
    Requests -> SQLMetrics.createMetric(sc, "number of requests"),
    FailedRows -> SQLMetrics.createMetric(sc, "number of failed rows"),
    Retries -> SQLMetrics.createMetric(sc, "number of retries"),
    CacheHits -> SQLMetrics.createMetric(sc, "number of cache hits"),
    DedupedRows -> SQLMetrics.createMetric(sc, "number of deduplicated rows"),
    BytesReceived -> SQLMetrics.createSizeMetric(sc, "bytes received"),
    EngineTime -> SQLMetrics.createNanoTimingMetric(sc, "time in engine"),
    ThrottledTime -> SQLMetrics.createNanoTimingMetric(sc, "time waiting on rate limit"),
    RequestLatency -> SQLMetrics.createNanoTimingMetric(sc, "total request latency"))

  /** Adds one batch's numbers (output rows are counted as they are emitted). */
  def add(metrics: Map[String, SQLMetric], batch: EnrichMetrics): Unit = {
    metrics(Requests) += batch.requests
    metrics(FailedRows) += batch.failedRows
    metrics(Retries) += batch.retries
    metrics(CacheHits) += batch.cacheHits
    metrics(DedupedRows) += batch.dedupedRows
    metrics(BytesReceived) += batch.bytesReceived
    metrics(EngineTime) += batch.engineNanos
    metrics(ThrottledTime) += batch.throttledNanos
    metrics(RequestLatency) += batch.latencyNanosTotal
  }
}
