package org.apache.spark.sql.sparkrest

import org.apache.arrow.memory.BufferAllocator

/**
 * Imports a struct array that native code writes into JVM-allocated, empty C structs when
 * there is no input batch to export (the `rest` source's pages and polls). Internal.
 */
object ArrowImport {

  /**
   * Calls `call(outArray, outSchema)` with the addresses of two empty C structs and imports
   * what native wrote into them. Whatever is left unimported is released here, so no path
   * leaks. The caller closes the result.
   */
  def importInto[T](allocator: BufferAllocator)(call: (Long, Long) => T): (T, ResultBatch) = {
    val out = new CStructs(allocator)
    try {
      val value = call(out.array.memoryAddress(), out.schema.memoryAddress())
      (value, out.importBatch())
    } finally out.free()
  }
}
