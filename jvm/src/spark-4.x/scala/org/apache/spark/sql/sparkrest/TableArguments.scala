package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.catalyst.expressions.FunctionTableSubqueryArgumentExpression

/** Spark 4.x: a TABLE(...) argument may carry PARTITION BY / ORDER BY. */
object TableArguments {
  def isPartitioned(t: FunctionTableSubqueryArgumentExpression): Boolean =
    t.partitionByExpressions.nonEmpty || t.withSinglePartition || t.orderByExpressions.nonEmpty
}
