package io.sparkrest

import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

/**
 * What the JVM takes from the engine's analysis since issue 9: canonical options (aliases of
 * other tools replaced, `auth` implied), the options misplaced per surface, and whether every
 * input column is needed.
 */
class OptionMigrationSuite extends AnyFunSuite with Matchers {

  private val url = "http://127.0.0.1/x/{id}"

  test("rwforest names come back canonical, with auth implied and secrets redacted") {
    val o = RestOptions.analyze(
      Map(
        "url" -> url,
        "oauthToken" -> "s3cr3t",
        "readTimeout" -> "1500",
        "includeInputsInOutput" -> "N",
        "partitions" -> "3",
        "streaming" -> "true"))
    o.values shouldBe Map(
      "url" -> url,
      "auth" -> "bearer",
      "token" -> "s3cr3t",
      "requestTimeout" -> "1500",
      "includeInputs" -> "false",
      "inputPartitions" -> "3",
      // seed 002's no-op stays (checked, then ignored by every surface)
      "streaming" -> "true")
    o.redacted("token") shouldBe "*****"
    o.includeInputs shouldBe false
    o.inputPartitions shouldBe Some(3)
    o.json should not include "inputPartitions" // read by the JVM only
  }

  test("an option outside its surface fails there only, saying where it applies") {
    val o = RestOptions.analyze(Map("url" -> url, "batchSize" -> "100"))
    val e = intercept[RestOptionException](o.checkSurface(RestOptions.Surface.Enrichment))
    e.getMessage should include("batchRequestSize with batchKey")
    o.checkSurface(RestOptions.Surface.Stream)
    o.checkSurface(RestOptions.Surface.Source)
  }

  test("POST without body needs every input column, bodyColumns only those") {
    RestOptions.analyze(Map("url" -> url, "method" -> "POST")).allInputColumns shouldBe true
    val picked = RestOptions.analyze(Map("url" -> url, "method" -> "POST", "bodyColumns" -> "a"))
    picked.allInputColumns shouldBe false
    picked.columns shouldBe Seq("id", "a")
  }
}
