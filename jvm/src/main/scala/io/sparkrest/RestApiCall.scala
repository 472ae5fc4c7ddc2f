package io.sparkrest

import scala.util.control.NonFatal

import org.apache.spark.sql.SparkSession
import org.apache.spark.sql.catalyst.expressions.{Attribute, AttributeReference, AttributeSet}
import org.apache.spark.sql.catalyst.plans.logical.{LogicalPlan, Repartition, UnaryNode}
import org.apache.spark.sql.internal.SQLConf
import org.apache.spark.sql.sparkrest.ArrowBridge
import org.apache.spark.sql.types.{ArrayType, IntegerType, StringType, StructField, StructType}

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

  // Transient as in QueryPlan: AttributeSet is not serialisable, and codegen serialises plans.
  @transient override lazy val references: AttributeSet = AttributeSet(referenced)

  // Printed by explain and the UI: RestOptions renders redacted values only.
  override protected def stringArgs: Iterator[Any] = Iterator(resultAttrs, options)

  override protected def withNewChildInternal(newChild: LogicalPlan): RestApiCall =
    copy(child = newChild)
}

object RestApiCall {
  val OutputColumn = "output"
  val StatusColumn = "_status"
  val ErrorColumn = "_error"

  /** The engine's extra column in explode mode: the input row (index in its batch). */
  val RowColumn = "_row"

  /**
   * Validates the options with the native engine (a typo fails here, naming the option),
   * resolves the columns the templates reference against `child`, and builds the node. With
   * `inferSchema=true` the schema is inferred now, from responses to the first
   * `schemaSampleSize` rows of `child` (a Spark job on `spark`, by default the active session).
   */
  def create(
      url: String,
      givenOptions: Map[String, String],
      child: LogicalPlan,
      spark: Option[SparkSession] = None,
      surface: String = RestOptions.Surface.Enrichment): RestApiCall = {
    val userOptions = RestOptionNames.canonical(givenOptions)
    userOptions.get(RestOptions.Url).filter(_ != url).foreach { other =>
      throw new RestOptionException(
        s"option url is given twice with different values: '$url' and '$other'; pass it once")
    }
    RestLogging.ensureInitialized(
      RestLogging.checkLevel(SQLConf.get.getConfString(RestLogging.LevelConf, RestLogging.Default)))
    val analyzed = RestOptions.analyze(userOptions + (RestOptions.Url -> url))
    analyzed.checkSurface(surface)
    val input = analyzed.inputPartitions
      .map(n => Repartition(n, shuffle = true, child))
      .getOrElse(child)
    val named = analyzed.columns.map(resolveColumn(_, input))
    // The default body and queryType=querystring send every input column.
    val referenced =
      if (!analyzed.allInputColumns) named
      else named ++ input.output.filterNot(a => named.exists(_.exprId == a.exprId))
    checkSendable(referenced, named.size)
    val options =
      if (!analyzed.inferSchema) analyzed
      else {
        val session = spark
          .orElse(SparkSession.getActiveSession)
          .orElse(SparkSession.getDefaultSession)
          .getOrElse(throw new IllegalStateException(
            "inferSchema=true needs an active SparkSession to sample responses"))
        SchemaInference.infer(session, analyzed, referenced, input)
      }
    build(options, referenced, input)
  }

  /** The node for already analysed options whose referenced columns are resolved. */
  private[sparkrest] def build(
      options: RestOptions,
      referenced: Seq[Attribute],
      child: LogicalPlan): RestApiCall = {
    val result = resultSchema(options)
    checkUnique(result, exploded(options))
    checkNoClash(result, child)
    val resultAttrs =
      result.fields.toSeq.map(f => AttributeReference(f.name, f.dataType, nullable = true)())
    RestApiCall(options, referenced, resultAttrs, child)
  }

  /**
   * The appended columns: the `schema` fields (else `output`; or one array column of them),
   * then `_status` and `_error`.
   */
  def resultSchema(options: RestOptions): StructType = {
    val parsed = nativeFields(options)
      .map(_.fields.toSeq)
      .getOrElse(Seq(StructField(OutputColumn, StringType)))
    StructType(
      parsed ++ Seq(StructField(StatusColumn, IntegerType), StructField(ErrorColumn, StringType)))
  }

  /**
   * The result fields the engine is created with (before `_status`/`_error`): the schema's
   * fields, or one field `arrayColumn ARRAY<STRUCT<schema>>`; None for the raw body.
   */
  def nativeFields(options: RestOptions): Option[StructType] = options.schema.map { schema =>
    options.shape match {
      case RestOptions.Shape.ArrayColumn(name) =>
        StructType(Seq(StructField(name, ArrayType(schema, containsNull = true))))
      case RestOptions.Shape.Record | RestOptions.Shape.Exploded => schema
    }
  }

  /** True when the engine returns one row per array element, each with its input row index. */
  def exploded(options: RestOptions): Boolean =
    options.schema.isDefined && options.shape == RestOptions.Shape.Exploded

  /** What the engine returns: the appended columns, plus `_row` when exploded. */
  def engineResultSchema(options: RestOptions): StructType = {
    val appended = resultSchema(options)
    if (exploded(options)) appended.add(StructField(RowColumn, IntegerType, nullable = false))
    else appended
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
  // Columns after the first `named` are sent because every input column is (default body,
  // queryType=querystring).
  private def checkSendable(referenced: Seq[Attribute], named: Int): Unit =
    referenced.zipWithIndex.foreach { case (attr, i) =>
      try
        ArrowBridge.checkSupported(
          StructType(Seq(StructField(attr.name, attr.dataType))),
          SQLConf.get.sessionLocalTimeZone)
      catch {
        case NonFatal(e) =>
          val where =
            if (i < named) "be used in a template"
            else
              "be sent as an input column (POST, PUT and PATCH without 'body', and " +
                "queryType=querystring, send every input column: pick them with " +
                "'bodyColumns' or drop this one first)"
          throw new RestOptionException(
            s"column `${attr.name}` of type ${attr.dataType.sql} cannot $where: " + e.getMessage)
      }
    }

  // Duplicate names would make later references ambiguous and writes fail far from the cause.
  private def checkNoClash(result: StructType, child: LogicalPlan): Unit = {
    val resolver = SQLConf.get.resolver
    result.fieldNames.find(n => child.output.exists(a => resolver(a.name, n))).foreach { name =>
      throw new RestOptionException(
        s"the result column `$name` already exists in the input; rename or drop the input column " +
          s"""first (e.g. after a previous restApiCall: withColumnRenamed("$name", ...))""")
    }
  }

  // A schema field named like a column the node adds would make the output ambiguous.
  private def checkUnique(result: StructType, exploded: Boolean): Unit = {
    val resolver = SQLConf.get.resolver
    val names = result.fieldNames.toSeq ++ (if (exploded) Seq(RowColumn) else Nil)
    names.zipWithIndex
      .find { case (n, i) => names.take(i).exists(resolver(_, n)) }
      .foreach { case (name, _) =>
        throw new RestOptionException(
          s"option 'schema' has a field `$name`, a name spark-rest gives its own column; " +
            s"rename the field (the added columns are `$StatusColumn`, `$ErrorColumn`, and with " +
            s"explode=true, internally, `$RowColumn`)")
      }
  }

  private def available(child: LogicalPlan): String =
    child.output.map(a => s"`${a.name}`").mkString(", ")
}
