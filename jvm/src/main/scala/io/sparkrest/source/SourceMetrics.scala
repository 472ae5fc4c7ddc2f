package io.sparkrest.source

import scala.collection.mutable

import org.apache.spark.sql.connector.metric.{CustomMetric, CustomSumMetric, CustomTaskMetric}

/**
 * The engine's numbers as DataSource V2 custom metrics: every `rest` scan shows them in the
 * Spark UI's SQL tab. Spark instantiates the metric classes by name on the driver to aggregate
 * task values, so each is a top-level class with a no-argument constructor.
 */
private[sparkrest] object SourceMetrics {

  /** One metric: its name in the UI's JSON and the engine keys it sums (first present wins). */
  private final case class Def(name: String, keys: Seq[String], make: () => CustomMetric)

  val Records = "records"

  private val defs = Seq(
    Def(Records, Seq.empty, () => new RecordsMetric),
    Def("requests", Seq("requests"), () => new RequestsMetric),
    Def("retries", Seq("retries"), () => new RetriesMetric),
    Def("failedRequests", Seq("failed_requests", "failed_rows"), () => new FailedRequestsMetric),
    Def("cacheHits", Seq("cache_hits"), () => new CacheHitsMetric),
    Def("bytesReceived", Seq("bytes_received"), () => new BytesReceivedMetric),
    Def("requestLatency", Seq("latency_nanos_total"), () => new RequestLatencyMetric),
    Def("throttledTime", Seq("throttled_nanos"), () => new ThrottledTimeMetric),
    Def("polls", Seq("polls"), () => new PollsMetric),
    Def("logBytes", Seq("log_bytes"), () => new LogBytesMetric))

  def supported: Array[CustomMetric] = defs.map(_.make()).toArray

  /** The running totals of one partition reader, reported as its current values. */
  final class Totals {
    private val values = mutable.LinkedHashMap(defs.map(_.name -> 0L): _*)

    /** Adds one page's or poll's records and engine metrics. */
    def add(records: Long, metrics: Map[String, Long]): Unit = {
      values(Records) += records
      defs.filter(_.keys.nonEmpty).foreach { d =>
        d.keys.collectFirst { case k if metrics.contains(k) => metrics(k) }.foreach { v =>
          values(d.name) += v
        }
      }
    }

    def current: Array[CustomTaskMetric] = values.toArray.map { case (n, v) =>
      new CustomTaskMetric {
        override def name(): String = n
        override def value(): Long = v
      }
    }
  }

  def formatBytes(bytes: Long): String = {
    val units = Seq("B", "KiB", "MiB", "GiB", "TiB")
    var value = bytes.toDouble
    var unit = 0
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024
      unit += 1
    }
    if (unit == 0) s"$bytes B" else f"$value%.1f ${units(unit)}"
  }

  def formatNanos(nanos: Long): String = {
    val ms = nanos / 1000000.0
    if (ms < 1000) f"$ms%.0f ms"
    else if (ms < 60000) f"${ms / 1000}%.1f s"
    else f"${ms / 60000}%.1f min"
  }
}

class RecordsMetric extends CustomSumMetric {
  override def name(): String = SourceMetrics.Records
  override def description(): String = "records read from the API"
}

class RequestsMetric extends CustomSumMetric {
  override def name(): String = "requests"
  override def description(): String = "number of requests"
}

class RetriesMetric extends CustomSumMetric {
  override def name(): String = "retries"
  override def description(): String = "number of retries"
}

class FailedRequestsMetric extends CustomSumMetric {
  override def name(): String = "failedRequests"
  override def description(): String = "number of failed requests"
}

class CacheHitsMetric extends CustomSumMetric {
  override def name(): String = "cacheHits"
  override def description(): String = "number of cache hits"
}

class BytesReceivedMetric extends CustomSumMetric {
  override def name(): String = "bytesReceived"
  override def description(): String = "bytes received"
  override def aggregateTaskMetrics(taskMetrics: Array[Long]): String =
    SourceMetrics.formatBytes(taskMetrics.sum)
}

class RequestLatencyMetric extends CustomSumMetric {
  override def name(): String = "requestLatency"
  override def description(): String = "total request latency"
  override def aggregateTaskMetrics(taskMetrics: Array[Long]): String =
    SourceMetrics.formatNanos(taskMetrics.sum)
}

class ThrottledTimeMetric extends CustomSumMetric {
  override def name(): String = "throttledTime"
  override def description(): String = "time waiting on rate limit"
  override def aggregateTaskMetrics(taskMetrics: Array[Long]): String =
    SourceMetrics.formatNanos(taskMetrics.sum)
}

class PollsMetric extends CustomSumMetric {
  override def name(): String = "polls"
  override def description(): String = "polls that planned the stream's micro-batches"
}

class LogBytesMetric extends CustomSumMetric {
  override def name(): String = "logBytes"
  override def description(): String = "record log bytes read"
  override def aggregateTaskMetrics(taskMetrics: Array[Long]): String =
    SourceMetrics.formatBytes(taskMetrics.sum)
}
