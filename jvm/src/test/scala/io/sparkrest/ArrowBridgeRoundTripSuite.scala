package io.sparkrest

import java.math.{BigDecimal => JBigDecimal}
import java.sql.{Date, Timestamp}
import java.time.LocalDateTime

import org.apache.arrow.memory.BufferAllocator
import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.Row
import org.apache.spark.sql.catalyst.{CatalystTypeConverters, InternalRow}
import org.apache.spark.sql.sparkrest.ArrowBridge
import org.apache.spark.sql.types._
import org.apache.spark.sql.util.ArrowUtilsForTests

/**
 * The C Data boundary as a unit: rows go through ArrowWriter, are exported, imported by the
 * real native library (`echoBatch`), exported back and imported again. Every test has its own
 * allocator, which must be empty when the bridge is closed: a leak fails the test.
 */
class ArrowBridgeRoundTripSuite extends AnyFunSuite with Matchers {

  private lazy val native = Native.methods
  private val timeZone = "America/Los_Angeles"

  private def echo(inArray: Long, inSchema: Long, outArray: Long, outSchema: Long): Unit =
    native.echoBatch(inArray, inSchema, outArray, outSchema)

  /** Runs `body` with a fresh allocator and checks that it is empty afterwards. */
  private def withAllocator[T](body: BufferAllocator => T): T = {
    val allocator = ArrowBridge.newAllocator(s"test ${getClass.getSimpleName}")
    val result =
      try body(allocator)
      catch {
        case e: Throwable =>
          // Report the failure itself; a leak it caused is secondary.
          try allocator.close()
          catch { case leak: Throwable => e.addSuppressed(leak) }
          throw e
      }
    allocator.getAllocatedMemory shouldBe 0L
    allocator.close()
    result
  }

  /** One exchange through the bridge: the rows and Arrow schema that came back. */
  private def exchange(bridge: ArrowBridge, schema: StructType, rows: Seq[Row]): Seq[Row] = {
    val toCatalyst = CatalystTypeConverters.createToCatalystConverter(schema)
    rows.foreach(r => bridge.write(toCatalyst(r).asInstanceOf[InternalRow]))
    bridge.numRows shouldBe rows.size
    val (_, result) = bridge.exchange(echo)
    try {
      result.numRows shouldBe rows.size
      result.arrowSchema.getFields shouldBe bridgeSchema(schema).getFields
      val toScala = CatalystTypeConverters.createToScalaConverter(result.schema)
      (0 until result.numRows).map(i => toScala(result.row(i)).asInstanceOf[Row])
    } finally result.close()
  }

  // The Arrow schema the bridge writes, to compare with what comes back.
  private def bridgeSchema(schema: StructType) = ArrowUtilsForTests.toArrowSchema(schema, timeZone)

  private def roundTrip(schema: StructType, rows: Seq[Row]): Unit = withAllocator { allocator =>
    val bridge = new ArrowBridge(schema, timeZone, allocator)
    try exchange(bridge, schema, rows) shouldBe rows
    finally bridge.close()
  }

  private def column(dataType: DataType, values: Any*): Unit = {
    val schema = StructType(Seq(StructField("id", IntegerType), StructField("value", dataType)))
    roundTrip(schema, values.zipWithIndex.map { case (v, i) => Row(i, v) })
  }

  test("boolean") {
    column(BooleanType, true, false, null)
  }

  test("byte") {
    column(ByteType, Byte.MinValue, 0.toByte, null, Byte.MaxValue)
  }

  test("short") {
    column(ShortType, Short.MinValue, 0.toShort, null, Short.MaxValue)
  }

  test("int") {
    column(IntegerType, Int.MinValue, 0, null, Int.MaxValue)
  }

  test("long") {
    column(LongType, Long.MinValue, 0L, null, Long.MaxValue)
  }

  test("float") {
    column(FloatType, 1.5f, Float.NaN, null, Float.MaxValue, Float.MinPositiveValue, -0.0f)
  }

  test("double") {
    column(DoubleType, 1.5d, Double.NaN, null, Double.MaxValue, Double.NegativeInfinity)
  }

  test("decimal(38,10)") {
    column(
      DecimalType(38, 10),
      new JBigDecimal("1234567890123456789012345678.0123456789"),
      new JBigDecimal("-9999999999999999999999999999.9999999999"),
      null,
      new JBigDecimal("0E-10"))
  }

  test("decimal(10,2)") {
    column(DecimalType(10, 2), new JBigDecimal("12345678.91"), new JBigDecimal("-0.01"), null)
  }

  test("string") {
    column(StringType, "", "héllo ✓ 日本", null, "with\nnewline and \"quotes\"")
  }

  test("binary") {
    column(BinaryType, Array.emptyByteArray, Array[Byte](0, 1, -1, 127), null)
  }

  test("date") {
    column(
      DateType,
      Date.valueOf("1970-01-01"),
      Date.valueOf("2024-02-29"),
      null,
      Date.valueOf("1900-12-31"))
  }

  test("timestamp keeps the session time zone") {
    column(
      TimestampType,
      Timestamp.valueOf("2024-03-10 01:59:59.123456"),
      new Timestamp(0L),
      null,
      Timestamp.valueOf("1969-12-31 23:59:59.999999"))
  }

  test("timestamp_ntz") {
    column(
      TimestampNTZType,
      LocalDateTime.parse("2024-03-10T02:30:00.123456"),
      null,
      LocalDateTime.parse("1900-01-01T00:00:00"))
  }

  test("struct") {
    val struct = StructType(Seq(StructField("a", IntegerType), StructField("b", StringType)))
    column(struct, Row(1, "x"), Row(null, null), null, Row(-1, ""))
  }

  test("array") {
    column(ArrayType(IntegerType), Seq(1, null, 3), Seq.empty, null)
    column(ArrayType(StringType), Seq("a", null), null, Seq(""))
  }

  test("map") {
    column(MapType(StringType, IntegerType), Map("a" -> 1, "b" -> null), Map.empty, null)
  }

  test("nested: array of struct, map of arrays") {
    val struct =
      StructType(Seq(StructField("k", StringType), StructField("v", ArrayType(LongType))))
    column(ArrayType(struct), Seq(Row("x", Seq(1L, 2L)), null, Row(null, null)), null, Seq.empty)
    column(MapType(StringType, ArrayType(DoubleType)), Map("a" -> Seq(1.0, null)), null)
  }

  test("all types in one batch") {
    val schema = StructType(
      Seq(
        StructField("b", BooleanType),
        StructField("i", IntegerType),
        StructField("s", StringType),
        StructField("d", DecimalType(10, 2)),
        StructField("t", TimestampType),
        StructField("m", MapType(StringType, StringType))))
    roundTrip(
      schema,
      Seq(
        Row(true, 1, "one", new JBigDecimal("1.00"), new Timestamp(1000L), Map("k" -> "v")),
        Row(null, null, null, null, null, null)))
  }

  test("empty batch") {
    column(StringType)
  }

  test("batch without columns keeps its row count") {
    // A URL without placeholders references no column: the engine still needs one row per row.
    roundTrip(StructType(Nil), Seq(Row(), Row(), Row()))
  }

  test("1 MiB string") {
    val big = "x" * (1 << 20)
    column(StringType, big, null, big.reverse + "y")
  }

  test("the bridge is reused across batches of different sizes") {
    val schema = StructType(Seq(StructField("s", StringType), StructField("n", LongType)))
    withAllocator { allocator =>
      val bridge = new ArrowBridge(schema, timeZone, allocator)
      try {
        for (size <- Seq(5, 1000, 0, 17)) {
          val rows = (0 until size).map(i => Row(if (i % 3 == 0) null else s"row $i", i.toLong))
          exchange(bridge, schema, rows) shouldBe rows
        }
      } finally bridge.close()
    }
  }

  test("a failing callee leaks nothing") {
    val schema = StructType(Seq(StructField("s", StringType)))
    withAllocator { allocator =>
      val bridge = new ArrowBridge(schema, timeZone, allocator)
      try {
        bridge.write(
          CatalystTypeConverters
            .createToCatalystConverter(schema)(Row("a"))
            .asInstanceOf[InternalRow])
        val error = intercept[IllegalStateException] {
          bridge.exchange((_, _, _, _) => throw new IllegalStateException("callee failed"))
        }
        error.getMessage shouldBe "callee failed"
        bridge.numRows shouldBe 0
        exchange(bridge, schema, Seq(Row("after"))) shouldBe Seq(Row("after"))
      } finally bridge.close()
    }
  }
}
