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

  // --- A task's continuous flow (see EnrichIterator) ---------------------------------------

  /** Opens a task's stream on an engine handle; close it with [[closeStream]]. */
  @native def openStream(engineHandle: Long): Long

  /**
   * Plans the exported input batch's requests and starts sending them; returns at once. The
   * input structs are moved out and released by native before returning.
   */
  @native def submitBatch(stream: Long, inArrayAddr: Long, inSchemaAddr: Long): Unit

  /**
   * The oldest submitted batch's result (as `enrich` returns it) once all its requests are
   * done: fills the out structs and returns the metrics JSON. Returns null, leaving the out
   * structs empty, when nothing finished within `waitMillis` (or nothing is queued).
   */
  @native def takeBatch(
      stream: Long,
      waitMillis: Long,
      outArrayAddr: Long,
      outSchemaAddr: Long): String

  /** Aborts every request of the stream at once; safe from any thread. */
  @native def cancelStream(stream: Long): Unit

  /** Frees the stream (cancelling what is still in flight). */
  @native def closeStream(stream: Long): Unit

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

  /**
   * Sets up the engine's logger (`tracing` to stderr) at `level` (off, error, warn, info,
   * debug, trace). The first call in a process wins; later calls do nothing. Called before the
   * first engine of the JVM is created.
   */
  @native def initLogging(level: String): Unit

  /**
   * The options JSON object with every known name in the README's spelling (option names are
   * case-insensitive). Throws [[RestOptionException]] when one option is given twice.
   */
  @native def canonicalOptions(optionsJson: String): String

  /**
   * For the `spark-rest-native-log` thread only: records `jvmLevel` (0 off, 1 error .. 5 trace,
   * what SLF4J enables) and returns the queued native log lines as a JSON array of
   * `{level, logger, message}`, waiting up to `timeoutMillis` for the first; null when none.
   */
  @native def drainLogs(jvmLevel: Int, timeoutMillis: Int): String

  // --- The `rest` data source without input rows (pagination and streaming) ---------------

  /**
   * A source: the same options JSON as `createEngine` (the url has no `{column}` placeholders
   * except `{offset}` / `{<offsetField>}` when streaming). `resultSchemaAddr` is an exported
   * struct `ArrowSchema` of the `schema` fields, or 0 for one Utf8 column `output` (each
   * record's JSON). Throws [[RestOptionException]] for bad options. Returns a handle.
   */
  @native def createSource(optionsJson: String, resultSchemaAddr: Long): Long

  @native def releaseSource(handle: Long): Unit

  /**
   * Driver: reads the first page to learn the totals and returns a JSON array of at most
   * `maxPartitions` partition states (opaque JSON objects, passed back verbatim); one element
   * means read sequentially. Throws [[RestRequestException]] when the first page fails.
   */
  @native def planPages(handle: Long, maxPartitions: Int): String

  /**
   * Executor: reads one page from `stateJson` (an element of `planPages`, or a previous
   * call's `next`) and exports its records into the empty out structs (a struct array of the
   * schema fields or `output`, offset 0). Returns
   * `{"next": <state or null when done>, "records": n, "metrics": {...}}`.
   * Throws [[RestRequestException]] when the page fails after retries.
   */
  @native def fetchPage(
      handle: Long,
      stateJson: String,
      outArrayAddr: Long,
      outSchemaAddr: Long): String

  /**
   * Streaming: polls from `offset`, taking at most `limit` records (the first ones in API
   * order). With `outArrayAddr == 0` nothing is exported (the driver only wants the next
   * offset). Returns `{"next_offset": "<text>" or null when it does not move, "records": n,
   * "metrics": {...}}`. Throws [[RestRequestException]] when the poll fails after retries.
   */
  @native def poll(
      handle: Long,
      offset: String,
      limit: Long,
      outArrayAddr: Long,
      outSchemaAddr: Long): String

  /** Cumulative metrics of a source handle, same keys as `enrich`. */
  @native def sourceMetrics(handle: Long): String

  // --- The streaming record log (DESIGN section 6) ----------------------------------------

  /**
   * Driver: polls from `offsetJson` (`{"value": ..., "skip": n, "mode": "first"|"equal"}`),
   * keeping at most `limit` records. Returns one header line
   * `{"next": <offset object or null when it does not move>, "records": n, "truncated": bool,
   * "metrics": {...}}`, then each record's JSON on its own line (the record log's content).
   * `first` marks a poll before the stream delivered any record: a misconfigured offsetField
   * fails it.
   */
  @native def pollLog(handle: Long, offsetJson: String, limit: Long, first: Boolean): String

  /** Executor: decodes a record log (one record's JSON per line) into the out structs. */
  @native def decodeLog(
      handle: Long,
      lines: String,
      outArrayAddr: Long,
      outSchemaAddr: Long): String
}
