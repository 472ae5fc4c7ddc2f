package io.sparkrest.source

import java.util.{Map => JMap}
import java.util.Optional

import scala.jdk.CollectionConverters._

import org.slf4j.LoggerFactory

import org.apache.spark.sql.connector.read.{InputPartition, PartitionReaderFactory}
import org.apache.spark.sql.connector.read.streaming.{CompositeReadLimit, MicroBatchStream, Offset, ReadAllAvailable, ReadLimit, ReadMaxRows, ReportsSourceMetrics, SupportsTriggerAvailableNow}

import io.sparkrest.RestRequestException

/**
 * A polled API as a micro-batch stream (SPEC section 5). The offset semantics are native; the
 * JVM keeps [[RestOffset]]s in the checkpoint and decides when to poll:
 *
 *  - `latestOffset` polls from the start offset (on the driver, exporting no records) at most
 *    once per `streamingInterval`, returning the previous answer in between. A poll that came
 *    back full (`batchSize` records: a backlog) is followed at once by the next one.
 *  - The batch from `start` to `end` is one partition that re-polls from `start.offset` and
 *    takes exactly `end.count` records, so a batch replayed after a restart reads the same
 *    records even when more have arrived.
 *  - `Trigger.AvailableNow` first counts what is available from the start offset, then reads
 *    exactly that in `batchSize` batches, without waiting between polls.
 *
 * A failed poll (after the engine's retries) fails the query when no poll has succeeded yet
 * (a wrong url or token should not look like a quiet feed); later it is logged, counted in
 * the source's metrics and retried after the interval, and the offset does not move.
 */
private[sparkrest] final class RestMicroBatchStream(
    spec: SourceSpec,
    config: SourceConfig,
    nanoTime: () => Long = () => System.nanoTime())
    extends MicroBatchStream
    with SupportsTriggerAvailableNow
    with ReportsSourceMetrics {
  import RestMicroBatchStream._

  private val intervalNanos = config.streamingIntervalMillis * 1000000L
  private val batchSize = config.batchSize

  private var source: NativeSource = _
  private var lastPoll: Option[LastPoll] = None
  private var succeeded = false
  private var pollErrors = 0L
  private var lastError: Option[String] = None
  private var availableNow = false
  private var remaining: Option[Long] = None // AvailableNow: records left to read

  override def initialOffset(): Offset = RestOffset(config.initialOffset, 0L)

  override def deserializeOffset(json: String): Offset = RestOffset.fromJson(json)

  override def getDefaultReadLimit: ReadLimit = ReadLimit.maxRows(batchSize)

  override def latestOffset(): Offset =
    throw new UnsupportedOperationException("the rest source needs latestOffset(start, limit)")

  override def latestOffset(startOffset: Offset, limit: ReadLimit): Offset = synchronized {
    val start = RestOffset.of(startOffset)
    val max = maxRows(limit)
    if (availableNow) latestAvailableNow(start, max) else latestPolled(start, max)
  }

  override def reportLatestOffset(): Offset = synchronized(lastPoll.map(_.latest).orNull)

  override def prepareForTriggerAvailableNow(): Unit = synchronized {
    availableNow = true
    remaining = None
  }

  override def planInputPartitions(start: Offset, end: Offset): Array[InputPartition] = {
    val from = RestOffset.of(start)
    val to = RestOffset.of(end)
    if (to.count <= 0) Array.empty
    else Array(PollPartition(from.offset, to.count, to.offset))
  }

  override def createReaderFactory(): PartitionReaderFactory = new PollReaderFactory(spec)

  override def commit(end: Offset): Unit = ()

  override def stop(): Unit = synchronized {
    if (source != null) {
      source.close()
      source = null
    }
  }

  /** The engine's cumulative numbers of this stream's driver polls, plus its poll failures. */
  override def metrics(latestConsumedOffset: Optional[Offset]): JMap[String, String] =
    synchronized {
      val engine = Option(source).map(_.cumulativeMetrics).getOrElse(Map.empty)
      val own = Map("pollErrors" -> pollErrors.toString) ++
        lastError.map("lastPollError" -> _) ++
        lastPoll.map(p => "latestOffset" -> p.latest.offset)
      (engine.map { case (k, v) => k -> v.toString } ++ own).asJava
    }

  override def toString: String = s"RestMicroBatchStream(${spec.resultSchema.simpleString})"

  private def latestPolled(start: RestOffset, max: Long): RestOffset = {
    val now = nanoTime()
    val due = lastPoll.forall(p => now - p.atNanos >= intervalNanos)
    lastPoll match {
      case Some(p) if !due && p.start == start => p.latest
      case Some(p) if !due && p.latest == start && !p.full => start
      case _ =>
        val latest =
          try advance(start, max)
          catch {
            case e: RestRequestException if succeeded =>
              pollErrors += 1
              lastError = Some(e.getMessage)
              log.warn(
                s"spark-rest: polling the API failed, the offset stays at ${start.offset} and " +
                  s"the next poll is in ${intervalNanos / 1000000} ms: ${e.getMessage}")
              start
          }
        succeeded = true
        val full = !(latest eq start) && latest.count >= max
        lastPoll = Some(LastPoll(now, start, latest, full))
        latest
    }
  }

  private def latestAvailableNow(start: RestOffset, max: Long): RestOffset = {
    val budget = remaining.getOrElse(countAvailable(start))
    val latest = if (budget <= 0) start else advance(start, max.min(budget))
    remaining = Some(if (latest eq start) 0L else (budget - latest.count).max(0L))
    lastPoll = Some(LastPoll(nanoTime(), start, latest, full = false))
    latest
  }

  /** The offset after at most `max` records from `start`; `start` itself when nothing is new. */
  private def advance(start: RestOffset, max: Long): RestOffset = {
    val poll = driverSource.pollOffset(start.offset, max)
    poll.nextOffset match {
      case Some(next) if poll.records > 0 || next != start.offset => RestOffset(next, poll.records)
      case _ => start
    }
  }

  // How many records are there right now after `start`: the AvailableNow target.
  private def countAvailable(start: RestOffset): Long = {
    val deadline = nanoTime() + CountDeadlineNanos
    var offset = start.offset
    var total = 0L
    var more = true
    while (more) {
      val poll = driverSource.pollOffset(offset, CountStep)
      poll.nextOffset match {
        case Some(next) if poll.records > 0 =>
          total += poll.records
          offset = next
          if (nanoTime() > deadline) {
            log.warn(
              s"spark-rest: AvailableNow counted $total records for ${CountDeadlineNanos / 1e9} s " +
                "and the feed still grows; reading those and stopping")
            more = false
          }
        case _ => more = false
      }
    }
    total
  }

  private def driverSource: NativeSource = {
    if (source == null) source = NativeSource.open(spec, "driver stream")
    source
  }

  private def maxRows(limit: ReadLimit): Long = limit match {
    case m: ReadMaxRows => m.maxRows()
    case _: ReadAllAvailable => Long.MaxValue
    case c: CompositeReadLimit =>
      c.getReadLimits.collect { case m: ReadMaxRows => m.maxRows() }.toSeq.sorted.headOption.getOrElse(batchSize)
    case _ => batchSize
  }
}

private[sparkrest] object RestMicroBatchStream {
  private val log = LoggerFactory.getLogger(classOf[RestMicroBatchStream])

  private val CountStep = 10000L
  private val CountDeadlineNanos = 60L * 1000000000L

  private final case class LastPoll(
      atNanos: Long,
      start: RestOffset,
      latest: RestOffset,
      full: Boolean)
}
