package io.sparkrest

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}

/**
 * What the engine reports for one batch (or cumulatively for an engine), from its JSON. All
 * are counts or sums except the latency percentiles, which describe one batch's attempts.
 */
final case class EnrichMetrics(
    rows: Long,
    requests: Long,
    failedRows: Long,
    retries: Long,
    cacheHits: Long,
    dedupedRows: Long,
    bytesReceived: Long,
    throttledNanos: Long,
    engineNanos: Long,
    latencyNanosTotal: Long,
    latencyP50Nanos: Long = 0L,
    latencyP99Nanos: Long = 0L,
    circuitOpenRows: Long = 0L,
    failedRowsHttp: Long = 0L,
    failedRowsTransport: Long = 0L,
    tokenRefreshes: Long = 0L,
    concurrencyLimit: Long = 0L,
    concurrencyLimitPeak: Long = 0L)

object EnrichMetrics {
  private val mapper = new ObjectMapper()

  /** Parses the engine's metrics JSON; absent keys count as 0 so the engine may add keys first. */
  def parse(json: String): EnrichMetrics = {
    val node = mapper.readTree(json)
    def long(key: String): Long =
      Option(node.get(key)).filter(_.isNumber).map((n: JsonNode) => n.asLong()).getOrElse(0L)
    EnrichMetrics(
      rows = long("rows"),
      requests = long("requests"),
      failedRows = long("failed_rows"),
      retries = long("retries"),
      cacheHits = long("cache_hits"),
      dedupedRows = long("deduped_rows"),
      bytesReceived = long("bytes_received"),
      throttledNanos = long("throttled_nanos"),
      engineNanos = long("engine_nanos"),
      latencyNanosTotal = long("latency_nanos_total"),
      latencyP50Nanos = long("latency_p50_nanos"),
      latencyP99Nanos = long("latency_p99_nanos"),
      circuitOpenRows = long("circuit_open_rows"),
      failedRowsHttp = long("failed_rows_http"),
      failedRowsTransport = long("failed_rows_transport"),
      tokenRefreshes = long("token_refreshes"),
      concurrencyLimit = long("concurrency_limit"),
      concurrencyLimitPeak = long("concurrency_limit_peak"))
  }
}
