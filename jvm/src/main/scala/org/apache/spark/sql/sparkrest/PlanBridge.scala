package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.classic

/**
 * Moves between DataFrames and logical plans, which only Spark's classic (non-Connect)
 * implementation exposes, and only to `org.apache.spark.sql`. Internal.
 */
object PlanBridge {

  /** The analyzed plan of `df`. */
  def logicalPlan(df: DataFrame): LogicalPlan = classicDataset(df).queryExecution.analyzed

  /** A DataFrame over `plan`; analysis (and so its checks) runs now. */
  def ofRows(spark: SparkSession, plan: LogicalPlan): DataFrame =
    classic.Dataset.ofRows(classicSession(spark), plan)

  def classicSession(spark: SparkSession): classic.SparkSession = spark match {
    case s: classic.SparkSession => s
    case other =>
      throw new UnsupportedOperationException(
        s"spark-rest needs a classic SparkSession (it plans a native operator inside the JVM); " +
          s"got ${other.getClass.getName}, e.g. a Spark Connect client session")
  }

  private def classicDataset(df: DataFrame): classic.Dataset[_] = df match {
    case d: classic.Dataset[_] => d
    case other =>
      throw new UnsupportedOperationException(
        s"spark-rest needs a DataFrame of a classic SparkSession; got ${other.getClass.getName}")
  }
}
