package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.DataFrame
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.classic

/**
 * Spark 4.x: the classic (non-Connect) session and Dataset live in `org.apache.spark.sql.classic`
 * (on 3.5 they are `org.apache.spark.sql.SparkSession` and `Dataset` themselves).
 */
object Classic {
  type SparkSession = classic.SparkSession
  type Dataset[T] = classic.Dataset[T]

  def ofRows(session: SparkSession, plan: LogicalPlan): DataFrame =
    classic.Dataset.ofRows(session, plan)
}
