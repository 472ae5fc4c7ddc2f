package io.sparkrest.source

import java.util.{Map => JMap}
import java.util.Optional

import scala.jdk.CollectionConverters._

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.slf4j.LoggerFactory

import org.apache.spark.sql.connector.read.{InputPartition, PartitionReaderFactory}
import org.apache.spark.sql.connector.read.streaming.{CompositeReadLimit, MicroBatchStream, Offset, ReadAllAvailable, ReadLimit, ReadMaxRows, ReportsSourceMetrics, SupportsTriggerAvailableNow}

import io.sparkrest.RestRequestException

/**
 * A polled API as a micro-batch stream with a record log (SPEC section 5, DESIGN section 6).
 *
 *  - `latestOffset` is the only place that asks the API. It polls from the start offset,
 *    keeps at most `batchSize` records (following at once while polls bring full pages, at
 *    most [[RestMicroBatchStream.MaxPollsPerBatch]] polls), writes them to
 *    `<checkpoint>/restlog/<seq>` and only then returns the batch's end offset. The batch's
 *    partition reads that file and never polls; a restart replays an uncommitted batch from
 *    it; `commit` deletes the logs of committed batches. The driver holds one batch at most.
 *  - Polls wait `streamingInterval` after a poll that did not fill a batch; a full batch (a
 *    backlog) is followed at once, so a backlog is read at the API's pace.
 *  - `Trigger.AvailableNow` polls without waiting and stops after the first batch that is not
 *    full or a poll that brings nothing: it reads what existed when it started, never spins.
 *  - A failed poll keeps the offset and is retried at the next interval; the first poll's
 *    failure, and `maxPollFailures` consecutive ones, fail the query with the last error.
 */
private[sparkrest] final class RestMicroBatchStream(
    spec: SourceSpec,
    config: SourceConfig,
    checkpointLocation: String,
    hadoopConf: Configuration,
    nanoTime: () => Long = () => System.nanoTime())
    extends MicroBatchStream
    with SupportsTriggerAvailableNow
    with ReportsSourceMetrics {
  import RestMicroBatchStream._

  private val intervalNanos = config.streamingIntervalMillis * 1000000L
  private val batchSize = config.batchSize
  private val maxPollFailures = config.maxPollFailures
  private val logDir = new Path(checkpointLocation, "restlog")
  private val recordLog = new RecordLog(logDir, hadoopConf)

  private var source: NativeSource = _
  private var planned: Option[(RestOffset, RestOffset)] = None
  private var lastPollNanos: Option[Long] = None
  private var lastFull = false
  private var succeeded = false
  private var failures = 0
  // The most records one poll brought: a poll as big is a full page of a backlog.
  private var pageHint = 0L
  private var lastError: Option[String] = None
  private var availableNow = false
  private var availableDone = false
  // Cumulative, for lastProgress.
  private var polls = 0L
  private var records = 0L
  private var logBytes = 0L
  private var pollErrors = 0L

  override def initialOffset(): Offset = RestOffset.initial(config.initialOffset)

  override def deserializeOffset(json: String): Offset = RestOffset.fromJson(json)

  override def getDefaultReadLimit: ReadLimit = ReadLimit.maxRows(batchSize)

  override def latestOffset(): Offset =
    throw new UnsupportedOperationException("the rest source needs latestOffset(start, limit)")

  override def latestOffset(startOffset: Offset, limit: ReadLimit): Offset = synchronized {
    val start = RestOffset.of(startOffset)
    planned match {
      // Asked again for a batch already planned (its log is written): same answer.
      case Some((from, end)) if from == start => end
      case _ if availableNow && availableDone => start
      case _ if !availableNow && !due => start
      case _ => plan(start, maxRows(limit).min(batchSize))
    }
  }

  override def reportLatestOffset(): Offset = synchronized(planned.map(_._2).orNull)

  override def prepareForTriggerAvailableNow(): Unit = synchronized {
    availableNow = true
    availableDone = false
  }

  override def planInputPartitions(start: Offset, end: Offset): Array[InputPartition] = {
    val to = RestOffset.of(end)
    if (to.records <= 0) Array.empty
    else if (to.seq <= 0) {
      throw new IllegalStateException(
        s"spark-rest: the micro-batch ending at ${to.json()} was planned by an older version " +
          "without a record log; restart the query with a new checkpoint location")
    } else Array(LogPartition(RecordLog.path(logDir, to.seq).toString, to.records, to.polls))
  }

  override def createReaderFactory(): PartitionReaderFactory =
    new LogReaderFactory(spec, new HadoopConf(hadoopConf))

  override def commit(end: Offset): Unit = recordLog.deleteUpTo(RestOffset.of(end).seq)

  override def stop(): Unit = synchronized {
    if (source != null) {
      source.close()
      source = null
    }
  }

  /** The driver's polls, records and log bytes, plus the engine's numbers of those polls. */
  override def metrics(latestConsumedOffset: Optional[Offset]): JMap[String, String] =
    synchronized {
      val engine = Option(source).map(_.cumulativeMetrics).getOrElse(Map.empty)
      val own = Map(
        "polls" -> polls.toString,
        "records" -> records.toString,
        "logBytes" -> logBytes.toString,
        "pollErrors" -> pollErrors.toString) ++
        lastError.map("lastPollError" -> _) ++
        planned.map { case (_, end) => "latestOffset" -> end.nativeJson }
      (engine.map { case (k, v) => k -> v.toString } ++ own).asJava
    }

  override def toString: String = s"RestMicroBatchStream(${spec.resultSchema.simpleString})"

  private def due: Boolean =
    lastFull || lastPollNanos.forall(at => nanoTime() - at >= intervalNanos)

  /** Polls from `start` for at most `max` records, logs them, returns the batch's end. */
  private def plan(start: RestOffset, max: Long): RestOffset = {
    val lines = new StringBuilder
    var at = start.nativeJson
    var count = 0L
    var batchPolls = 0L
    var more = true
    var pageFull = false
    lastPollNanos = Some(nanoTime())
    while (more) {
      val poll =
        try Some(driverSource.pollLog(at, max - count, first = records + count == 0L))
        catch {
          case e: RestRequestException if succeeded => failed(start, e); None
        }
      poll.foreach { p =>
        succeeded = true
        failures = 0
        lastError = None
        polls += 1
        batchPolls += 1
        // The rest of a page split by batchSize is short but says nothing about the API.
        val remainder = RestOffset.isPageRemainder(at)
        pageFull = p.records > 0 && (remainder || p.records >= pageHint)
        if (!remainder) pageHint = pageHint.max(p.records)
        p.next.foreach { next =>
          if (p.records > 0) {
            if (lines.nonEmpty) lines.append('\n')
            lines.append(p.lines)
          }
          count += p.records
          at = next
        }
      }
      // A page as big as the biggest seen means the API has more: ask again at once.
      more = poll.exists(_.next.isDefined) && pageFull && count < max &&
        batchPolls < MaxPollsPerBatch
    }
    lastFull = count >= max || (pageFull && batchPolls >= MaxPollsPerBatch)
    val end = RestOffset.after(start, at, count, batchPolls)
    if (end.samePlace(start)) {
      if (availableNow) availableDone = true
      return start
    }
    if (count > 0) logBytes += recordLog.write(end.seq, lines.toString)
    records += count
    if (availableNow && !lastFull) availableDone = true
    planned = Some(start -> end)
    end
  }

  private def failed(start: RestOffset, e: RestRequestException): Unit = {
    failures += 1
    pollErrors += 1
    lastError = Some(e.getMessage)
    if (failures >= maxPollFailures) {
      throw new RestRequestException(
        s"spark-rest: $failures consecutive polls failed (maxPollFailures=$maxPollFailures); " +
          s"the last error: ${e.getMessage}")
    }
    log.warn(
      s"spark-rest: polling the API failed ($failures of $maxPollFailures allowed in a row), " +
        s"the offset stays at ${start.nativeJson} and the next poll is in " +
        s"${intervalNanos / 1000000} ms: ${e.getMessage}")
  }

  private def driverSource: NativeSource = {
    if (source == null) {
      if (config.ignoredInputData) {
        log.warn(
          "spark-rest: option inputData is ignored by a stream (seed 002 needed a dummy one); " +
            "a stream polls the API from its offset")
      }
      source = NativeSource.open(spec, "driver stream")
    }
    source
  }

  private def maxRows(limit: ReadLimit): Long = limit match {
    case m: ReadMaxRows => m.maxRows()
    case _: ReadAllAvailable => batchSize
    case c: CompositeReadLimit =>
      c.getReadLimits.collect { case m: ReadMaxRows => m.maxRows() }.toSeq.sorted.headOption.getOrElse(batchSize)
    case _ => batchSize
  }
}

private[sparkrest] object RestMicroBatchStream {
  private val log = LoggerFactory.getLogger(classOf[RestMicroBatchStream])

  /** Polls one batch may take while the API keeps answering full pages. */
  val MaxPollsPerBatch = 100L
}
