package io.sparkrest

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.execution.{SparkPlan, SparkStrategy}
import org.apache.spark.sql.sparkrest.PlanBridge

/** Plans [[RestApiCall]] into [[RestApiCallExec]]. */
object RestApiCallStrategy extends SparkStrategy {
  override def apply(plan: LogicalPlan): Seq[SparkPlan] = plan match {
    case r: RestApiCall =>
      RestApiCallExec(r.options, r.referenced, r.resultAttrs, planLater(r.child)) :: Nil
    case _ => Nil
  }
}

object RestPlanner {

  /**
   * Makes `spark` able to plan [[RestApiCall]]. Every surface that builds the node calls this,
   * so users need no configuration; sessions started with [[RestExtensions]] already have the
   * strategy, and a second copy would be harmless.
   */
  def ensureRegistered(spark: SparkSession): Unit = {
    val experimental = PlanBridge.classicSession(spark).experimental
    experimental.synchronized {
      if (!experimental.extraStrategies.contains(RestApiCallStrategy)) {
        experimental.extraStrategies = experimental.extraStrategies :+ RestApiCallStrategy
      }
    }
  }
}
