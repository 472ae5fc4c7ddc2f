package io.sparkrest

import java.io.File
import java.nio.channels.{FileChannel, OverlappingFileLockException}
import java.nio.file.{Files, StandardCopyOption, StandardOpenOption}
import java.util.UUID

import scala.collection.mutable
import scala.util.control.NonFatal

import org.apache.spark.{SparkEnv, SparkFiles}
import org.slf4j.LoggerFactory

/**
 * Finds and loads `libspark_rest_native` (DESIGN section 4), in this order:
 *
 *  1. `spark.rest.nativeLibrary` (system property, else the executor's SparkConf) names the
 *     file: only that file is tried, so a wrong path is an error rather than a silent switch to
 *     another build of the library;
 *  1. `System.loadLibrary("spark_rest_native")` (`java.library.path`, e.g.
 *     `spark.executor.extraLibraryPath`);
 *  1. the resource `io/sparkrest/native/<os>/<arch>/<lib>` of our jar, extracted under a
 *     unique name into the Spark local dir (else `java.io.tmpdir`) beside a lock file held for
 *     the life of the JVM; copies whose lock is free belong to dead JVMs and are deleted.
 *
 * Nothing here throws: the result is an `Either` so that [[Native]] can remember a failure and
 * raise it on each use instead of breaking class initialisation.
 */
private[sparkrest] object NativeLoader {
  val LibraryName = "spark_rest_native"
  val ConfKey = "spark.rest.nativeLibrary"

  private val log = LoggerFactory.getLogger(getClass)
  private val ExtractSubdir = "spark-rest-native"

  /** The platform, named as in the resource path. */
  final case class Platform(os: String, arch: String) {
    def libraryFileName: String = System.mapLibraryName(LibraryName)
    def resourcePath: String = s"io/sparkrest/native/$os/$arch/$libraryFileName"
  }

  object Platform {
    def current: Platform =
      Platform(
        normalizeOs(System.getProperty("os.name", "")),
        normalizeArch(System.getProperty("os.arch", "")))

    private def normalizeOs(name: String): String = name.toLowerCase match {
      case n if n.startsWith("linux") => "linux"
      case n if n.startsWith("mac") || n.startsWith("darwin") => "darwin"
      case n if n.startsWith("windows") => "windows"
      case n => n.replaceAll("[^a-z0-9]+", "")
    }

    private def normalizeArch(name: String): String = name.toLowerCase match {
      case "amd64" | "x86_64" | "x64" => "x86_64"
      case "aarch64" | "arm64" => "aarch64"
      case n => n.replaceAll("[^a-z0-9_]+", "")
    }
  }

  /** Where the loader looks; explicit so that tests can drive it without a SparkEnv. */
  final case class Sources(
      configuredPath: Option[String],
      searchLibraryPath: Boolean,
      extractDirs: Seq[File],
      classLoader: ClassLoader)

  object Sources {
    def current: Sources =
      Sources(configuredPath(), searchLibraryPath = true, extractDirs(), getClass.getClassLoader)

    private def configuredPath(): Option[String] =
      Option(System.getProperty(ConfKey))
        .orElse(sparkEnv.flatMap(_.conf.getOption(ConfKey)))
        .map(_.trim)
        .filter(_.nonEmpty)

    // Spark's per-application dir first (removed with the application), then the configured
    // local dirs, then the temp dir.
    private def extractDirs(): Seq[File] = {
      val sparkFilesRoot = sparkEnv.flatMap(_ => attempt(SparkFiles.getRootDirectory()))
      // The precedence of Spark's Utils.getConfiguredLocalDirs (YARN's LOCAL_DIRS first).
      val localDirs = sys.env
        .get("LOCAL_DIRS")
        .orElse(sys.env.get("SPARK_LOCAL_DIRS"))
        .orElse(sparkEnv.flatMap(_.conf.getOption("spark.local.dir")))
        .toSeq
        .flatMap(_.split(","))
        .map(_.trim)
        .filter(_.nonEmpty)
      val tmp = Option(System.getProperty("java.io.tmpdir")).toSeq
      (sparkFilesRoot.toSeq ++ localDirs ++ tmp).map(p => new File(p).getAbsoluteFile).distinct
    }

    private def sparkEnv: Option[SparkEnv] = attempt(SparkEnv.get).flatMap(Option(_))

    private def attempt[T](f: => T): Option[T] =
      try Option(f)
      catch { case NonFatal(_) | _: LinkageError => None }
  }

  private final case class Attempt(what: String, error: String)

  /** Loads the library; Right says how, Left explains every attempt. */
  def load(
      sources: Sources,
      platform: Platform = Platform.current): Either[NativeException, String] = {
    val attempts = mutable.ArrayBuffer.empty[Attempt]

    def tryStep(what: String)(body: => Unit): Boolean =
      try {
        body
        true
      } catch {
        case e @ (NonFatal(_) | _: LinkageError) =>
          attempts += Attempt(what, describe(e))
          false
      }

    val loadedBy: Option[String] = sources.configuredPath match {
      case Some(path) =>
        val what = s"System.load($path) from $ConfKey"
        if (tryStep(what)(loadFile(new File(path)))) Some(what) else None
      case None =>
        val libraryPath = System.getProperty("java.library.path", "")
        val viaPath = s"System.loadLibrary($LibraryName) on java.library.path=$libraryPath"
        if (sources.searchLibraryPath && tryStep(viaPath)(System.loadLibrary(LibraryName)))
          Some(viaPath)
        else loadFromResource(sources, platform, tryStep)
    }

    loadedBy match {
      case Some(how) =>
        log.info(s"spark-rest native library loaded: $how")
        Right(how)
      case None => Left(failure(platform, attempts.toSeq))
    }
  }

  private def loadFromResource(
      sources: Sources,
      platform: Platform,
      tryStep: String => (=> Unit) => Boolean): Option[String] = {
    val what = s"resource ${platform.resourcePath}"
    if (sources.classLoader.getResource(platform.resourcePath) == null) {
      tryStep(what)(
        throw new IllegalStateException("not found on the classpath (not built into this jar)"))
      None
    } else {
      sources.extractDirs.iterator
        .map { dir =>
          var extracted: File = null
          val ok = tryStep(s"$what extracted into $dir") {
            extracted = extract(sources.classLoader, platform, dir)
            System.load(extracted.getPath)
          }
          if (ok) Some(s"$what extracted to $extracted") else None
        }
        .collectFirst { case Some(how) => how }
    }
  }

  private def loadFile(file: File): Unit = {
    if (!file.isFile) throw new IllegalArgumentException("no such file")
    System.load(file.getAbsolutePath)
  }

  // Locks of our own extracted copies; kept reachable so they are held until the JVM exits.
  private val heldLocks = mutable.ArrayBuffer.empty[FileChannel]

  /**
   * Copies the library resource into `<dir>/spark-rest-native/` under a fresh name and returns
   * the file. The lock file is locked before the library is written, so another JVM's cleanup
   * never deletes a copy that is being written or used.
   */
  private[sparkrest] def extract(classLoader: ClassLoader, platform: Platform, dir: File): File = {
    val root = new File(dir, ExtractSubdir)
    Files.createDirectories(root.toPath)
    deleteStaleCopies(root, platform)
    val base = platform.libraryFileName
    val stem = base.substring(0, base.lastIndexOf('.'))
    val suffix = base.substring(base.lastIndexOf('.'))
    val lib = new File(root, s"$stem-${UUID.randomUUID()}$suffix")
    lockFor(lib)
    val in = classLoader.getResourceAsStream(platform.resourcePath)
    if (in == null)
      throw new IllegalStateException(s"resource ${platform.resourcePath} disappeared")
    try {
      val tmp = new File(root, lib.getName + ".tmp")
      Files.copy(in, tmp.toPath, StandardCopyOption.REPLACE_EXISTING)
      Files.move(tmp.toPath, lib.toPath, StandardCopyOption.ATOMIC_MOVE)
    } finally in.close()
    lib
  }

  private def lockFileOf(lib: File): File = new File(lib.getPath + ".lock")

  private def lockFor(lib: File): Unit = heldLocks.synchronized {
    val channel = FileChannel.open(
      lockFileOf(lib).toPath,
      StandardOpenOption.CREATE_NEW,
      StandardOpenOption.WRITE)
    channel.lock()
    heldLocks += channel
  }

  /**
   * Deletes copies whose lock file is not locked (the JVM that wrote them is gone), and
   * leftovers without a lock file. A lock held by this JVM counts as live.
   */
  private[sparkrest] def deleteStaleCopies(root: File, platform: Platform): Unit = {
    val base = platform.libraryFileName
    val stem = base.substring(0, base.lastIndexOf('.'))
    val ours =
      Option(root.listFiles()).map(_.toSeq).getOrElse(Nil).filter(_.getName.startsWith(stem + "-"))
    val (locks, others) = ours.partition(_.getName.endsWith(".lock"))
    locks.foreach { lock =>
      try {
        if (lockIsFree(lock)) {
          val lib = new File(root, lock.getName.stripSuffix(".lock"))
          Files.deleteIfExists(lib.toPath)
          Files.deleteIfExists(new File(lib.getPath + ".tmp").toPath)
          Files.deleteIfExists(lock.toPath)
          log.info(s"deleted stale copy of the spark-rest native library: $lib")
        }
      } catch {
        case NonFatal(e) => log.debug(s"could not clean $lock: $e")
      }
    }
    // A library (or partial .tmp) whose lock file is gone lost a cleanup race: nobody owns it.
    val orphans =
      others.filterNot(f => lockFileOf(new File(f.getPath.stripSuffix(".tmp"))).exists())
    orphans.foreach { f =>
      try Files.deleteIfExists(f.toPath)
      catch { case NonFatal(e) => log.debug(s"could not clean $f: $e") }
    }
  }

  private def lockIsFree(lockFile: File): Boolean = {
    val channel = FileChannel.open(lockFile.toPath, StandardOpenOption.WRITE)
    try {
      val lock =
        try channel.tryLock()
        catch { case _: OverlappingFileLockException => null } // held by this JVM
      if (lock == null) false
      else {
        lock.release()
        true
      }
    } finally channel.close()
  }

  private def describe(e: Throwable): String = {
    val msg = Option(e.getMessage).getOrElse("")
    s"${e.getClass.getSimpleName}${if (msg.isEmpty) "" else ": " + msg}"
  }

  private def failure(platform: Platform, attempts: Seq[Attempt]): NativeException = {
    val tried = attempts.zipWithIndex
      .map { case (a, i) => s"  ${i + 1}. ${a.what}: ${a.error}" }
      .mkString("\n")
    new NativeException(
      s"spark-rest could not load its native library ${platform.libraryFileName} for " +
        s"os=${platform.os} arch=${platform.arch}. Tried:\n$tried\n" +
        s"Set $ConfKey to the path of a ${platform.libraryFileName} built for " +
        s"${platform.os}-${platform.arch}, put it on java.library.path, or use a spark-rest.jar " +
        s"that embeds ${platform.resourcePath}.")
  }
}
