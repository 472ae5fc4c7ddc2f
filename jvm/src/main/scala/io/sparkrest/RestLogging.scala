package io.sparkrest

import java.util.concurrent.atomic.AtomicBoolean

import org.slf4j.LoggerFactory

/**
 * The native engine's log level. The engine's lines go to SLF4J under `io.sparkrest.native`
 * ([[NativeLog]]), so by default the JVM's logging configuration (log4j2, `setLogLevel`)
 * decides. The Spark conf `spark.rest.logLevel` overrides it: the engine logs at that level
 * and the `io.sparkrest.native` loggers are set to it (log4j2). Set up once per JVM, before
 * the first engine, so the first level seen in a JVM wins.
 */
private[sparkrest] object RestLogging {
  val LevelConf = "spark.rest.logLevel"
  /** Unset: the JVM's logging configuration decides. */
  val Default = ""
  val Levels: Seq[String] = Seq("off", "error", "warn", "info", "debug", "trace")

  private val log = LoggerFactory.getLogger(getClass)
  private val initialized = new AtomicBoolean(false)

  /** The level in lower case ("" when unset); throws [[RestOptionException]] if unknown. */
  def checkLevel(level: String): String = {
    val normalized = Option(level).map(_.trim.toLowerCase).getOrElse("")
    if (normalized.nonEmpty && !Levels.contains(normalized)) {
      throw new RestOptionException(
        s"invalid value '$level' for Spark conf '$LevelConf': allowed is one of " +
          Levels.mkString(", "))
    }
    normalized
  }

  /** Sets up the native logger at `level` unless this JVM already did. */
  def ensureInitialized(level: String): Unit =
    if (initialized.compareAndSet(false, true)) {
      val checked = checkLevel(level)
      if (checked.nonEmpty) setLog4jLevel(NativeLog.Root, checked)
      try Native.methods.initLogging(checked)
      catch {
        case e: UnsatisfiedLinkError =>
          // An older native library: it logs at its default level.
          log.warn(s"spark-rest native library has no initLogging; $LevelConf is ignored: $e")
      }
    }

  // The override must also pass log4j's own filter: set the level of the native loggers where
  // log4j2 is the SLF4J backend (Spark's default); elsewhere the backend's configuration rules.
  private def setLog4jLevel(logger: String, level: String): Unit =
    try {
      val levelClass = Class.forName("org.apache.logging.log4j.Level")
      val log4jLevel = levelClass.getMethod("toLevel", classOf[String]).invoke(null, level)
      Class
        .forName("org.apache.logging.log4j.core.config.Configurator")
        .getMethod("setLevel", classOf[String], levelClass)
        .invoke(null, logger, log4jLevel)
    } catch {
      case _: ClassNotFoundException | _: NoSuchMethodException => ()
    }
}
