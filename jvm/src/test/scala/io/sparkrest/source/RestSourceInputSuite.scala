package io.sparkrest.source

import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.execution.datasources.LogicalRelation
import org.apache.spark.sql.types.{IntegerType, LongType, StringType, StructField, StructType}

import io.sparkrest.{RestApiCall, RestApiCallExec, RestOptionException, TestHttpServer}

/**
 * The `rest` source with input rows and the SQL table function, in a session started with
 * RestExtensions, against a real HTTP server on 127.0.0.1: the same enrichment node as
 * restApiCall, validated when the read is created, planned as RestApiCallExec.
 */
class RestSourceInputSuite extends AnyFunSuite with Matchers with BeforeAndAfterAll {

  private var spark: SparkSession = _
  private var server: TestHttpServer = _

  override def beforeAll(): Unit = {
    spark = SparkSession
      .builder()
      .master("local[2]")
      .appName("RestSourceInputSuite")
      .config("spark.ui.enabled", "false")
      .config("spark.sql.shuffle.partitions", "2")
      .config("spark.sql.extensions", "io.sparkrest.RestExtensions")
      .getOrCreate()
    server = new TestHttpServer
    spark
      .range(0, 20, 1, 3)
      .withColumnRenamed("id", "customer_id")
      .createOrReplaceTempView("customers")
  }

  override def afterAll(): Unit = {
    if (server != null) server.close()
    if (spark != null) spark.stop()
  }

  // A path per test: the engine's cache would otherwise answer repeated URLs across tests.
  private def url(test: String): String = s"${server.baseUrl}/$test/customers/{customer_id}"

  private def read(options: (String, String)*): DataFrame =
    spark.read.format("rest").options(options.toMap).load()

  // The optimized plan has the enrichment node itself, so the physical plan has its operator.
  private def hasExec(df: DataFrame): Boolean = {
    val optimized = df.queryExecution.optimizedPlan
    optimized.collectFirst { case r: RestApiCall => r }.isDefined &&
    optimized.collectFirst { case l: LogicalRelation => l.relation }.forall {
      case _: InputRelation => false
      case _ => true
    } &&
    df.queryExecution.sparkPlan.collectFirst { case e: RestApiCallExec => e }.isDefined
  }

  private def checkScores(df: DataFrame, ids: Seq[Long]): Unit = {
    val rows = df.select("customer_id", "score", "_status").collect()
    rows.map(_.getLong(0)).sorted.toSeq shouldBe ids
    rows.foreach { r =>
      val id = r.getLong(0)
      if (id % 10 == 7) r.getInt(2) shouldBe 404
      else {
        r.getInt(2) shouldBe 200
        r.getInt(1) shouldBe 2 * id
      }
    }
  }

  test("input: one request per row of the view, through RestApiCallExec") {
    val df = read("url" -> url("input"), "input" -> "customers", "schema" -> "score INT")
    df.schema shouldBe StructType(
      Seq(
        StructField("customer_id", LongType, nullable = false),
        StructField("score", IntegerType),
        StructField("_status", IntegerType),
        StructField("_error", StringType)))
    checkScores(df, 0L until 20L)
    hasExec(df) shouldBe true
  }

  test("input: the relation's own scan (sessions without the rule) gives the same rows") {
    val df = read("url" -> url("scan"), "input" -> "customers", "schema" -> "score INT")
    val relation = df.queryExecution.analyzed.collectFirst { case l: LogicalRelation =>
      l.relation
    }.get
    relation.asInstanceOf[InputRelation].buildScan().count() shouldBe 20
  }

  test("inputData: a JSON array of objects as input rows") {
    val df = read(
      "url" -> url("data"),
      "inputData" -> """[{"customer_id": 1}, {"customer_id": 2}, {"customer_id": 7}]""",
      "schema" -> "score INT")
    checkScores(df, Seq(1L, 2L, 7L))
  }

  test("input with inferSchema: typed columns from sampled responses") {
    val df = read("url" -> url("infer"), "input" -> "customers", "inferSchema" -> "true")
    df.columns.toSeq should contain allOf ("customer_id", "score", "tier", "_status", "_error")
    checkScores(df.withColumn("score", df("score").cast("int")), 0L until 20L)
  }

  test("a typo fails when the read is created, naming the option") {
    val e = intercept[RestOptionException] {
      read("url" -> url("typo"), "input" -> "customers", "concurrancy" -> "4")
    }
    e.getMessage should include("concurrancy")
  }

  test("input and inputData together are refused") {
    val e = intercept[RestOptionException] {
      read("url" -> url("both"), "input" -> "customers", "inputData" -> "[{\"a\": 1}]")
    }
    e.getMessage should include("inputData")
  }

  test("inputData that is not an array of objects is refused") {
    val e = intercept[RestOptionException](read("url" -> url("bad"), "inputData" -> "[1, 2]"))
    e.getMessage should include("inputData")
  }

  test("SQL: CREATE TEMPORARY VIEW ... USING rest with input") {
    spark.sql(s"""CREATE OR REPLACE TEMPORARY VIEW scored USING rest
                 |OPTIONS (url '${url(
        "sql")}', input 'customers', schema 'score INT')""".stripMargin)
    checkScores(spark.sql("SELECT * FROM scored"), 0L until 20L)
    spark.sql("SELECT count(*) FROM scored WHERE _status = 200").head().getLong(0) shouldBe 18
  }

  test("SQL table function with options") {
    val df = spark.sql(
      s"SELECT * FROM rest_api_call(TABLE(customers), '${url("tvf")}', map('schema', 'score INT'))")
    checkScores(df, 0L until 20L)
    hasExec(df) shouldBe true
  }

  test("SQL table function without options: raw output") {
    val df = spark.sql(
      s"SELECT * FROM rest_api_call(TABLE(SELECT * FROM customers WHERE customer_id < 3), '${url("tvf-raw")}')")
    df.columns.toSeq shouldBe Seq("customer_id", "output", "_status", "_error")
    df.collect().map(_.getString(1)).sorted.head should include("\"score\"")
  }

  test("SQL table function validates at analysis") {
    val e = intercept[Exception] {
      spark.sql(
        s"SELECT * FROM rest_api_call(TABLE(customers), '${url("tvf")}', map('concurrancy', '4'))")
    }
    e.getMessage should include("concurrancy")
  }
}
