package io.sparkrest

import java.io.{BufferedReader, File, InputStreamReader}
import java.nio.charset.StandardCharsets
import java.util.concurrent.TimeUnit

import com.fasterxml.jackson.databind.ObjectMapper
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, Row, SparkSession}
import org.apache.spark.sql.types._

import io.sparkrest.implicits._

/**
 * The engine features through the Scala surface, against the project's mock API server
 * (`target/release/mock-api`, started here on 127.0.0.1): typed and array-shaped output,
 * schema inference, SQL metrics, and the per-executor share of a query-wide rate limit.
 */
class EngineFeaturesSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private var spark: SparkSession = _
  private var api: MockApiProcess = _

  override def beforeAll(): Unit = {
    api = MockApiProcess.start()
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("EngineFeaturesSuite")
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "2")
      .config("spark.sql.adaptive.enabled", "false")
      .config("spark.sql.session.timeZone", "UTC")
      .getOrCreate()
  }

  override def afterAll(): Unit = {
    if (spark != null) spark.stop()
    if (api != null) api.close()
  }

  // One partition: rows keep the order given.
  private def ints(name: String, values: Int*): DataFrame = {
    val session = spark
    import session.implicits._
    values.toDF(name).repartition(1)
  }

  private def pages(numbers: Int*): DataFrame = ints("page", numbers: _*)

  private def itemsUrl = s"${api.url}/items?page={page}&per_page=2"

  test("typed output with nested types and decimals") {
    val rows = ints("cid", 1, 2, 3)
      .restApiCall(
        s"${api.url}/customers/{cid}",
        Map("schema" -> ("customer_id BIGINT, ltv DECIMAL(10,2), tags ARRAY<STRING>, " +
          "address STRUCT<city: STRING, zip: STRING>, name INT")))
      .orderBy("cid")
      .collect()
    rows.map(_.getAs[java.math.BigDecimal]("ltv").doubleValue()).toSeq shouldBe Seq(1.5, 3.0, 4.5)
    rows.map(r => r.getSeq[String](r.fieldIndex("tags"))).toSeq shouldBe Seq(
      Seq("t1"),
      Seq("t2"),
      Seq("t3"))
    rows.map(_.getAs[Row]("address").getString(0)).toSeq shouldBe
      Seq("city-1", "city-2", "city-3")
    rows.foreach { r =>
      r.isNullAt(r.fieldIndex("name")) shouldBe true // "customer-1" is no INT
      r.getAs[String]("_error") should include("name")
    }
  }

  test("arrayColumn gives one ARRAY<STRUCT> column") {
    val df = pages(1, 2).restApiCall(
      itemsUrl,
      Map("schema" -> "id INT, name STRING", "dataField" -> "results", "arrayColumn" -> "items"))
    df.schema("items").dataType shouldBe ArrayType(
      StructType(Seq(StructField("id", IntegerType), StructField("name", StringType))))
    df.collect().map(r => r.getSeq[Row](1).map(_.getInt(0))).toSeq shouldBe
      Seq(Seq(1, 2), Seq(3, 4))
  }

  test("explode gives one row per element, input columns repeated, an empty array one row") {
    val df = pages(2, 1000, 1).restApiCall(
      itemsUrl,
      Map(
        "schema" -> "id INT, name STRING",
        "dataField" -> "results",
        "explode" -> "true",
        "arrowBatchSize" -> "2"))
    df.columns.toSeq shouldBe Seq("page", "id", "name", "_status", "_error")
    val rows = df.collect().map(r => (r.getInt(0), Option(r.getAs[Integer]("id")).map(_.toInt)))
    rows.toSeq shouldBe Seq((2, Some(3)), (2, Some(4)), (1000, None), (1, Some(1)), (1, Some(2)))
    val exec = df.queryExecution.executedPlan.collectFirst { case e: RestApiCallExec => e }.get
    exec.metrics(RestMetrics.OutputRows).value shouldBe 5
  }

  test("inferSchema samples responses and builds the typed node") {
    val df = ints("cid", 1 to 6: _*)
      .restApiCall(
        s"${api.url}/customers/{cid}",
        Map("inferSchema" -> "true", "schemaSampleSize" -> "3"))
    df.schema("score").dataType shouldBe LongType
    df.schema("address").dataType shouldBe StructType(
      Seq(StructField("city", StringType), StructField("zip", StringType)))
    df.collect().map(_.getAs[Long]("score")).sorted.toSeq shouldBe (1L to 6L)
    df.queryExecution.toString should include("inferSchema=true")
  }

  test("inferSchema with no successful sample names the statuses") {
    val e = intercept[RestOptionException] {
      ints("cid", 1, 2).restApiCall(
        s"${api.url}/status/404?c={cid}",
        Map("inferSchema" -> "true", "maxRetries" -> "0"))
    }
    e.getMessage should include("404 x2")
  }

  test("shape and schema options are checked at analysis") {
    val input = ints("cid", 1)
    val url = s"${api.url}/customers/{cid}"
    intercept[RestOptionException](
      input.restApiCall(url, Map("explode" -> "true"))).getMessage should include("explode")
    intercept[RestOptionException](
      input.restApiCall(url, Map("schema" -> "a INTERVAL DAY"))).getMessage should include("`a`")
    intercept[RestOptionException](
      input.restApiCall(url, Map("schema" -> "not a schema"))).getMessage should include("schema")
    intercept[RestOptionException](
      input.restApiCall(url, Map("schema" -> "_status INT"))).getMessage should include("_status")
    intercept[RestOptionException](
      input.restApiCall(
        url,
        Map("inferSchema" -> "true", "schemaSampleSize" -> "0"))).getMessage should include(
      "schemaSampleSize")
  }

  test("rateLimit is divided among executors, local mode counts one") {
    val options = RestOptions.analyze(
      Map(
        "url" -> s"${api.url}/customers/{cid}",
        "rateLimit" -> "50",
        "rateLimitBurst" -> "8",
        "inferSchema" -> "true"))
    val mapper = new ObjectMapper()
    val one = mapper.readTree(options.engineJson(1))
    one.get("rateLimit").asText() shouldBe "50"
    one.has("inferSchema") shouldBe false // the JVM's option, not the engine's
    val four = mapper.readTree(options.engineJson(4))
    four.get("rateLimit").asText().toDouble shouldBe 12.5
    four.get("rateLimitBurst").asText() shouldBe "2"
    RestApiCallExec.executorCount(spark.sparkContext) shouldBe 1
  }

  test("SQL metrics: requests, retries, dedup, failures by kind, latency") {
    val df = ints("cid", 1, 1, 2, 2, 3)
      .restApiCall(
        s"${api.url}/flaky/{cid}?fail_first=1",
        Map("retryBackoff" -> "1", "cache" -> "false"))
    df.collect().map(_.getAs[Int]("_status")).toSeq shouldBe Seq.fill(5)(200)
    val m = df.queryExecution.executedPlan.collectFirst { case e: RestApiCallExec => e }.get.metrics
    m(RestMetrics.Requests).value shouldBe 6
    m(RestMetrics.Retries).value shouldBe 3
    m(RestMetrics.DedupedRows).value shouldBe 2
    m(RestMetrics.FailedRowsHttp).value shouldBe 0
    m(RestMetrics.LatencyP99).value should be > 0L
    m(RestMetrics.LatencyP50).value should be <= m(RestMetrics.LatencyP99).value
  }
}

/** The project's mock API server as a child process (see tests/mock-api/README.md). */
final class MockApiProcess private (process: Process, val port: Int) extends AutoCloseable {
  val url: String = s"http://127.0.0.1:$port"

  override def close(): Unit = {
    process.destroy()
    if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
  }
}

object MockApiProcess {

  /** `$MOCK_API_BIN`, else `mock-api` next to the native library under test. */
  def binary(): File = {
    val candidates = sys.env.get("MOCK_API_BIN").map(new File(_)).toSeq ++
      sys.props
        .get("spark.rest.nativeLibrary")
        .map(p => new File(new File(p).getAbsoluteFile.getParentFile, "mock-api")) ++
      Seq(new File("target/release/mock-api"), new File("../target/release/mock-api"))
    candidates
      .find(_.isFile)
      .getOrElse(
        throw new IllegalStateException(
          s"mock-api binary not found (tried ${candidates.mkString(", ")}): run " +
            "`cargo build --release -p mock-api` or set MOCK_API_BIN"))
  }

  def start(flags: String*): MockApiProcess = {
    val process = new ProcessBuilder((Seq(binary().getPath, "--port", "0") ++ flags): _*)
      .redirectError(ProcessBuilder.Redirect.INHERIT)
      .start()
    val out = new BufferedReader(
      new InputStreamReader(process.getInputStream, StandardCharsets.UTF_8))
    val line = Option(out.readLine()).getOrElse("")
    if (!line.startsWith("LISTENING ")) {
      process.destroyForcibly()
      throw new IllegalStateException(s"mock-api did not start: '$line'")
    }
    new MockApiProcess(process, line.stripPrefix("LISTENING ").trim.toInt)
  }
}
