package io.sparkrest

import java.net.URI
import java.nio.charset.StandardCharsets

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, SparkSession}

import io.sparkrest.implicits._

/**
 * How the engine sends requests, through the Scala surface (`restApiCall`) against the mock API
 * server: batch endpoints, the cache, the circuit breaker, `onError=fail` and bearer auth, each
 * checked by what the server saw (`/stats`).
 */
class EngineRequestsSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private val Token = "scala-suite-t0ken"
  private var spark: SparkSession = _
  private var api: MockApiProcess = _
  private val mapper = new ObjectMapper()

  override def beforeAll(): Unit = {
    api = MockApiProcess.start("--require-token", Token)
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("EngineRequestsSuite")
      .config("spark.ui.enabled", "false")
      .getOrCreate()
  }

  override def afterAll(): Unit = {
    if (spark != null) spark.stop()
    if (api != null) api.close()
  }

  private def stats(): JsonNode = {
    val in = new URI(s"${api.url}/stats").toURL.openStream()
    try mapper.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8))
    finally in.close()
  }

  private def resetStats(): Unit = {
    val connection = new URI(s"${api.url}/stats/reset").toURL
      .openConnection()
      .asInstanceOf[java.net.HttpURLConnection]
    connection.setRequestMethod("POST")
    connection.getResponseCode shouldBe 200
    connection.disconnect()
  }

  private def ids(values: Long*): DataFrame = {
    val session = spark
    import session.implicits._
    values.toDF("cid").repartition(1)
  }

  private val auth = Map("auth" -> "bearer", "token" -> Token)

  test("a batch endpoint gets the distinct keys many per request") {
    resetStats()
    val keys = (0 until 600).map(i => (i % 150).toLong)
    val out = ids(keys: _*).restApiCall(
      s"${api.url}/customers/{cid}",
      auth ++ Map(
        "batchKey" -> "cid",
        "batchUrl" -> s"${api.url}/customers/batch",
        "batchRequestSize" -> "50",
        "batchResultKey" -> "customer_id",
        "schema" -> "score INT",
        "arrowBatchSize" -> "1000",
        "cache" -> "false"))
    val rows = out.collect()
    rows.length shouldBe 600
    rows.foreach(r => r.getAs[Int]("score") shouldBe (r.getAs[Long]("cid") % 1000).toInt)
    stats().get("total").asLong() shouldBe 3 // ceil(150 / 50)
  }

  test("the cache answers repeated requests; bearer auth reaches the server") {
    resetStats()
    val options = auth ++ Map("cacheTtlSeconds" -> "60", "concurrency" -> "7")
    val first = ids(1L to 40L: _*).restApiCall(s"${api.url}/customers/{cid}", options)
    first.collect().map(_.getAs[Int]("_status")).distinct shouldBe Array(200)
    val again = ids(1L to 40L: _*).restApiCall(s"${api.url}/customers/{cid}", options)
    again.collect().map(_.getAs[Int]("_status")).distinct shouldBe Array(200)
    stats().get("total").asLong() shouldBe 40
  }

  test("without the token every row is kept with 401, and the token never shows") {
    val out = ids(1L, 2L).restApiCall(s"${api.url}/customers/{cid}", Map("maxRetries" -> "0"))
    out.collect().map(_.getAs[Int]("_status")).toSeq shouldBe Seq(401, 401)
    val withToken = ids(1L).restApiCall(s"${api.url}/customers/{cid}", auth)
    withToken.queryExecution.toString should not include Token
  }

  test("an open circuit fails rows fast without requests") {
    resetStats()
    val out = ids(1L to 20L: _*).restApiCall(
      s"${api.url}/status/503?id={cid}",
      auth ++ Map(
        "maxRetries" -> "0",
        "concurrency" -> "1",
        "circuitBreakerThreshold" -> "3",
        "circuitBreakerCooldown" -> "60000"))
    val errors = out.collect().map(_.getAs[String]("_error"))
    errors.count(e => e != null && e.startsWith("circuit open")) shouldBe 17
    stats().get("total").asLong() shouldBe 3
  }

  test("onError=fail fails the query naming the request") {
    val out = ids(5L).restApiCall(
      s"${api.url}/status/404?id={cid}",
      auth ++ Map("onError" -> "fail", "maxRetries" -> "0"))
    val error = intercept[Exception](out.collect())
    val messages =
      Iterator.iterate[Throwable](error)(_.getCause).takeWhile(_ != null).map(_.getMessage)
    val text = messages.mkString(" | ")
    text should include("/status/404")
    text should include("HTTP 404")
    text should not include Token
  }
}
