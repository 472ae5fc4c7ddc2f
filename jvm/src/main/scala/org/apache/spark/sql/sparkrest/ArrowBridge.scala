package org.apache.spark.sql.sparkrest

import scala.jdk.CollectionConverters._

import org.apache.arrow.c.{ArrowArray, ArrowSchema, Data}
import org.apache.arrow.memory.BufferAllocator
import org.apache.arrow.vector.VectorSchemaRoot
import org.apache.arrow.vector.types.pojo.Schema

import org.apache.spark.sql.catalyst.InternalRow
import org.apache.spark.sql.execution.arrow.ArrowWriter
import org.apache.spark.sql.types.StructType
import org.apache.spark.sql.util.ArrowUtils
import org.apache.spark.sql.vectorized.{ArrowColumnVector, ColumnVector, ColumnarBatch}

/**
 * The Arrow C Data Interface boundary of one task (DESIGN section 3). Rows are written into one
 * reused VectorSchemaRoot; `exchange` exports them as a struct array, hands the addresses of
 * the input structs and of empty output structs to native code, and imports what native wrote
 * into the output structs as a [[ResultBatch]].
 *
 * This package exists to reach Spark's `private[sql]` ArrowWriter and root allocator; it knows nothing
 * about REST. Timestamps follow `timeZoneId` exactly as Spark's own Arrow paths do. Internal:
 * no compatibility guarantee.
 */
final class ArrowBridge(val schema: StructType, timeZoneId: String, allocator: BufferAllocator)
    extends AutoCloseable {

  private val root =
    VectorSchemaRoot.create(ArrowBridge.toArrowSchema(schema, timeZoneId), allocator)
  private val writer = ArrowWriter.create(root)
  private var rows = 0

  /** Appends one row; its fields must match `schema` by position. */
  def write(row: InternalRow): Unit = {
    writer.write(row)
    rows += 1
  }

  /** Rows written since the last exchange. */
  def numRows: Int = rows

  /**
   * Exports the rows written so far, calls `call(inArray, inSchema, outArray, outSchema)` with
   * the addresses of the four C structs, and imports the output. The input structs may be
   * moved out by the callee; whatever it leaves unreleased is released here, so no path leaks.
   * The writer is reset for the next batch in every case. The caller closes the result.
   */
  def exchange[T](call: (Long, Long, Long, Long) => T): (T, ResultBatch) = {
    writer.finish()
    val in = new CStructs(allocator)
    val out = new CStructs(allocator)
    try {
      Data.exportVectorSchemaRoot(allocator, root, null, in.array, in.schema)
      val value = call(
        in.array.memoryAddress(),
        in.schema.memoryAddress(),
        out.array.memoryAddress(),
        out.schema.memoryAddress())
      (value, out.importBatch())
    } finally {
      try in.free()
      finally {
        try out.free()
        finally {
          writer.reset()
          rows = 0
        }
      }
    }
  }

  /**
   * Exports the rows written so far and calls `call(inArray, inSchema)`, which may move the
   * structs out; whatever it leaves is released here. The writer is reset in every case.
   */
  def submit[T](call: (Long, Long) => T): T = {
    writer.finish()
    val in = new CStructs(allocator)
    try {
      Data.exportVectorSchemaRoot(allocator, root, null, in.array, in.schema)
      call(in.array.memoryAddress(), in.schema.memoryAddress())
    } finally {
      try in.free()
      finally {
        writer.reset()
        rows = 0
      }
    }
  }

  /**
   * Calls `call(outArray, outSchema)`; when it returns non-null, imports what it wrote into the
   * structs. The caller closes the result.
   */
  def receive[T <: AnyRef](call: (Long, Long) => T): Option[(T, ResultBatch)] = {
    val out = new CStructs(allocator)
    try {
      val value = call(out.array.memoryAddress(), out.schema.memoryAddress())
      if (value == null) None else Some((value, out.importBatch()))
    } finally out.free()
  }

  override def close(): Unit = root.close()
}

/** The struct array that native returned, as Spark columns. Owns its Arrow memory. */
final class ResultBatch private[sparkrest] (root: VectorSchemaRoot) extends AutoCloseable {
  private val batch = new ColumnarBatch(
    root.getFieldVectors.asScala.map(v => new ArrowColumnVector(v): ColumnVector).toArray,
    root.getRowCount)

  def numRows: Int = root.getRowCount

  /** The Spark schema of the columns (types only; nullability as native declared it). */
  def schema: StructType = ArrowSchemas.fromArrow(root.getSchema)

  /** The Arrow schema exactly as imported (e.g. with time zones), for checks and tests. */
  def arrowSchema: Schema = root.getSchema

  /** Row `i`; the returned object is reused by the next call. */
  def row(i: Int): InternalRow = batch.getRow(i)

  override def close(): Unit = root.close() // also closes the vectors behind `batch`
}

/**
 * An ArrowArray/ArrowSchema pair allocated by the JVM, freed exactly once whoever moved it.
 * arrow-c-data's import closes the structs it consumes, and `release()` on a closed struct
 * fails, so what the import consumed is tracked here.
 */
private final class CStructs(allocator: BufferAllocator) {
  val array: ArrowArray = ArrowArray.allocateNew(allocator)
  val schema: ArrowSchema = ArrowSchema.allocateNew(allocator)
  private var imported = false

  def importBatch(): ResultBatch = {
    imported = true // the schema is consumed even when the import fails
    new ResultBatch(Data.importVectorSchemaRoot(allocator, array, schema, null))
  }

  def free(): Unit = {
    // release() is a no-op for a struct that was moved out (its release callback is null).
    if (!imported) {
      try freeArray()
      finally {
        try schema.release()
        finally schema.close()
      }
    } else freeArray() // closed by a successful import, still ours if the import failed
  }

  private def freeArray(): Unit = {
    val open =
      try {
        array.memoryAddress()
        true
      } catch { case _: NullPointerException => false } // "ArrowArray is already closed"
    if (open) {
      try array.release()
      finally array.close()
    }
  }
}

object ArrowBridge {

  /** A child of Spark's root allocator; its owner closes it (and it fails on leaks). */
  def newAllocator(name: String): BufferAllocator =
    ArrowUtils.rootAllocator.newChildAllocator(name, 0, Long.MaxValue)

  /**
   * Exports `schema` as a struct-typed ArrowSchema and passes its address to `use`, which may
   * take ownership (move it out); otherwise it is released here.
   */
  def withExportedSchema[T](schema: StructType, timeZoneId: String, allocator: BufferAllocator)(
      use: Long => T): T = {
    val struct = ArrowSchema.allocateNew(allocator)
    try {
      Data.exportSchema(allocator, toArrowSchema(schema, timeZoneId), null, struct)
      use(struct.memoryAddress())
    } finally {
      try struct.release()
      finally struct.close()
    }
  }

  /** Throws when a type has no Arrow mapping (e.g. calendar intervals, variants). */
  def checkSupported(schema: StructType, timeZoneId: String): Unit =
    toArrowSchema(schema, timeZoneId)

  // Our own conversion: Spark's ArrowUtils.toArrowSchema changes signature between lines.
  private def toArrowSchema(schema: StructType, timeZoneId: String) =
    ArrowSchemas.toArrow(schema, timeZoneId)
}
