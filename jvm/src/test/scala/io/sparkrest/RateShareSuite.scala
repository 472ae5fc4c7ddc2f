package io.sparkrest

import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.SparkConf

/** How a query-wide `rateLimit` is shared among executors (README: rateLimit). */
class RateShareSuite extends AnyFunSuite with Matchers {

  private def conf(pairs: (String, String)*): SparkConf =
    new SparkConf(loadDefaults = false).setAll(pairs)

  private val dynamic = RateShare.DynamicAllocation -> "true"

  test("without dynamic allocation the executors registered now share the rate") {
    RateShare.shares("spark://m:7077", conf(), rateLimit = true, registered = 3) shouldBe 3
  }

  test("with dynamic allocation the rate is divided by maxExecutors") {
    val c = conf(dynamic, RateShare.MaxExecutors -> "5")
    RateShare.shares("spark://m:7077", c, rateLimit = true, registered = 1) shouldBe 5
  }

  test("an unlimited maxExecutors is refused with a message saying what to set") {
    for (c <- Seq(conf(dynamic), conf(dynamic, RateShare.MaxExecutors -> "2147483647"))) {
      val e = intercept[RestOptionException] {
        RateShare.shares("yarn", c, rateLimit = true, registered = 1)
      }
      e.getMessage should include("rateLimit")
      e.getMessage should include("spark.dynamicAllocation.maxExecutors")
    }
  }

  test("no rateLimit, or local mode, never reads the dynamic allocation settings") {
    RateShare.shares("yarn", conf(dynamic), rateLimit = false, registered = 2) shouldBe 2
    RateShare.shares("local[4]", conf(dynamic), rateLimit = true, registered = 1) shouldBe 1
  }
}
