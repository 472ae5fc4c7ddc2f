package io.sparkrest

import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

import org.apache.spark.sql.Row
import org.apache.spark.sql.catalyst.{CatalystTypeConverters, InternalRow}
import org.apache.spark.sql.sparkrest.ArrowBridge
import org.apache.spark.sql.types.{StringType, StructField, StructType}

/** A panic in native code is a Java exception, and the JVM and library keep working after it. */
class NativePanicSuite extends AnyFunSuite with Matchers {

  private lazy val native = Native.methods

  test("a panic becomes NativePanicException carrying the panic message") {
    val e = intercept[NativePanicException](native.panicForTest("boom"))
    e.getMessage should include("boom")
    e shouldBe a[NativeException]
  }

  test("the library keeps working after panics") {
    for (i <- 1 to 3) intercept[NativePanicException](native.panicForTest(s"boom $i"))
    native.version() should not be empty

    val schema = StructType(Seq(StructField("s", StringType)))
    val allocator = ArrowBridge.newAllocator("after panic")
    try {
      val bridge = new ArrowBridge(schema, "UTC", allocator)
      try {
        val toCatalyst = CatalystTypeConverters.createToCatalystConverter(schema)
        bridge.write(toCatalyst(Row("still alive")).asInstanceOf[InternalRow])
        val (_, result) = bridge.exchange(native.echoBatch)
        try result.row(0).getUTF8String(0).toString shouldBe "still alive"
        finally result.close()
      } finally bridge.close()
      allocator.getAllocatedMemory shouldBe 0L
    } finally allocator.close()
  }
}
