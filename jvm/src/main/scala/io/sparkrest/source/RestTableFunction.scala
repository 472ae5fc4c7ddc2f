package io.sparkrest.source

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.FunctionIdentifier
import org.apache.spark.sql.catalyst.expressions.{Expression, ExpressionInfo, FunctionTableSubqueryArgumentExpression}
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan
import org.apache.spark.sql.catalyst.util.MapData
import org.apache.spark.sql.sparkrest.TableArguments
import org.apache.spark.sql.types.{MapType, StringType}

import io.sparkrest.{RestApiCall, RestOptionException, RestPlanner}

/**
 * SQL's `rest_api_call(TABLE(t), url [, map(option, value, ...)])`, registered by
 * [[io.sparkrest.RestExtensions]]: the same [[RestApiCall]] node as `restApiCall`, built (and
 * so validated) while the query is analysed.
 */
private[sparkrest] object RestTableFunction {
  val Name = "rest_api_call"

  private val Usage =
    s"$Name(TABLE(t), url [, map('option', 'value', ...)]) - Enriches every row of t with the " +
      "response of a REST API (url is a template: {column} takes the row's value). Returns t's " +
      "columns, then the `schema` fields (or `output`), `_status` and `_error`. Example: " +
      s"SELECT * FROM $Name(TABLE(customers), 'http://api.example.com/customers/{customer_id}', " +
      "map('schema', 'score INT, tier STRING', 'concurrency', '64'))"

  def description: (FunctionIdentifier, ExpressionInfo, Seq[Expression] => LogicalPlan) =
    (
      FunctionIdentifier(Name),
      // (className, db, name, usage, arguments, examples, note, group, since, deprecated, source)
      new ExpressionInfo(
        classOf[RestApiCall].getName,
        null,
        Name,
        Usage,
        "",
        "",
        "",
        "table_funcs",
        "",
        "",
        "java_udf"),
      build)

  def build(args: Seq[Expression]): LogicalPlan = {
    val (table, url, options) = args match {
      case Seq(t, u) => (t, u, None)
      case Seq(t, u, o) => (t, u, Some(o))
      case _ => throw usage(s"it takes 2 or 3 arguments, got ${args.length}")
    }
    val child = table match {
      case t: FunctionTableSubqueryArgumentExpression =>
        if (TableArguments.isPartitioned(t)) {
          throw usage("PARTITION BY / ORDER BY are not supported on its TABLE argument")
        }
        t.plan
      case _ => throw usage("the first argument must be TABLE(name) or TABLE(query)")
    }
    RestPlanner.ensureRegistered(SparkSession.active)
    RestApiCall.create(string(url), options.map(optionMap).getOrElse(Map.empty), child)
  }

  private def string(e: Expression): String =
    if (e.foldable && e.dataType == StringType) {
      Option(e.eval()).map(_.toString).getOrElse(throw usage("the url is null"))
    } else throw usage(s"the url must be a constant string, got ${e.sql}")

  private def optionMap(e: Expression): Map[String, String] = e.dataType match {
    case MapType(keyType, valueType, _) if e.foldable =>
      Option(e.eval()) match {
        case Some(map: MapData) =>
          val keys = map.keyArray()
          val values = map.valueArray()
          (0 until map.numElements()).map { i =>
            val key = keys.get(i, keyType).toString
            if (values.isNullAt(i)) throw usage(s"the value of option $key is null")
            key -> values.get(i, valueType).toString
          }.toMap
        case _ => Map.empty
      }
    case _ =>
      throw usage(s"the options must be a constant map('option', 'value', ...), got ${e.sql}")
  }

  private def usage(problem: String): RestOptionException =
    new RestOptionException(
      s"$Name: $problem. Usage: $Name(TABLE(t), url [, map('option', 'value', ...)])")
}
