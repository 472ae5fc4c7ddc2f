package io.sparkrest

import scala.util.control.NonFatal

import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeReference, AttributeSet}
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, UnaryNode}
import org.apache.spark.sql.internal.SQLConf
import org.apache.spark.sql.sparkrest.ArrowBridge
import org.apache.spark.sql.types.{IntegerType, StringType, StructField, StructType}

/**
 * Enriches every row of `child` with the response of a REST call: the output is the child's
 * columns followed by `resultAttrs` (SPEC section 3). `referenced` are the child columns the
 * templates use, in the order of `options.columns`: they are the node's references, so column
 * pruning keeps them, and the only columns sent to the engine.
 *
 * Build it with [[RestApiCall.create]], which validates everything at analysis time.
 */
case class RestApiCall(
    options: RestOptions,
    referenced: Seq[Attribute],
    resultAttrs: Seq[Attribute],
    child: LogicalPlan)
    extends UnaryNode {

  override def output: Seq[Attribute] = child.output ++ resultAttrs

  override def producedAttributes: AttributeSet = AttributeSet(resultAttrs)

  override lazy val references: AttributeSet = AttributeSet(referenced)

  // Printed by explain and the UI: RestOptions renders redacted values only.
  override protected def stringArgs: Iterator[Any] = Iterator(resultAttrs, options)

  override protected def withNewChildInternal(newChild: LogicalPlan): RestApiCall =
    copy(child = newChild)
}

object RestApiCall {
  val OutputColumn = "output"
  val StatusColumn = "_status"
  val ErrorColumn = "_error"

  /**
   * Validates the options with the native engine (a typo fails here, naming the option),
   * resolves the columns the templates reference against `child`, and builds the node.
   */
  def create(url: String, userOptions: Map[String, String], child: LogicalPlan): RestApiCall = {
    userOptions.get(RestOptions.Url).filter(_ != url).foreach { other =>
      throw new RestOptionException(
        s"option url is given twice with different values: '$url' and '$other'; pass it once")
    }
    val options = RestOptions.analyze(userOptions + (RestOptions.Url -> url))
    val referenced = options.columns.map(resolveColumn(_, child))
    checkSendable(referenced)
    val result = resultSchema(options)
    checkNoClash(result, child)
    val resultAttrs =
      result.fields.toSeq.map(f => AttributeReference(f.name, f.dataType, nullable = true)())
    RestApiCall(options, referenced, resultAttrs, child)
  }

  /** The appended columns: the `schema` fields (else `output`), then `_status` and `_error`. */
  def resultSchema(options: RestOptions): StructType = {
    val parsed = options.schema
      .map(s => s.fields.toSeq.map(_.copy(nullable = true)))
      .getOrElse(Seq(StructField(OutputColumn, StringType)))
    StructType(
      parsed ++ Seq(StructField(StatusColumn, IntegerType), StructField(ErrorColumn, StringType)))
  }

  private def resolveColumn(name: String, child: LogicalPlan): Attribute = {
    val resolver = SQLConf.get.resolver
    child.output.filter(a => resolver(a.name, name)) match {
      case Seq(attr) => attr
      case Seq() =>
        throw new RestOptionException(
          s"column `$name` used in a template (url, body, headers or batchKey) does not exist in " +
            s"the input; available columns: ${available(child)}")
      case several =>
        throw new RestOptionException(
          s"column `$name` used in a template is ambiguous: the input has ${several.size} " +
            s"columns of that name; available columns: ${available(child)}")
    }
  }

  // Fail now, not in a task, when a referenced column has a type Arrow cannot carry.
  private def checkSendable(referenced: Seq[Attribute]): Unit = referenced.foreach { attr =>
    try
      ArrowBridge.checkSupported(
        StructType(Seq(StructField(attr.name, attr.dataType))),
        SQLConf.get.sessionLocalTimeZone)
    catch {
      case NonFatal(e) =>
        throw new RestOptionException(
          s"column `${attr.name}` of type ${attr.dataType.sql} cannot be used in a template: " +
            e.getMessage)
    }
  }

  // Duplicate names would make later references ambiguous and writes fail far from the cause.
  private def checkNoClash(result: StructType, child: LogicalPlan): Unit = {
    val resolver = SQLConf.get.resolver
    result.fieldNames.find(n => child.output.exists(a => resolver(a.name, n))).foreach { name =>
      throw new RestOptionException(
        s"the result column `$name` already exists in the input; rename or drop the input column " +
          s"first (e.g. after a previous restApiCall: withColumnRenamed(\"$name\", ...))")
    }
  }

  private def available(child: LogicalPlan): String =
    child.output.map(a => s"`${a.name}`").mkString(", ")
}
