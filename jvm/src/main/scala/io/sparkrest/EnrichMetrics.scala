package io.sparkrest

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}

/** What the engine reports for one batch (or cumulatively for an engine), from its JSON. */
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
    latencyNanosTotal: Long)

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
      latencyNanosTotal = long("latency_nanos_total"))
  }
}
