package org.apache.spark.sql.sparkrest

import org.apache.spark.sql.catalyst.expressions.FunctionTableSubqueryArgumentExpression

/** Spark 3.5: a TABLE(...) argument of a built-in table function has no PARTITION BY. */
object TableArguments {
  def isPartitioned(t: FunctionTableSubqueryArgumentExpression): Boolean = false
}
