package org.apache.spark.sql.util

import org.apache.arrow.vector.types.pojo.Schema

import org.apache.spark.sql.types.StructType

/** Lets tests compute the Arrow schema Spark writes, to compare with what native returns. */
object ArrowUtilsForTests {
  def toArrowSchema(schema: StructType, timeZoneId: String): Schema =
    ArrowUtils.toArrowSchema(schema, timeZoneId, true, false)
}
