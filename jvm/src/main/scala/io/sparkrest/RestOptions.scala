package io.sparkrest

import scala.jdk.CollectionConverters._
import scala.util.control.NonFatal

import com.fasterxml.jackson.databind.ObjectMapper

import org.apache.spark.sql.types._

/**
 * The options of one REST enrichment (SPEC section 4), validated by the native engine, which
 * owns the rules: the JVM only learns which input columns the templates use and how to show
 * the options without their secrets. The response options only the JVM uses (`schema`,
 * `inferSchema`, `schemaSampleSize`, and the shape from `explode`/`arrayColumn`) are checked
 * here.
 *
 * `toString` shows the redacted options only, and this is deliberately not a case class: plan
 * nodes print and serialise their fields generically, and none of those paths may reveal a
 * secret.
 */
final class RestOptions private (
    val values: Map[String, String],
    val redacted: Map[String, String],
    val columns: Seq[String],
    inferredArrays: Boolean = false,
    val misplaced: Map[String, String] = Map.empty,
    val allInputColumns: Boolean = false)
    extends Serializable {

  import RestOptions._

  def url: String = values(Url)

  /**
   * All options as the engine's JSON object; keys sorted so equal options give equal strings.
   * `inferSchema`/`schemaSampleSize` are left out: once inferred, `schema` holds the result.
   */
  def json: String = toJson(engineValues)

  /**
   * The engine's JSON for one executor's share of a query-wide `rateLimit`: the rate (and the
   * burst, at least 1) divided by `executors`.
   */
  def engineJson(executors: Int): String = {
    val share = rateLimit.filter(_ => executors > 1) match {
      case Some(rate) =>
        val burst = values.get(RateLimitBurst).map(_.trim.toLong).getOrElse(1L)
        Map(
          RateLimit -> (rate / executors).toString,
          RateLimitBurst -> math.max(1L, burst / executors).toString)
      case None => Map.empty[String, String]
    }
    toJson(engineValues ++ share)
  }

  // An inferred array shape names its column explicitly, so the engine never has to guess
  // the array mode from the schema alone.
  private def engineValues: Map[String, String] = {
    val shaped = shape match {
      case Shape.ArrayColumn(name) if schema.isDefined => values + (ArrayColumn -> name)
      case _ => values
    }
    shaped -- JvmOnly
  }

  /** `rateLimit` when set and positive. */
  def rateLimit: Option[Double] =
    values.get(RateLimit).map(_.trim.toDouble).filter(_ > 0)

  /** The record fields (`schema`, or the inferred one): the element fields in array shapes. */
  def schema: Option[StructType] = values.get(Schema).map(parseSchema)

  def inferSchema: Boolean = flag(InferSchema)

  /** Rows sampled by `inferSchema`. */
  def schemaSampleSize: Int =
    values.get(SchemaSampleSize).map(_.trim.toInt).getOrElse(DefaultSchemaSampleSize)

  def explode: Boolean = flag(Explode)

  /**
   * The shape of the appended columns: records as columns, one array column, or one row per
   * element. Only meaningful with a schema.
   */
  def shape: Shape =
    if (explode) Shape.Exploded
    else
      values.get(ArrayColumn) match {
        case Some(name) => Shape.ArrayColumn(name)
        case None if inferredArrays => Shape.ArrayColumn(DefaultArrayColumn)
        case None => Shape.Record
      }

  def dataField: Seq[String] =
    values.get(DataField).toSeq.flatMap(_.split('.')).filter(_.nonEmpty)

  def arrowBatchSize: Int =
    values
      .get("arrowBatchSize")
      .map(_.trim.toInt)
      .filter(_ > 0)
      .getOrElse(DefaultArrowBatchSize)

  /**
   * These options with the `schema` found by inference; `arrays` says the sampled responses
   * were JSON arrays, which makes the shape an array column unless `explode` is set.
   */
  def withInferredSchema(inferred: StructType, arrays: Boolean): RestOptions = {
    val ddl = inferred.toDDL
    new RestOptions(
      values + (Schema -> ddl),
      redacted + (Schema -> ddl),
      columns,
      arrays,
      misplaced,
      allInputColumns)
  }

  /** These options without a schema or shape: the raw body, as inference samples it. */
  def rawForSampling: RestOptions =
    new RestOptions(
      values -- ShapeOptions,
      redacted -- ShapeOptions,
      columns,
      misplaced = misplaced,
      allInputColumns = allInputColumns)

  /** `url=..., name=value, ...` with secrets redacted, url first, then by name. */
  def describe: String = {
    val url = redacted.getOrElse(Url, "")
    val rest = (redacted - Url).toSeq.sortBy(_._1).map { case (k, v) => s"$k=$v" }
    (s"url=$url" +: rest).mkString(", ")
  }

  override def toString: String = describe

  /**
   * Fails when an option given has no effect on `surface` (one of [[Surface]]), with the
   * engine's message saying where it applies.
   */
  def checkSurface(surface: String): Unit =
    misplaced.get(surface).foreach(m => throw new RestOptionException(m))

  /** `includeInputs` (rwforest `includeInputsInOutput`): keep the input columns. */
  def includeInputs: Boolean = !values.get(IncludeInputs).exists(_.trim.equalsIgnoreCase("false"))

  /** `inputPartitions` (rwforest `partitions`): repartition the input rows first. */
  def inputPartitions: Option[Int] = values.get(InputPartitions).map(_.trim.toInt)

  override def equals(other: Any): Boolean = other match {
    case o: RestOptions => values == o.values && shape == o.shape
    case _ => false
  }

  override def hashCode(): Int = values.hashCode()

  private def flag(name: String): Boolean =
    values.get(name).exists(_.trim.equalsIgnoreCase("true"))
}

object RestOptions {
  val Url = "url"
  val Schema = "schema"
  val InferSchema = "inferSchema"
  val SchemaSampleSize = "schemaSampleSize"
  val Explode = "explode"
  val ArrayColumn = "arrayColumn"
  val DataField = "dataField"
  val RateLimit = "rateLimit"
  val RateLimitBurst = "rateLimitBurst"
  val DefaultArrowBatchSize = 1024
  val DefaultSchemaSampleSize = 20
  val MaxSchemaSampleSize = 10000
  val DefaultArrayColumn = "results"
  val IncludeInputs = "includeInputs"
  val InputPartitions = "inputPartitions"

  /** Where options apply (the engine's `option_surfaces`). */
  object Surface {
    val Enrichment = "enrichment"
    val Input = "input"
    val Paginated = "paginated"
    val Stream = "stream"

    /** A read without input before Spark tells whether it is paginated or a stream. */
    val Source = "source"
  }

  /** Read by the JVM alone; never part of the engine's options. */
  private val JvmOnly = Set(InferSchema, SchemaSampleSize, IncludeInputs, InputPartitions)

  /** What makes the result typed or shaped; a raw sample leaves them out. */
  private val ShapeOptions = JvmOnly ++ Set(Schema, Explode, ArrayColumn)

  /** How records become appended columns and rows (SPEC section 3). */
  sealed trait Shape
  object Shape {

    /** The schema's fields as columns, one row per input row. */
    case object Record extends Shape

    /** One column `name ARRAY<STRUCT<schema>>`, one row per input row. */
    final case class ArrayColumn(name: String) extends Shape

    /** One row per array element (input columns repeated); an empty array gives one row. */
    case object Exploded extends Shape
  }

  private val mapper = new ObjectMapper()

  /**
   * Validates `values` (which include `url`) with the native engine, then the options the JVM
   * owns. Throws [[RestOptionException]] naming the bad option. The result holds the options
   * in their canonical names (aliases such as rwforest's `authType` replaced, `auth` implied
   * by the credentials), as the engine returned them.
   */
  def analyze(values: Map[String, String]): RestOptions = {
    val answer = mapper.readTree(Native.methods.analyzeOptions(toJson(values)))
    val columns = Option(answer.get("columns")).toSeq.flatMap(_.elements().asScala).map(_.asText())
    def stringMap(key: String): Option[Map[String, String]] = Option(answer.get(key))
      .map(_.properties().asScala.map(e => e.getKey -> e.getValue.asText()).toMap)
    val redacted = stringMap("redacted")
      .getOrElse(throw new NativeException(s"analyzeOptions returned no 'redacted' object"))
    val canonical = stringMap("options").getOrElse(values)
    val options = new RestOptions(
      canonical,
      redacted,
      columns.distinct,
      misplaced = stringMap("misplaced").getOrElse(Map.empty),
      allInputColumns = Option(answer.get("all_input_columns")).exists(_.asBoolean(false)))
    checkResponseOptions(options)
    options
  }

  private def checkResponseOptions(o: RestOptions): Unit = {
    o.values.get(Schema).foreach(parseSchema)
    o.values.get(InferSchema).foreach(v => checkBoolean(InferSchema, v))
    o.values.get(SchemaSampleSize).foreach { v =>
      val n = scala.util.Try(v.trim.toInt).getOrElse(-1) // toIntOption: 2.13 only
      if (n < 1 || n > MaxSchemaSampleSize) {
        throw new RestOptionException(
          s"invalid value '$v' for option '$SchemaSampleSize': allowed is an integer from 1 " +
            s"to $MaxSchemaSampleSize (rows sampled by inferSchema)")
      }
    }
    if (o.values.contains(Schema) && o.inferSchema) {
      throw new RestOptionException(
        s"options '$Schema' and '$InferSchema=true' are both given: give the schema, or let it " +
          "be inferred, not both")
    }
    val typed = o.values.contains(Schema) || o.inferSchema
    if (!typed) {
      val shaping = Seq(Explode -> o.explode, ArrayColumn -> o.values.contains(ArrayColumn))
      shaping.collectFirst { case (name, true) => name }.foreach { name =>
        throw new RestOptionException(
          s"option '$name' needs '$Schema' (or '$InferSchema=true'): without a schema the raw " +
            "body is returned in the column `output`")
      }
    }
    o.values.get(ArrayColumn).foreach { name =>
      if (name.trim.isEmpty || name.startsWith("_")) {
        throw new RestOptionException(
          s"invalid value '$name' for option '$ArrayColumn': allowed is a column name that is " +
            "not empty and does not start with '_'")
      }
    }
  }

  private def checkBoolean(name: String, value: String): Unit =
    if (!Set("true", "false").contains(value.trim.toLowerCase)) {
      throw new RestOptionException(
        s"invalid value '$value' for option '$name': allowed is true or false")
    }

  /** `schema` as a StructType of types responses can be decoded into. */
  private[sparkrest] def parseSchema(ddl: String): StructType = {
    val schema =
      try StructType.fromDDL(ddl)
      catch {
        case NonFatal(e) =>
          throw new RestOptionException(
            s"invalid value '$ddl' for option '$Schema': allowed is a DDL list of fields such " +
              s"as 'score INT, tier STRING' (${firstLine(e.getMessage)})")
      }
    if (schema.isEmpty) {
      throw new RestOptionException(s"invalid value '$ddl' for option '$Schema': no fields")
    }
    schema.fields.foreach { f =>
      unsupported(f.dataType).foreach { t =>
        throw new RestOptionException(
          s"invalid value for option '$Schema': field `${f.name}` has type ${t.sql}, which " +
            "responses cannot be decoded into (allowed: BOOLEAN, TINYINT, SMALLINT, INT, " +
            "BIGINT, FLOAT, DOUBLE, DECIMAL, STRING, DATE, TIMESTAMP, TIMESTAMP_NTZ, STRUCT, " +
            "ARRAY, MAP)")
      }
    }
    StructType(schema.fields.map(_.copy(nullable = true)))
  }

  /** The first type inside `t` that the engine cannot decode JSON into. */
  private def unsupported(t: DataType): Option[DataType] = t match {
    case BooleanType | ByteType | ShortType | IntegerType | LongType | FloatType | DoubleType |
        DateType | TimestampType | TimestampNTZType =>
      None
    case _: StringType => None
    case _: DecimalType => None
    case s: StructType => s.fields.iterator.flatMap(f => unsupported(f.dataType)).toSeq.headOption
    case a: ArrayType => unsupported(a.elementType)
    case m: MapType => unsupported(m.keyType).orElse(unsupported(m.valueType))
    case other => Some(other)
  }

  private def firstLine(s: String): String =
    Option(s).map(_.linesIterator.find(_.trim.nonEmpty).getOrElse("").trim).getOrElse("")

  private[sparkrest] def toJson(values: Map[String, String]): String =
    mapper.writeValueAsString(new java.util.TreeMap[String, String](values.asJava))
}
