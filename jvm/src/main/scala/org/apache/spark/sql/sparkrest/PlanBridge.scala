package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.{DataFrame, SparkSession}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan

/**
 * Moves between DataFrames and logical plans, which only Spark's classic (non-Connect)
 * implementation exposes, and only to `org.apache.spark.sql`. Where the classic classes live
 * differs by line: see the shim's [[Classic]]. Internal.
 */
object PlanBridge {

  /** The analyzed plan of `df`. */
  def logicalPlan(df: DataFrame): LogicalPlan = classicDataset(df).queryExecution.analyzed

  /** A DataFrame over `plan`; analysis (and so its checks) runs now. */
  def ofRows(spark: SparkSession, plan: LogicalPlan): DataFrame =
    Classic.ofRows(classicSession(spark), plan)

  def classicSession(spark: SparkSession): Classic.SparkSession = spark match {
    case s: Classic.SparkSession => s
    case other =>
      throw new UnsupportedOperationException(
        s"spark-rest needs a classic SparkSession (it plans a native operator inside the JVM); " +
          s"got ${other.getClass.getName}, e.g. a Spark Connect client session")
  }

  private def classicDataset(df: DataFrame): Classic.Dataset[_] = df match {
    case d: Classic.Dataset[_] => d
    case other =>
      throw new UnsupportedOperationException(
        s"spark-rest needs a DataFrame of a classic SparkSession; got ${other.getClass.getName}")
  }
}
