package io.sparkrest.source

import org.apache.spark.sql.catalyst.expressions.Alias
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, Project}
import org.apache.spark.sql.catalyst.rules.Rule
import org.apache.spark.sql.execution.datasources.LogicalRelation
import org.apache.spark.sql.sparkrest.Classic

/**
 * Replaces a `rest` input relation by its enrichment plan (the [[io.sparkrest.RestApiCall]]
 * node over the optimized input), keeping the relation's attribute ids, so the query plans the
 * node into `RestApiCallExec`: the Spark UI then shows the enrichment and its SQL metrics
 * rather than an opaque scan, and the input is read like in any other query.
 */
private[sparkrest] object InputRelationRule extends Rule[LogicalPlan] {

  override def apply(plan: LogicalPlan): LogicalPlan = plan.transformUp {
    case l: LogicalRelation if l.relation.isInstanceOf[InputRelation] =>
      val node = l.relation.asInstanceOf[InputRelation].optimizedNode
      if (node.output.map(_.dataType) != l.output.map(_.dataType))
        l // never expected; keep the scan
      else {
        Project(
          l.output.zip(node.output).map { case (out, in) =>
            Alias(in, out.name)(exprId = out.exprId)
          },
          node)
      }
  }

  /** Adds the rule to `session`'s optimizer once (sessions with RestExtensions have it). */
  def ensureRegistered(session: Classic.SparkSession): Unit = {
    val experimental = session.experimental
    experimental.synchronized {
      if (!experimental.extraOptimizations.contains(this)) {
        experimental.extraOptimizations = experimental.extraOptimizations :+ this
      }
    }
  }
}
