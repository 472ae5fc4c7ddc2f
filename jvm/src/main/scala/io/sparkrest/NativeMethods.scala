package io.sparkrest

/**
 * Every entry point of the native library (`libspark_rest_native.so`), one JNI symbol each
 * (`Java_io_sparkrest_NativeMethods_<name>`). Instances are only handed out by [[Native]],
 * after the library is loaded, so calling a method here never fails with UnsatisfiedLinkError.
 *
 * Addresses are those of Arrow C Data Interface structs (`ArrowArray`/`ArrowSchema`) allocated
 * by the JVM with arrow-c-data. Errors arrive as the exceptions in `Exceptions.scala`.
 */
private[sparkrest] class NativeMethods {

  /**
   * Validates options (a JSON object of string values). Returns
   * `{"columns": [...], "redacted": {...}}`: the input columns the templates reference (in
   * first-use order) and the options with secret values replaced by `*****`.
   * Throws [[RestOptionException]] naming the option.
   */
  @native def analyzeOptions(optionsJson: String): String

  /**
   * Returns an engine handle. `resultSchemaAddr` is an exported `ArrowSchema` (struct typed)
   * of the parsed output fields when option `schema` is set, owned by native from then on;
   * 0 means raw mode (one Utf8 column `output`). Engines with equal options are shared.
   */
  @native def createEngine(optionsJson: String, resultSchemaAddr: Long): Long

  /**
   * Enriches one batch. The input (an exported struct array of the referenced columns) is
   * moved out and released by native before returning. Native fills the empty output structs
   * with a struct array `[output | schema fields..., _status: Int32, _error: Utf8]`, one row
   * per input row, in order, offset 0. Returns the batch metrics as JSON (see [[EnrichMetrics]]).
   */
  @native def enrich(
      handle: Long,
      inArrayAddr: Long,
      inSchemaAddr: Long,
      outArrayAddr: Long,
      outSchemaAddr: Long): String

  @native def releaseEngine(handle: Long): Unit

  /** Cumulative metrics of the engine, same JSON keys as `enrich`. */
  @native def engineMetrics(handle: Long): String

  /** Test support: imports the struct array and exports it back unchanged, at offset 0. */
  @native def echoBatch(
      inArrayAddr: Long,
      inSchemaAddr: Long,
      outArrayAddr: Long,
      outSchemaAddr: Long): Unit

  /** Test support: panics in native code with the message. */
  @native def panicForTest(message: String): Unit

  @native def version(): String
}
