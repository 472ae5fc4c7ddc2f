package io.sparkrest.source

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.execution.datasources.v2.BatchScanExec
import org.apache.spark.sql.types.{LongType, StringType, StructField, StructType}

import io.sparkrest.{RestOptionException, RestRequestException}

/** The `rest` source without input: the API's pages as rows, against the mock API server. */
class RestSourcePagesSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private var spark: SparkSession = _
  private var api: MockApiProcess = _

  override def beforeAll(): Unit = {
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("RestSourcePagesSuite")
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "2")
      .config("spark.sql.adaptive.enabled", "false") // executedPlan is then the final plan
      .getOrCreate()
    api = new MockApiProcess()
  }

  override def afterAll(): Unit = {
    if (api != null) api.close()
    if (spark != null) spark.stop()
  }

  private def read(options: (String, String)*): DataFrame =
    spark.read.format("rest").options(options.toMap).load()

  private def ids(df: DataFrame): Seq[Long] = df.select("id").collect().map(_.getLong(0)).toSeq

  private def requests(): Long =
    """"total":(\d+)""".r.findFirstMatchIn(api.get("/stats")).get.group(1).toLong

  private def scan(df: DataFrame): BatchScanExec =
    df.queryExecution.executedPlan.collectFirst { case s: BatchScanExec => s }.get

  test("page pagination with a total: parallel page ranges, every item once") {
    val df = read(
      "url" -> s"${api.url}/items",
      "paginationType" -> "page",
      "dataField" -> "results",
      "pageSize" -> "20",
      "schema" -> "id BIGINT, name STRING")
    df.schema shouldBe StructType(Seq(StructField("id", LongType), StructField("name", StringType)))
    ids(df).sorted shouldBe (1L to 250L)
    scan(df).inputPartitions.length should be > 1
  }

  test("offset, cursor, link and nextUrl pagination read every item once") {
    val styles = Seq(
      Map(
        "url" -> s"${api.url}/items/offset",
        "paginationType" -> "offset",
        "dataField" -> "results"),
      Map(
        "url" -> s"${api.url}/items/cursor",
        "paginationType" -> "cursor",
        "dataField" -> "results",
        "cursorField" -> "next_cursor"),
      Map("url" -> s"${api.url}/items/link", "paginationType" -> "link", "dataField" -> "results"),
      Map(
        "url" -> s"${api.url}/items/next",
        "paginationType" -> "nextUrl",
        "dataField" -> "data.items",
        "nextUrlField" -> "next",
        "hasMoreField" -> "has_more"))
    styles.foreach { options =>
      val df = spark.read
        .format("rest")
        .options(options + ("schema" -> "id BIGINT") +
          ("pageSize" -> "30"))
        .load()
      withClue(options("paginationType"))(ids(df).sorted shouldBe (1L to 250L))
    }
  }

  test("maxPages caps the pages read, sequential or in parallel ranges") {
    val cursor = read(
      // pageSize is a parameter of page and offset pagination only
      "url" -> s"${api.url}/items/cursor?limit=10",
      "paginationType" -> "cursor",
      "dataField" -> "results",
      "maxPages" -> "3",
      "schema" -> "id BIGINT")
    ids(cursor).sorted shouldBe (1L to 30L)
    val pages = read(
      "url" -> s"${api.url}/items",
      "paginationType" -> "page",
      "dataField" -> "results",
      "pageSize" -> "10",
      "maxPages" -> "3",
      "schema" -> "id BIGINT")
    ids(pages).sorted shouldBe (1L to 30L)
  }

  test("without schema: one output column with each record's JSON") {
    val df =
      read("url" -> s"${api.url}/items", "paginationType" -> "page", "dataField" -> "results")
    df.columns.toSeq shouldBe Seq("output")
    val parsed =
      spark.read.json(df.select("output").as[String](org.apache.spark.sql.Encoders.STRING))
    parsed.select("id").collect().map(_.getLong(0)).sorted.toSeq shouldBe (1L to 250L)
  }

  test("inferSchema samples the first page") {
    val df = read(
      "url" -> s"${api.url}/items",
      "paginationType" -> "page",
      "dataField" -> "results",
      "inferSchema" -> "true")
    df.schema("id").dataType shouldBe LongType
    ids(df).sorted shouldBe (1L to 250L)
  }

  test("the scan reports the engine's metrics as custom metrics") {
    val df = read(
      "url" -> s"${api.url}/items",
      "paginationType" -> "page",
      "dataField" -> "results",
      "pageSize" -> "50",
      "schema" -> "id BIGINT")
    val before = requests()
    df.collect().length shouldBe 250
    // 250 items in pages of 50: five pages, each requested exactly once; the page the driver
    // read to plan is handed to the partition that starts there (and counted in its metrics).
    requests() - before shouldBe 5L
    val metrics = scan(df).metrics
    metrics.keySet should contain allOf ("requests", "records", "retries", "bytesReceived",
    "failedRequests")
    metrics("records").value shouldBe 250
    metrics("requests").value shouldBe 5L
    metrics("bytesReceived").value should be > 0L
  }

  test("the plan shows the scan's options redacted, never a secret") {
    val df = read(
      "url" -> s"${api.url}/items",
      "paginationType" -> "page",
      "dataField" -> "results",
      "auth" -> "bearer",
      "token" -> "s3cret-token-value",
      "schema" -> "id BIGINT")
    Seq("simple", "extended", "formatted", "cost").foreach { mode =>
      val out = new java.io.ByteArrayOutputStream()
      Console.withOut(out)(df.explain(mode))
      val plan = out.toString("UTF-8")
      withClue(plan) {
        plan should include("RestScan")
        plan should include("paginationType=page")
        plan should not include "s3cret-token-value"
      }
    }
  }

  test("a typo fails when the read is created") {
    val e = intercept[RestOptionException] {
      read("url" -> s"${api.url}/items", "paginationTyp" -> "page")
    }
    e.getMessage should include("paginationTyp")
  }

  test("a failing first page fails the read naming the request") {
    val df = read("url" -> s"${api.url}/status/404", "schema" -> "id BIGINT")
    val e = intercept[Exception](df.collect())
    Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null).exists {
      case r: RestRequestException => r.getMessage.contains("404")
      case _ => false
    } shouldBe true
  }

  test("SQL: CREATE TEMPORARY VIEW ... USING rest without input") {
    spark.sql(s"""CREATE OR REPLACE TEMPORARY VIEW items USING rest
                 |OPTIONS (url '${api.url}/items', paginationType 'page', dataField 'results',
                 |         schema 'id BIGINT, name STRING')""".stripMargin)
    spark
      .sql("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM items")
      .head()
      .toSeq shouldBe
      Seq(250L, 250L, 1L, 250L)
  }
}
