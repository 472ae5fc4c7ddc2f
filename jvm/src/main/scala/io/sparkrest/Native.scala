package io.sparkrest

import scala.util.control.NonFatal

import org.slf4j.LoggerFactory

/**
 * The process-wide handle on the native library. Loading happens on first use and its outcome
 * is remembered: a failure is rethrown (as a fresh [[NativeException]] carrying the full
 * explanation) on every use, never turned into an ExceptionInInitializerError.
 */
private[sparkrest] object Native {
  private val log = LoggerFactory.getLogger(getClass)

  private lazy val loaded: Either[NativeException, NativeMethods] =
    try {
      NativeLoader.load(NativeLoader.Sources.current).map { _ =>
        val methods = new NativeMethods
        checkVersion(methods)
        NativeLog.start(methods)
        methods
      }
    } catch {
      case e @ (NonFatal(_) | _: LinkageError) =>
        Left(new NativeException(s"spark-rest could not initialise its native library: $e", e))
    }

  /** The loaded native methods; throws [[NativeException]] explaining why loading failed. */
  def methods: NativeMethods = loaded match {
    case Right(m) => m
    case Left(e) => throw new NativeException(e.getMessage, e)
  }

  // A jar and a library from different builds would disagree on the JNI contract silently.
  private def checkVersion(methods: NativeMethods): Unit = {
    val jarVersion =
      Option(classOf[NativeMethods].getPackage).flatMap(p => Option(p.getImplementationVersion))
    val nativeVersion = methods.version()
    jarVersion.filter(v => !nativeVersion.contains(v)).foreach { v =>
      log.warn(s"spark-rest jar version $v but native library version $nativeVersion")
    }
  }
}
