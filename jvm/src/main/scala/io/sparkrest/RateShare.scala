package io.sparkrest

import org.apache.spark.{SparkConf, SparkContext}

/**
 * How many shares a query-wide `rateLimit` is divided into, one per executor. Without dynamic
 * allocation: the executors registered when the query is planned. With dynamic allocation
 * executors come and go during the query, so the rate is divided by
 * `spark.dynamicAllocation.maxExecutors`: however many join, the total stays within the limit
 * (fewer executors use less of it). An unset (unlimited) maximum cannot be divided by, so the
 * query is refused before any request with a message saying what to set.
 */
private[sparkrest] object RateShare {
  val DynamicAllocation = "spark.dynamicAllocation.enabled"
  val MaxExecutors = "spark.dynamicAllocation.maxExecutors"

  def executors(sc: SparkContext, options: RestOptions): Int =
    shares(sc.master, sc.getConf, options.rateLimit.isDefined, RestApiCallExec.executorCount(sc))

  /** `registered`: the executors registered now (read only without dynamic allocation). */
  def shares(master: String, conf: SparkConf, rateLimit: Boolean, registered: => Int): Int =
    if (!rateLimit || !dynamicAllocation(master, conf)) registered
    else {
      val max = conf.getOption(MaxExecutors).map(_.trim)
      // Try(toInt), not toIntOption: the 3.5 line compiles with Scala 2.12.
      max.flatMap(m => scala.util.Try(m.toInt).toOption).filter(n => n > 0 && n < Int.MaxValue).getOrElse {
        throw new RestOptionException(
          s"option 'rateLimit' is a rate for the whole query; with $DynamicAllocation=true it " +
            s"is divided by $MaxExecutors so that executors added during the query cannot " +
            s"exceed it, but $MaxExecutors is ${max.getOrElse("unset")} (unlimited): set " +
            s"$MaxExecutors to the most executors the query may get, or turn dynamic " +
            "allocation off")
      }
    }

  // Local mode has one executor whatever the conf says.
  private def dynamicAllocation(master: String, conf: SparkConf): Boolean = {
    val local = master.startsWith("local") && !master.startsWith("local-cluster")
    !local && conf.getBoolean(DynamicAllocation, defaultValue = false)
  }
}
