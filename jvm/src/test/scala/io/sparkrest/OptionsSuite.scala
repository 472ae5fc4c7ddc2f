package io.sparkrest

import com.fasterxml.jackson.databind.ObjectMapper
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

/** Option validation is the engine's (SPEC section 4); these check what the JVM relies on. */
class OptionsSuite extends AnyFunSuite with Matchers {

  private lazy val native = Native.methods
  private val mapper = new ObjectMapper()

  private def json(options: (String, String)*): String = RestOptions.toJson(options.toMap)

  test("an unknown option throws RestOptionException naming it") {
    val e = intercept[RestOptionException] {
      native.analyzeOptions(json("url" -> "http://127.0.0.1/x/{id}", "concurrancy" -> "8"))
    }
    e.getMessage should include("concurrancy")
    e shouldBe an[IllegalArgumentException]
  }

  test("an invalid value throws RestOptionException naming the option") {
    val e = intercept[RestOptionException] {
      native.analyzeOptions(json("url" -> "http://127.0.0.1/x", "concurrency" -> "many"))
    }
    e.getMessage should include("concurrency")
  }

  test("a missing url is an option error") {
    intercept[RestOptionException](native.analyzeOptions(json("concurrency" -> "8")))
  }

  test("analyzeOptions lists the referenced columns in first-use order") {
    val answer = mapper.readTree(
      native.analyzeOptions(json(
        "url" -> "http://127.0.0.1/customers/{customer_id}/orders/{order_id}?again={customer_id}")))
    val columns =
      (0 until answer.get("columns").size()).map(i => answer.get("columns").get(i).asText())
    columns shouldBe Seq("customer_id", "order_id")
  }

  test("secrets are redacted") {
    val options = RestOptions.analyze(
      Map(
        "url" -> "http://127.0.0.1/x",
        "auth" -> "bearer",
        "token" -> "s3cr3t-token",
        "concurrency" -> "4"))
    options.redacted("token") shouldBe "*****"
    options.redacted("concurrency") shouldBe "4"
    options.toString should not include "s3cr3t-token"
    options.describe should startWith("url=http://127.0.0.1/x")
    options.json should include("s3cr3t-token") // the engine itself gets the real value
  }

  test("options JSON is deterministic") {
    RestOptions.toJson(
      Map("b" -> "2", "a" -> "1", "c" -> "3")) shouldBe """{"a":"1","b":"2","c":"3"}"""
  }
}
