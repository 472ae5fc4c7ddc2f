package io.sparkrest

import java.util.concurrent.atomic.AtomicBoolean

import org.slf4j.LoggerFactory

/**
 * The native engine's log level, from the Spark conf `spark.rest.logLevel` (default `info`).
 * The engine logs through `tracing` to the JVM's stderr (the executor log); its logger is set
 * up once per JVM, before the first engine, so the first level seen in a JVM wins.
 */
private[sparkrest] object RestLogging {
  val LevelConf = "spark.rest.logLevel"
  val Default = "info"
  val Levels: Seq[String] = Seq("off", "error", "warn", "info", "debug", "trace")

  private val log = LoggerFactory.getLogger(getClass)
  private val initialized = new AtomicBoolean(false)

  /** The level in lower case; throws [[RestOptionException]] for an unknown level. */
  def checkLevel(level: String): String = {
    val normalized = Option(level).map(_.trim.toLowerCase).getOrElse("")
    if (!Levels.contains(normalized)) {
      throw new RestOptionException(
        s"invalid value '$level' for Spark conf '$LevelConf': allowed is one of " +
          Levels.mkString(", "))
    }
    normalized
  }

  /** Sets up the native logger at `level` unless this JVM already did. */
  def ensureInitialized(level: String): Unit =
    if (initialized.compareAndSet(false, true)) {
      try Native.methods.initLogging(checkLevel(level))
      catch {
        case e: UnsatisfiedLinkError =>
          // An older native library: it logs at its default level.
          log.warn(s"spark-rest native library has no initLogging; $LevelConf is ignored: $e")
      }
    }
}
