package io.sparkrest.source

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.JsonNodeFactory

import org.apache.spark.sql.connector.read.streaming.Offset

/**
 * A position in the API's feed, as kept in the checkpoint:
 * `{"offset": "<native offset text>", "count": <records between the previous offset and this>}`.
 * `count` lets a batch re-read after a restart return exactly the records it had, even when
 * more arrived since: its reader takes the first `count` records after the start offset.
 */
private[sparkrest] final case class RestOffset(offset: String, count: Long) extends Offset {
  override def json(): String = {
    val node = JsonNodeFactory.instance.objectNode()
    node.put("offset", offset)
    node.put("count", count)
    RestOffset.mapper.writeValueAsString(node)
  }
}

private[sparkrest] object RestOffset {
  private val mapper = new ObjectMapper()

  def fromJson(json: String): RestOffset = {
    val node = mapper.readTree(json)
    val offset = Option(node.get("offset")).filter(_.isTextual).map(_.asText())
    val count = Option(node.get("count")).filter(_.canConvertToLong).map(_.asLong())
    (offset, count) match {
      case (Some(o), Some(c)) => RestOffset(o, c)
      case _ =>
        throw new IllegalArgumentException(
          s"""not a rest source offset (expected {"offset": "...", "count": n}): $json""")
    }
  }

  /** Spark hands back its own Offset objects too (e.g. a SerializedOffset after a restart). */
  def of(offset: Offset): RestOffset = offset match {
    case o: RestOffset => o
    case other => fromJson(other.json())
  }
}
