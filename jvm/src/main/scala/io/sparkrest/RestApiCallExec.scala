package io.sparkrest

import org.apache.spark.SparkContext
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

  // Transient as in QueryPlan: AttributeSet is not serialisable, and codegen serialises plans.
  @transient override lazy val references: AttributeSet = AttributeSet(referenced)

  override def outputPartitioning: Partitioning = child.outputPartitioning

  override def outputOrdering: Seq[SortOrder] = child.outputOrdering

  override lazy val metrics: Map[String, SQLMetric] = RestMetrics.create(sparkContext)

  override protected def stringArgs: Iterator[Any] = Iterator(resultAttrs, options)

  override protected def doExecute(): RDD[InternalRow] = {
    // Plain values only: this closure goes to the executors.
    val spec = EnrichIterator.Spec(
      optionsJson = options.engineJson(RateShare.executors(sparkContext, options)),
      batchSize = options.arrowBatchSize,
      // Field names are the template's spelling of the columns: native looks them up by name.
      // Columns beyond the templates' (the default body's) keep their own names.
      inputSchema = StructType(
        (options.columns ++ referenced.drop(options.columns.size).map(_.name))
          .zip(referenced)
          .map { case (name, attr) =>
            StructField(name, attr.dataType, attr.nullable)
          }),
      // Plain lists: plan-side Seqs may be lazy views over non-serialisable collections.
      inputProjection = referenced.toList,
      childOutput = child.output.toList,
      engineFields = RestApiCall.nativeFields(options),
      resultSchema = RestApiCall.engineResultSchema(options),
      exploded = RestApiCall.exploded(options),
      outputTypes = output.map(_.dataType).toList,
      timeZoneId = conf.sessionLocalTimeZone,
      logLevel =
        RestLogging.checkLevel(conf.getConfString(RestLogging.LevelConf, RestLogging.Default)))
    val metrics = this.metrics
    child.execute().mapPartitions(rows => new EnrichIterator(rows, spec, metrics))
  }

  override protected def withNewChildInternal(newChild: SparkPlan): RestApiCallExec =
    copy(child = newChild)
}

object RestApiCallExec {

  /**
   * The executors a query-wide `rateLimit` is divided by, counted when the query is planned: 1
   * in local mode (driver and executor are one JVM), else the executors registered then (the
   * block managers minus the driver's), at least 1. With dynamic allocation [[RateShare]]
   * divides by `spark.dynamicAllocation.maxExecutors` instead.
   */
  def executorCount(sc: SparkContext): Int = {
    val master = sc.master
    if (master.startsWith("local") && !master.startsWith("local-cluster")) 1
    else math.max(1, sc.getExecutorMemoryStatus.size - 1)
  }
}
