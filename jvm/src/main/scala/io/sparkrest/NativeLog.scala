package io.sparkrest

import java.util.concurrent.atomic.AtomicBoolean

import scala.util.control.NonFatal

import com.fasterxml.jackson.databind.ObjectMapper
import org.slf4j.{Logger, LoggerFactory}

/**
 * Moves the native engine's log lines into SLF4J (so log4j's configuration and
 * `sc.setLogLevel` apply) under `io.sparkrest.native.<engine|jni>.<module>`. Native code only
 * queues formatted lines; this JVM daemon thread drains the queue through JNI, so no Tokio
 * thread ever calls into the JVM. Each drain also tells native the most verbose level SLF4J
 * enables, so disabled lines are not even formatted (unless `spark.rest.logLevel` overrides).
 */
private[sparkrest] object NativeLog {
  val Root = "io.sparkrest.native"
  private val WaitMillis = 500
  private val started = new AtomicBoolean(false)
  private val mapper = new ObjectMapper()
  private val roots = Seq(Root, s"$Root.engine", s"$Root.jni").map(LoggerFactory.getLogger)

  /** Starts the drain thread once per JVM. */
  def start(methods: NativeMethods): Unit =
    if (started.compareAndSet(false, true)) {
      val thread = new Thread(() => loop(methods), "spark-rest-native-log")
      thread.setDaemon(true)
      thread.start()
    }

  /** The most verbose level SLF4J enables for the native loggers (0 off .. 5 trace). */
  def jvmLevel: Int = roots.map(levelOf).max

  private def levelOf(l: Logger): Int =
    if (l.isTraceEnabled) 5
    else if (l.isDebugEnabled) 4
    else if (l.isInfoEnabled) 3
    else if (l.isWarnEnabled) 2
    else if (l.isErrorEnabled) 1
    else 0

  private def loop(methods: NativeMethods): Unit =
    while (true) {
      try {
        val json = methods.drainLogs(jvmLevel, WaitMillis)
        if (json != null) mapper.readTree(json).elements().forEachRemaining { line =>
          log(line.get("level").asText(), line.get("logger").asText(), line.get("message").asText())
        }
      } catch {
        case NonFatal(e) =>
          LoggerFactory.getLogger(Root).warn(s"spark-rest could not read native log lines: $e")
          Thread.sleep(WaitMillis.toLong)
      }
    }

  private def log(level: String, name: String, message: String): Unit = {
    val logger = LoggerFactory.getLogger(name)
    level match {
      case "ERROR" => logger.error(message)
      case "WARN" => logger.warn(message)
      case "INFO" => logger.info(message)
      case "DEBUG" => logger.debug(message)
      case _ => logger.trace(message)
    }
  }
}
