package io.sparkrest

import org.apache.spark.rdd.RDD
import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeSet, SortOrder}
import org.apache.spark.sql.catalyst.plans.physical.Partitioning
import org.apache.spark.sql.execution.{SparkPlan, UnaryExecNode}
import org.apache.spark.sql.execution.metric.SQLMetric
import org.apache.spark.sql.types.{StructField, StructType}

/**
 * The physical operator of [[RestApiCall]]: each partition streams through an
 * [[EnrichIterator]], one Arrow batch at a time. Rows keep their partition and order, so the
 * child's partitioning and ordering still hold.
 */
case class RestApiCallExec(
    options: RestOptions,
    referenced: Seq[Attribute],
    resultAttrs: Seq[Attribute],
    child: SparkPlan)
    extends UnaryExecNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val references: AttributeSet = AttributeSet(referenced)

  override def outputPartitioning: Partitioning = child.outputPartitioning

  override def outputOrdering: Seq[SortOrder] = child.outputOrdering

  override lazy val metrics: Map[String, SQLMetric] = RestMetrics.create(sparkContext)

  override protected def stringArgs: Iterator[Any] = Iterator(resultAttrs, options)

  override protected def doExecute(): RDD[InternalRow] = {
    // Plain values only: this closure goes to the executors.
    val spec = EnrichIterator.Spec(
      optionsJson = options.json,
      batchSize = options.arrowBatchSize,
      // Field names are the template's spelling of the columns: native looks them up by name.
      inputSchema = StructType(options.columns.zip(referenced).map { case (name, attr) =>
        StructField(name, attr.dataType, attr.nullable)
      }),
      inputProjection = referenced,
      childOutput = child.output,
      parsedSchema = options.schema,
      resultSchema = StructType(resultAttrs.map(a => StructField(a.name, a.dataType, a.nullable))),
      outputTypes = output.map(_.dataType),
      timeZoneId = conf.sessionLocalTimeZone)
    val metrics = this.metrics
    // TODO(rate limit): a query-wide rateLimit must be split across executors; the share each
    // engine gets (e.g. from a driver-side coordinator or rateLimit / executors) goes into
    // `spec` here, before the closure is shipped.
    child.execute().mapPartitions(rows => new EnrichIterator(rows, spec, metrics))
  }

  override protected def withNewChildInternal(newChild: SparkPlan): RestApiCallExec =
    copy(child = newChild)
}
