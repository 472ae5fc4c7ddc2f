package io.sparkrest.source

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.JsonNodeFactory

import org.apache.spark.sql.connector.read.streaming.Offset

/**
 * A position in the API's feed, as kept in the checkpoint (DESIGN section 6):
 * `{"value": "...", "skip": n, "mode": "first"|"equal", "seq": k, "records": r, "polls": p}`.
 *
 *  - `value`, `skip`, `mode`: the native composite offset. The next poll asks the API for
 *    `value` and drops the `skip` records of its answer that were delivered already (the first
 *    ones, or the leading ones whose offsetField equals `value`), so a batch boundary inside a
 *    run of equal offset values or inside a page loses and repeats nothing.
 *  - `seq`: the record log of the batch that ends here (`restlog/<seq>`); 0 for the initial
 *    offset. `records`/`polls`: what that batch holds and how many polls planned it.
 *
 * Offsets of older versions (`{"offset": "...", "count": n}`) are read as `value` with no skip.
 */
private[sparkrest] final case class RestOffset(
    value: String,
    skip: Long,
    mode: String,
    seq: Long,
    records: Long,
    polls: Long)
    extends Offset {

  override def json(): String = {
    val node = JsonNodeFactory.instance.objectNode()
    node.put("value", value)
    node.put("skip", skip)
    node.put("mode", mode)
    node.put("seq", seq)
    node.put("records", records)
    node.put("polls", polls)
    RestOffset.mapper.writeValueAsString(node)
  }

  /** The part the native poll takes. */
  def nativeJson: String = {
    val node = JsonNodeFactory.instance.objectNode()
    node.put("value", value)
    node.put("skip", skip)
    node.put("mode", mode)
    RestOffset.mapper.writeValueAsString(node)
  }

  /** Same place in the feed (ignores which batch got there). */
  def samePlace(other: RestOffset): Boolean =
    value == other.value && skip == other.skip && mode == other.mode
}

private[sparkrest] object RestOffset {
  private val mapper = new ObjectMapper()

  def initial(value: String): RestOffset = RestOffset(value, 0L, "first", 0L, 0L, 0L)

  /** The batch after `from` that ends at the native offset `nativeJson`. */
  def after(from: RestOffset, nativeJson: String, records: Long, polls: Long): RestOffset = {
    val node = mapper.readTree(nativeJson)
    RestOffset(
      text(node, "value").getOrElse(from.value),
      long(node, "skip").getOrElse(0L),
      text(node, "mode").getOrElse("first"),
      from.seq + 1,
      records,
      polls)
  }

  /** A native offset that resumes inside a page (records of it already delivered). */
  def isPageRemainder(nativeJson: String): Boolean = {
    val node = mapper.readTree(nativeJson)
    long(node, "skip").exists(_ > 0) && text(node, "mode").forall(_ == "first")
  }

  def fromJson(json: String): RestOffset = {
    val node = mapper.readTree(json)
    (text(node, "value"), text(node, "offset")) match {
      case (Some(v), _) =>
        RestOffset(
          v,
          long(node, "skip").getOrElse(0L),
          text(node, "mode").getOrElse("first"),
          long(node, "seq").getOrElse(0L),
          long(node, "records").getOrElse(0L),
          long(node, "polls").getOrElse(0L))
      case (None, Some(old)) => RestOffset(old, 0L, "first", 0L, 0L, 0L)
      case _ =>
        throw new IllegalArgumentException(
          // Triple quotes: Scala 2.12 (the 3.5 line) rejects \" in interpolations.
          s"""not a rest source offset (expected {"value": "...", "skip": n, ...}): $json""")
    }
  }

  /** Spark hands back its own Offset objects too (e.g. a SerializedOffset after a restart). */
  def of(offset: Offset): RestOffset = offset match {
    case o: RestOffset => o
    case other => fromJson(other.json())
  }

  private def text(node: JsonNode, key: String): Option[String] =
    Option(node.get(key)).filter(_.isTextual).map(_.asText())

  private def long(node: JsonNode, key: String): Option[Long] =
    Option(node.get(key)).filter(_.canConvertToLong).map(_.asLong())
}
