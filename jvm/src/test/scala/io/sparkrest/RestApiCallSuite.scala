package io.sparkrest

import java.io.ByteArrayOutputStream

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.types.{IntegerType, LongType, StringType, StructField, StructType}

import io.sparkrest.implicits._

/**
 * The DataFrame surface in local mode: analysis-time checks, the plan's strings, and rows
 * enriched by the real engine against a real HTTP server on 127.0.0.1.
 */
class RestApiCallSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private var spark: SparkSession = _
  private var server: TestHttpServer = _

  override def beforeAll(): Unit = {
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("RestApiCallSuite")
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "2")
      .config("spark.sql.adaptive.enabled", "false") // executedPlan is then the final plan
      .config("spark.sql.session.timeZone", "UTC")
      .getOrCreate()
    server = new TestHttpServer
  }

  override def afterAll(): Unit = {
    if (server != null) server.close()
    if (spark != null) spark.stop()
  }

  private def customers(n: Long, partitions: Int = 3): DataFrame =
    spark.range(0, n, 1, partitions).withColumnRenamed("id", "customer_id")

  // A path per test: the engine's cache would otherwise answer repeated URLs across tests.
  private def url(test: String): String = s"${server.baseUrl}/$test/customers/{customer_id}"

  private def explain(df: DataFrame, mode: String): String = {
    val out = new ByteArrayOutputStream()
    Console.withOut(out)(df.explain(mode))
    out.toString("UTF-8")
  }

  test("a typo in an option fails when the DataFrame is created, naming the option") {
    val e = intercept[RestOptionException] {
      customers(3).restApiCall(url("typo"), Map("concurrancy" -> "4"))
    }
    e.getMessage should include("concurrancy")
  }

  test("an unknown column fails naming it and the available columns") {
    val e = intercept[RestOptionException] {
      customers(3).restApiCall(s"${server.baseUrl}/customers/{customer}")
    }
    e.getMessage should include("`customer`")
    e.getMessage should include("`customer_id`")
  }

  test("a result column that already exists in the input is refused") {
    val once = customers(3).restApiCall(url("twice"))
    val e = intercept[RestOptionException](once.restApiCall(url("twice")))
    e.getMessage should include("`output`")
  }

  test("raw mode appends output, _status and _error") {
    customers(3).restApiCall(url("raw-schema")).schema shouldBe StructType(
      Seq(
        StructField("customer_id", LongType, nullable = false),
        StructField("output", StringType),
        StructField("_status", IntegerType),
        StructField("_error", StringType)))
  }

  test("schema mode appends the schema's fields, _status and _error") {
    val df =
      customers(3).restApiCall(url("parsed-schema"), Map("schema" -> "score INT, tier STRING"))
    df.schema.fieldNames shouldBe Array("customer_id", "score", "tier", "_status", "_error")
    df.schema("score").dataType shouldBe IntegerType
  }

  test("explain shows the url and options with secrets redacted") {
    val df = customers(3).restApiCall(
      url("explain"),
      Map("auth" -> "bearer", "token" -> "s3cr3t-value", "concurrency" -> "4"))
    for (mode <- Seq("simple", "extended", "formatted", "cost")) {
      val text = explain(df, mode)
      text should include("/explain/customers/{customer_id}")
      text should include("concurrency=4")
      text should not include "s3cr3t-value"
    }
    explain(df, "extended") should include("token=*****")
  }

  test("every row comes out once, in order, across several batches and partitions") {
    val rows = customers(100)
      .restApiCall(url("order"), Map("arrowBatchSize" -> "7"))
      .collect()
    rows.map(_.getLong(0)).toSeq shouldBe (0L until 100L)
    rows.foreach { row =>
      val id = row.getLong(0)
      if (id % 10 == 7) {
        row.getAs[Int]("_status") shouldBe 404
        row.getAs[String]("_error") should not be null
      } else {
        row.getAs[Int]("_status") shouldBe 200
        row.getAs[String]("output") should include(s""""id":$id,""")
        row.isNullAt(row.fieldIndex("_error")) shouldBe true
      }
    }
  }

  test("schema mode parses the response fields") {
    val rows = customers(20)
      .restApiCall(url("parsed"), Map("schema" -> "score INT, tier STRING"))
      .collect()
    rows.filter(_.getAs[Int]("_status") == 200).foreach { row =>
      row.getAs[Int]("score") shouldBe 2 * row.getLong(0)
      row.getAs[String]("tier") shouldBe "gold"
    }
    rows
      .filter(_.getLong(0) % 10 == 7)
      .foreach(row => row.isNullAt(row.fieldIndex("score")) shouldBe true)
  }

  test("a URL without placeholders sends no column and still yields every row") {
    val rows = customers(5).restApiCall(s"${server.baseUrl}/static/customers/1").collect()
    rows.map(_.getLong(0)).toSeq shouldBe (0L until 5L)
    rows.map(_.getAs[Int]("_status")).toSet shouldBe Set(200)
  }

  test("the Python entry point takes a java.util.Map") {
    val options = new java.util.HashMap[String, String]()
    options.put("schema", "score INT")
    val df = RestApi.call(customers(4), url("python"), options)
    df.schema.fieldNames shouldBe Array("customer_id", "score", "_status", "_error")
    df.collect().map(_.getAs[Int]("score")).toSeq shouldBe Seq(0, 2, 4, 6)
  }

  test("later projections and filters do not lose the referenced column") {
    val df = customers(30).restApiCall(url("prune"))
    df.select("_status").where("_status = 200").count() shouldBe 27
  }

  test("SQL metrics count output rows and requests") {
    val df = customers(50).restApiCall(url("metrics"), Map("arrowBatchSize" -> "16"))
    df.collect()
    val exec = df.queryExecution.executedPlan.collectFirst { case e: RestApiCallExec => e }.get
    exec.metrics(RestMetrics.OutputRows).value shouldBe 50
    exec.metrics(RestMetrics.Requests).value shouldBe 50
    exec.metrics(RestMetrics.FailedRows).value shouldBe 5
  }

  test("onError=fail fails the query with RestRequestException") {
    val df = customers(10).restApiCall(url("fail"), Map("onError" -> "fail"))
    val e = intercept[Exception](df.collect())
    val chain = Iterator.iterate[Throwable](e)(_.getCause).takeWhile(_ != null).toSeq
    val messages = chain.map(t => s"${t.getClass.getName}: ${t.getMessage}").mkString("\n")
    withClue(messages) {
      messages should include("RestRequestException")
      messages should include("404")
    }
  }

  test("ensureRegistered adds the strategy once") {
    RestPlanner.ensureRegistered(spark)
    RestPlanner.ensureRegistered(spark)
    org.apache.spark.sql.sparkrest.PlanBridge
      .classicSession(spark)
      .experimental
      .extraStrategies
      .count(_ == RestApiCallStrategy) shouldBe 1
  }
}
