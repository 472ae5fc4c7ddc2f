package org.apache.spark.sql.sparkrest

import scala.jdk.CollectionConverters._

import org.apache.arrow.vector.types.{DateUnit, FloatingPointPrecision, IntervalUnit, TimeUnit}
import org.apache.arrow.vector.types.pojo.{ArrowType, Field, FieldType, Schema}

import org.apache.spark.sql.types._

/**
 * StructType <-> Arrow schema in our own code, so that no line depends on the signature of
 * Spark's private `ArrowUtils.toArrowSchema` (it changed in 4.3). The mapping is the one Spark's
 * Arrow paths use (and so the one `ArrowWriter` and `ArrowColumnVector` expect): strings as
 * Utf8 (not large), decimals as 128-bit, timestamps in microseconds with the session time zone,
 * TIMESTAMP_NTZ without one, arrays as lists of `element`, maps as `entries` of `key`/`value`.
 */
object ArrowSchemas {

  def toArrow(schema: StructType, timeZoneId: String): Schema =
    new Schema(schema.fields.toSeq.map(f => field(f.name, f.dataType, f.nullable, timeZoneId)).asJava)

  def fromArrow(schema: Schema): StructType =
    StructType(schema.getFields.asScala.toSeq.map { f =>
      StructField(f.getName, dataType(f), f.isNullable)
    })

  private def field(name: String, t: DataType, nullable: Boolean, tz: String): Field = t match {
    case a: ArrayType =>
      new Field(
        name,
        new FieldType(nullable, ArrowType.List.INSTANCE, null),
        Seq(field("element", a.elementType, a.containsNull, tz)).asJava)
    case s: StructType =>
      new Field(
        name,
        new FieldType(nullable, ArrowType.Struct.INSTANCE, null),
        s.fields.toSeq.map(f => field(f.name, f.dataType, f.nullable, tz)).asJava)
    case m: MapType =>
      val entries = new Field(
        "entries",
        new FieldType(false, ArrowType.Struct.INSTANCE, null),
        Seq(
          field("key", m.keyType, nullable = false, tz),
          field("value", m.valueType, m.valueContainsNull, tz)).asJava)
      new Field(name, new FieldType(nullable, new ArrowType.Map(false), null), Seq(entries).asJava)
    case u: UserDefinedType[_] => field(name, u.sqlType, nullable, tz)
    case other => new Field(name, new FieldType(nullable, primitive(other, tz), null), null)
  }

  private def primitive(t: DataType, tz: String): ArrowType = t match {
    case BooleanType => ArrowType.Bool.INSTANCE
    case ByteType => new ArrowType.Int(8, true)
    case ShortType => new ArrowType.Int(16, true)
    case IntegerType => new ArrowType.Int(32, true)
    case LongType => new ArrowType.Int(64, true)
    case FloatType => new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)
    case DoubleType => new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)
    case _: StringType => ArrowType.Utf8.INSTANCE // any collation (4.x) is UTF-8 text
    case BinaryType => ArrowType.Binary.INSTANCE
    case d: DecimalType => new ArrowType.Decimal(d.precision, d.scale, 128)
    case DateType => new ArrowType.Date(DateUnit.DAY)
    case TimestampType =>
      if (tz == null) throw unsupported(t, "TIMESTAMP needs a session time zone")
      new ArrowType.Timestamp(TimeUnit.MICROSECOND, tz)
    case TimestampNTZType => new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)
    case NullType => ArrowType.Null.INSTANCE
    case _: YearMonthIntervalType => new ArrowType.Interval(IntervalUnit.YEAR_MONTH)
    case _: DayTimeIntervalType => new ArrowType.Duration(TimeUnit.MICROSECOND)
    case other => throw unsupported(other, "it has no Arrow mapping in spark-rest")
  }

  private def dataType(f: Field): DataType = f.getType match {
    case _: ArrowType.Map =>
      val entries = f.getChildren.get(0).getChildren
      val value = entries.get(1)
      MapType(dataType(entries.get(0)), dataType(value), value.isNullable)
    case _: ArrowType.List | _: ArrowType.LargeList =>
      val element = f.getChildren.get(0)
      ArrayType(dataType(element), element.isNullable)
    case _: ArrowType.Struct =>
      StructType(f.getChildren.asScala.toSeq.map { c =>
        StructField(c.getName, dataType(c), c.isNullable)
      })
    case ArrowType.Bool.INSTANCE => BooleanType
    case i: ArrowType.Int if i.getIsSigned && i.getBitWidth == 8 => ByteType
    case i: ArrowType.Int if i.getIsSigned && i.getBitWidth == 16 => ShortType
    case i: ArrowType.Int if i.getIsSigned && i.getBitWidth == 32 => IntegerType
    case i: ArrowType.Int if i.getIsSigned && i.getBitWidth == 64 => LongType
    case fp: ArrowType.FloatingPoint if fp.getPrecision == FloatingPointPrecision.SINGLE =>
      FloatType
    case fp: ArrowType.FloatingPoint if fp.getPrecision == FloatingPointPrecision.DOUBLE =>
      DoubleType
    case ArrowType.Utf8.INSTANCE | ArrowType.LargeUtf8.INSTANCE => StringType
    case ArrowType.Binary.INSTANCE | ArrowType.LargeBinary.INSTANCE => BinaryType
    case d: ArrowType.Decimal => DecimalType(d.getPrecision, d.getScale)
    case d: ArrowType.Date if d.getUnit == DateUnit.DAY => DateType
    case ts: ArrowType.Timestamp if ts.getUnit == TimeUnit.MICROSECOND =>
      if (ts.getTimezone == null) TimestampNTZType else TimestampType
    case ArrowType.Null.INSTANCE => NullType
    case i: ArrowType.Interval if i.getUnit == IntervalUnit.YEAR_MONTH => YearMonthIntervalType()
    case d: ArrowType.Duration if d.getUnit == TimeUnit.MICROSECOND => DayTimeIntervalType()
    case other =>
      throw new UnsupportedOperationException(
        s"spark-rest: the native engine returned Arrow type $other, which has no Spark type")
  }

  private def unsupported(t: DataType, why: String) =
    new UnsupportedOperationException(s"Unsupported data type: ${t.sql} ($why)")
}
