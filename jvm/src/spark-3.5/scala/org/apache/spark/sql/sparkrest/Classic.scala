package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.{DataFrame, Dataset => SqlDataset, SparkSession => SqlSparkSession}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

/**
 * Spark 3.5: the session and Dataset are the classic ones (4.x moved them to
 * `org.apache.spark.sql.classic`).
 */
object Classic {
  type SparkSession = SqlSparkSession
  type Dataset[T] = SqlDataset[T]

  def ofRows(session: SparkSession, plan: LogicalPlan): DataFrame =
    SqlDataset.ofRows(session, plan)
}
