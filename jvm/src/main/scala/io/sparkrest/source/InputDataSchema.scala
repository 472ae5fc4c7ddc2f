package io.sparkrest.source

import scala.jdk.CollectionConverters._

import com.fasterxml.jackson.databind.JsonNode

import org.apache.spark.sql.types._

/**
 * The schema of `inputData` rows, inferred on the driver from the parsed JSON (already in
 * memory: it is an option value), so that reading them runs no Spark job before the read's
 * options and template columns are checked. Follows Spark's JSON inference: integers are
 * BIGINT (DECIMAL(38,0) beyond), other numbers DOUBLE, fields sorted by name, nulls only are
 * STRING, and conflicting types widen to STRING.
 */
private[sparkrest] object InputDataSchema {

  def infer(rows: Seq[JsonNode]): StructType =
    finish(rows.map(of).foldLeft(StructType(Nil): DataType)(merge)) match {
      case s: StructType => s
      case _ => StructType(Nil)
    }

  private def of(node: JsonNode): DataType = node match {
    case n if n.isNull || n.isMissingNode => NullType
    case n if n.isBoolean => BooleanType
    case n if n.isIntegralNumber => if (n.canConvertToLong) LongType else DecimalType(38, 0)
    case n if n.isNumber => DoubleType
    case n if n.isTextual => StringType
    case n if n.isArray =>
      ArrayType(n.elements().asScala.map(of).foldLeft(NullType: DataType)(merge))
    case n if n.isObject =>
      StructType(n.properties().asScala.toSeq.map(e => StructField(e.getKey, of(e.getValue))))
    case _ => StringType
  }

  private def merge(a: DataType, b: DataType): DataType = (a, b) match {
    case (x, y) if x == y => x
    case (NullType, y) => y
    case (x, NullType) => x
    case (LongType, DoubleType) | (DoubleType, LongType) => DoubleType
    case (_: DecimalType, LongType) | (LongType, _: DecimalType) => DecimalType(38, 0)
    case (_: DecimalType, DoubleType) | (DoubleType, _: DecimalType) => DoubleType
    case (ArrayType(x, _), ArrayType(y, _)) => ArrayType(merge(x, y))
    case (x: StructType, y: StructType) =>
      val names = (x.fieldNames ++ y.fieldNames).distinct
      StructType(names.toSeq.map { name =>
        val left = x.find(_.name == name).map(_.dataType).getOrElse(NullType)
        val right = y.find(_.name == name).map(_.dataType).getOrElse(NullType)
        StructField(name, merge(left, right))
      })
    case _ => StringType
  }

  // Sorted fields as Spark's inference gives them; types never seen but null are strings.
  private def finish(t: DataType): DataType = t match {
    case NullType => StringType
    case ArrayType(e, _) => ArrayType(finish(e), containsNull = true)
    case s: StructType =>
      StructType(s.fields.sortBy(_.name).map(f => StructField(f.name, finish(f.dataType))))
    case other => other
  }
}
