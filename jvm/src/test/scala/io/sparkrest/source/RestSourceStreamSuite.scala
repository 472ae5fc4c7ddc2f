package io.sparkrest.source

import java.nio.file.Files

import scala.jdk.CollectionConverters._

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.connector.read.streaming.ReadLimit
import org.apache.spark.sql.streaming.{StreamingQuery, Trigger}
import org.apache.spark.sql.types.StructType

import io.sparkrest.{RestOptions, RestRequestException}

/** Streaming reads of the mock API's event feed: offsets, AvailableNow, restarts, polling. */
class RestSourceStreamSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private var spark: SparkSession = _

  override def beforeAll(): Unit = {
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("RestSourceStreamSuite")
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "2")
      .getOrCreate()
  }

  override def afterAll(): Unit = if (spark != null) spark.stop()

  private val Events = 200

  /** The four offset types against the feed (url, options). */
  private def offsetStyles(api: MockApiProcess): Seq[(String, Map[String, String])] = Seq(
    "timestamp" -> Map(
      "url" -> s"${api.url}/events?since={timestamp}",
      "offsetType" -> "timestamp",
      "offsetField" -> "timestamp"),
    "cursor" -> Map(
      "url" -> s"${api.url}/events/cursor?cursor={offset}&limit=50",
      "offsetType" -> "cursor",
      "offsetField" -> "next_cursor"),
    "incremental" -> Map(
      "url" -> s"${api.url}/events/seq?from={offset}",
      "offsetType" -> "incremental",
      "offsetField" -> "seq",
      "initialOffset" -> "1"),
    "max_field" -> Map(
      "url" -> s"${api.url}/events/seq?after={offset}",
      "offsetType" -> "max_field",
      "offsetField" -> "seq"))

  private def stream(options: Map[String, String]): DataFrame =
    spark.readStream
      .format("rest")
      .options(
        Map(
          "dataField" -> "events",
          "schema" -> "id BIGINT, seq BIGINT, timestamp BIGINT, value STRING",
          "batchSize" -> "50",
          "streamingInterval" -> "0.2") ++ options)
      .load()

  private def waitForFeed(api: MockApiProcess, events: Int): Unit = {
    val deadline = System.nanoTime() + 30L * 1000000000L
    while (!api.get("/events/all").contains(s""""id":$events,""")) {
      if (System.nanoTime() > deadline) fail(s"the feed did not reach $events events")
      Thread.sleep(50)
    }
  }

  private def ids(df: DataFrame): Seq[Long] = df.select("id").collect().map(_.getLong(0)).toSeq

  private def await(query: StreamingQuery): Unit = {
    try query.awaitTermination(120000) shouldBe true
    finally query.stop()
    query.exception.foreach(e => fail(e))
  }

  test("AvailableNow reads every event once in batchSize batches, for every offset type") {
    val api = new MockApiProcess("--event-rate", "1000", "--event-max", Events.toString)
    try {
      waitForFeed(api, Events)
      offsetStyles(api).foreach { case (kind, options) =>
        withClue(kind) {
          val name = s"events_$kind"
          val query = stream(options).writeStream
            .format("memory")
            .queryName(name)
            .trigger(Trigger.AvailableNow())
            .start()
          await(query)
          ids(spark.table(name)).sorted shouldBe (1L to Events.toLong)
          val batches = query.recentProgress.filter(_.numInputRows > 0)
          batches.map(_.numInputRows).sum shouldBe Events
          batches.length should be >= 4
          batches.map(_.numInputRows).max should be <= 50L
          val metrics = batches.last.sources.head.metrics.asScala
          metrics.keySet should contain("requests")
          metrics("requests").toLong should be > 0L
        }
      }
    } finally api.close()
  }

  test("a query stopped mid-feed and restarted from its checkpoint loses and repeats nothing") {
    val api = new MockApiProcess("--event-rate", "100", "--event-max", "300")
    val dir = Files.createTempDirectory("rest-stream").toFile
    val out = new java.io.File(dir, "out").getPath
    val checkpoint = new java.io.File(dir, "checkpoint").getPath
    def start(trigger: Trigger): StreamingQuery =
      stream(offsetStyles(api).head._2).writeStream
        .format("parquet")
        .option("path", out)
        .option("checkpointLocation", checkpoint)
        .trigger(trigger)
        .start()
    try {
      val first = start(Trigger.ProcessingTime("100 milliseconds"))
      val deadline = System.nanoTime() + 60L * 1000000000L
      while (first.recentProgress.count(_.numInputRows > 0) < 3 && System.nanoTime() < deadline) {
        Thread.sleep(100)
      }
      first.stop()
      first.exception shouldBe None
      val before = ids(spark.read.parquet(out)).length
      before should be > 0
      before should be < 300
      waitForFeed(api, 300)
      await(start(Trigger.AvailableNow()))
      ids(spark.read.parquet(out)).sorted shouldBe (1L to 300L)
    } finally api.close()
  }

  private def directStream(api: MockApiProcess, clock: () => Long, extra: (String, String)*) = {
    val values = Map(
      "url" -> s"${api.url}/events/seq?after={offset}",
      "dataField" -> "events",
      "offsetType" -> "max_field",
      "offsetField" -> "seq",
      "streamingInterval" -> "10",
      "maxRetries" -> "0",
      "schema" -> "id BIGINT") ++ extra
    val config = SourceConfig(values)
    val spec =
      new SourceSpec(RestOptions.analyze(values).json, Some(StructType.fromDDL("id BIGINT")), "UTC")
    val checkpoint = Files.createTempDirectory("rest-direct").toUri.toString
    new RestMicroBatchStream(
      spec,
      config,
      checkpoint,
      new org.apache.hadoop.conf.Configuration(),
      clock)
  }

  private def requests(api: MockApiProcess): Long =
    """"total":(\d+)""".r.findFirstMatchIn(api.get("/stats")).get.group(1).toLong

  private def place(offset: Any): (String, Long, Long) = {
    val o = RestOffset.of(offset.asInstanceOf[org.apache.spark.sql.connector.read.streaming.Offset])
    (o.value, o.skip, o.records)
  }

  test("a poll that does not fill a batch waits for streamingInterval; the batch is logged") {
    val api = new MockApiProcess("--event-rate", "1000", "--event-max", "10")
    var now = 0L
    val stream = directStream(api, () => now)
    try {
      waitForFeed(api, 10)
      val base = requests(api)
      val limit = ReadLimit.maxRows(1000)
      val start = stream.initialOffset()
      val first = stream.latestOffset(start, limit)
      place(first) shouldBe (("10", 1L, 10L))
      // The first poll of a stream cannot tell a full page: it asks once more, at once.
      requests(api) shouldBe base + 2
      val parts = stream.planInputPartitions(start, first)
      parts.length shouldBe 1
      new java.io.File(new java.net.URI(parts.head.asInstanceOf[LogPartition].file)).length() should
        be > 0L
      now = 5L * 1000000000L
      stream.latestOffset(first, limit) shouldBe first
      stream.latestOffset(start, limit) shouldBe first // the planned batch, not a new poll
      requests(api) shouldBe base + 2
      now = 11L * 1000000000L
      stream.latestOffset(first, limit) shouldBe first // nothing new: the offset stays
      requests(api) shouldBe base + 3
      stream.commit(first)
      new java.io.File(new java.net.URI(parts.head.asInstanceOf[LogPartition].file))
        .exists() shouldBe false
    } finally {
      stream.stop()
      api.close()
    }
  }

  test("a full batch (a backlog) is followed at once by the next one") {
    val api = new MockApiProcess("--event-rate", "1000", "--event-max", "30")
    val stream = directStream(api, () => 0L)
    try {
      waitForFeed(api, 30)
      val limit = ReadLimit.maxRows(10)
      val first = stream.latestOffset(stream.initialOffset(), limit)
      place(first) shouldBe (("10", 1L, 10L))
      place(stream.latestOffset(first, limit)) shouldBe (("20", 1L, 10L))
    } finally {
      stream.stop()
      api.close()
    }
  }

  test("a failed poll keeps the offset and is reported; a first poll failure fails") {
    val api = new MockApiProcess("--event-rate", "1000", "--event-max", "10")
    var now = 0L
    val stream = directStream(api, () => now, "connectTimeout" -> "500")
    try {
      waitForFeed(api, 10)
      val limit = ReadLimit.maxRows(1000)
      val first = stream.latestOffset(stream.initialOffset(), limit)
      api.close()
      now = 20L * 1000000000L
      stream.latestOffset(first, limit) shouldBe first
      val metrics = stream.metrics(java.util.Optional.of(first)).asScala
      metrics("pollErrors") shouldBe "1"
      metrics("polls").toLong should be > 0L
      metrics("lastPollError") should not be empty
    } finally stream.stop()

    val dead = new MockApiProcess()
    dead.close()
    val fresh = directStream(dead, () => 0L, "connectTimeout" -> "500")
    try
      intercept[RestRequestException](
        fresh.latestOffset(fresh.initialOffset(), ReadLimit.maxRows(10)))
    finally fresh.stop()
  }

  test("input options are refused for streams") {
    val e = intercept[Exception] {
      spark.readStream
        .format("rest")
        .option("url", "http://127.0.0.1:1/x/{id}")
        .option("inputData", """[{"id": 1}]""") // no streaming=true: a batch read's input
        .load()
        .writeStream
        .format("memory")
        .queryName("refused")
        .start()
        .processAllAvailable()
    }
    Iterator
      .iterate[Throwable](e)(_.getCause)
      .takeWhile(_ != null)
      .map(_.getMessage)
      .mkString should
      include("batch read")
  }
}
