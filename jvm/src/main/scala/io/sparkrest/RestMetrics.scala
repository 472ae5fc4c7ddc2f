package io.sparkrest

import org.apache.spark.SparkContext
import org.apache.spark.sql.execution.metric.{SQLMetric, SQLMetrics}

/**
 * The SQL metrics of [[RestApiCallExec]], as shown in the Spark UI, fed from engine batches.
 * Counts and times are summed over batches and tasks; the latency percentiles are those of
 * one batch, and each task keeps the largest of its batches (the UI's "max" column is then the
 * worst batch of the query).
 */
private[sparkrest] object RestMetrics {
  val OutputRows = "numOutputRows"
  val Requests = "numRequests"
  val FailedRows = "numFailedRows"
  val FailedRowsHttp = "numFailedRowsHttp"
  val FailedRowsTransport = "numFailedRowsTransport"
  val CircuitOpenRows = "numCircuitOpenRows"
  val Retries = "numRetries"
  val CacheHits = "numCacheHits"
  val DedupedRows = "numDedupedRows"
  val TokenRefreshes = "numTokenRefreshes"
  val BytesReceived = "bytesReceived"
  val EngineTime = "engineTime"
  val ThrottledTime = "throttledTime"
  val RequestLatency = "requestLatency"
  val LatencyP50 = "requestLatencyP50"
  val LatencyP99 = "requestLatencyP99"
  val ConcurrencyLimit = "concurrencyLimit"
  val ConcurrencyLimitPeak = "concurrencyLimitPeak"

  /** Metric key -> the name the Spark UI shows. */
  val Names: Seq[(String, String)] = Seq(
    OutputRows -> "number of output rows",
    Requests -> "number of requests sent",
    Retries -> "number of retries",
    CacheHits -> "number of cache hits",
    DedupedRows -> "number of deduplicated rows",
    FailedRows -> "number of failed rows",
    FailedRowsHttp -> "number of failed rows: HTTP error status",
    FailedRowsTransport -> "number of failed rows: no response (connection, timeout, size)",
    CircuitOpenRows -> "number of failed rows: circuit open",
    TokenRefreshes -> "number of OAuth2 token fetches",
    BytesReceived -> "bytes received",
    EngineTime -> "time in engine",
    ThrottledTime -> "time waiting on rate limiter",
    RequestLatency -> "total request latency",
    LatencyP50 -> "request latency p50 (per batch, max in task)",
    LatencyP99 -> "request latency p99 (per batch, max in task)",
    ConcurrencyLimit -> "concurrency limit (current, per task)",
    ConcurrencyLimitPeak -> "concurrency limit (peak, per task)")

  private val Sizes = Set(BytesReceived)
  private val Timings = Set(EngineTime, ThrottledTime, RequestLatency, LatencyP50, LatencyP99)
  // Per-task values shown as (min, med, max) over tasks: a sum of limits would mean nothing.
  private val PerTask = Set(ConcurrencyLimit, ConcurrencyLimitPeak)
  // Spark's average metrics hold ten times the value (one decimal place).
  private val AverageBase = 10L

  def create(sc: SparkContext): Map[String, SQLMetric] = Names.map { case (key, name) =>
    val metric =
      if (Sizes(key)) SQLMetrics.createSizeMetric(sc, name)
      else if (Timings(key)) SQLMetrics.createNanoTimingMetric(sc, name)
      else if (PerTask(key)) SQLMetrics.createAverageMetric(sc, name)
      else SQLMetrics.createMetric(sc, name)
    key -> metric
  }.toMap

  /** Adds one batch's numbers (output rows are counted as they are emitted). */
  def add(metrics: Map[String, SQLMetric], batch: EnrichMetrics): Unit = {
    metrics(Requests) += batch.requests
    metrics(FailedRows) += batch.failedRows
    metrics(FailedRowsHttp) += batch.failedRowsHttp
    metrics(FailedRowsTransport) += batch.failedRowsTransport
    metrics(CircuitOpenRows) += batch.circuitOpenRows
    metrics(Retries) += batch.retries
    metrics(CacheHits) += batch.cacheHits
    metrics(DedupedRows) += batch.dedupedRows
    metrics(TokenRefreshes) += batch.tokenRefreshes
    metrics(BytesReceived) += batch.bytesReceived
    metrics(EngineTime) += batch.engineNanos
    metrics(ThrottledTime) += batch.throttledNanos
    metrics(RequestLatency) += batch.latencyNanosTotal
    keepMax(metrics(LatencyP50), batch.latencyP50Nanos)
    keepMax(metrics(LatencyP99), batch.latencyP99Nanos)
    if (batch.concurrencyLimit > 0) {
      metrics(ConcurrencyLimit).set(batch.concurrencyLimit * AverageBase)
    }
    keepMax(metrics(ConcurrencyLimitPeak), batch.concurrencyLimitPeak * AverageBase)
  }

  // A task's copy of the metric starts at its initial value; batches without requests
  // (all cached) report 0 and leave it alone.
  private def keepMax(metric: SQLMetric, value: Long): Unit =
    if (value > 0 && (metric.isZero || value > metric.value)) metric.set(value)
}
