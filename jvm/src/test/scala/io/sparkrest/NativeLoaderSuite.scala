package io.sparkrest

import java.io.File
import java.net.URLClassLoader
import java.nio.file.Files

import org.scalatest.funsuite.AnyFunSuite
import org.scalatest.matchers.should.Matchers

/** The loader's decisions and messages; the library under test is the real one. */
class NativeLoaderSuite extends AnyFunSuite with Matchers {

  private val platform = NativeLoader.Platform.current
  private def realLibrary: File = {
    val path = System.getProperty(NativeLoader.ConfKey)
    assert(path != null, s"the build passes -D${NativeLoader.ConfKey}")
    new File(path)
  }

  private def sources(
      configured: Option[String],
      dirs: Seq[File] = Nil,
      loader: ClassLoader = getClass.getClassLoader) =
    NativeLoader.Sources(configured, searchLibraryPath = false, dirs, loader)

  test("the platform is named like the resource directories") {
    platform.os shouldBe "linux"
    platform.arch shouldBe "x86_64"
    platform.resourcePath shouldBe "io/sparkrest/native/linux/x86_64/libspark_rest_native.so"
  }

  test("loading by explicit path works") {
    val result = NativeLoader.load(sources(Some(realLibrary.getPath)))
    result.isRight shouldBe true
    result.toOption.get should include(realLibrary.getPath)
    new NativeMethods().version() should not be empty
  }

  test("a nonexistent path names os, arch and every attempt") {
    val missing = "/nonexistent/dir/libspark_rest_native.so"
    val error = NativeLoader.load(sources(Some(missing))).left.toOption.get
    error shouldBe a[NativeException]
    val message = error.getMessage
    message should include("os=linux")
    message should include("arch=x86_64")
    message should include(missing)
    message should include(NativeLoader.ConfKey)
    message should include("no such file")
  }

  test("without a library anywhere, the message lists the resource that is missing") {
    val empty = new URLClassLoader(Array.empty, null)
    val message =
      NativeLoader.load(sources(None, Seq(tempDir()), empty)).left.toOption.get.getMessage
    message should include(platform.resourcePath)
    message should include("not found on the classpath")
  }

  test("extraction writes a unique copy beside a held lock and cleans copies of dead JVMs") {
    val dir = tempDir()
    val root = new File(dir, "spark-rest-native")
    root.mkdirs()
    // A copy left by a JVM that died: its lock file exists but nobody holds it.
    val dead = new File(root, "libspark_rest_native-dead.so")
    Files.write(dead.toPath, Array[Byte](1, 2, 3))
    Files.write(new File(root, "libspark_rest_native-dead.so.lock").toPath, Array.emptyByteArray)
    // A copy without a lock file lost a cleanup race and belongs to nobody either.
    val orphan = new File(root, "libspark_rest_native-orphan.so")
    Files.write(orphan.toPath, Array[Byte](4))

    val loader = classLoaderWithLibrary()
    val first = NativeLoader.extract(loader, platform, dir)
    dead.exists() shouldBe false
    new File(dead.getPath + ".lock").exists() shouldBe false
    orphan.exists() shouldBe false
    first.getParentFile shouldBe root
    Files.readAllBytes(first.toPath) shouldBe Files.readAllBytes(realLibrary.toPath)
    new File(first.getPath + ".lock").exists() shouldBe true

    // This JVM still holds the first copy's lock: a second extraction keeps it.
    val second = NativeLoader.extract(loader, platform, dir)
    second should not be first
    first.exists() shouldBe true
    second.exists() shouldBe true
  }

  private def classLoaderWithLibrary(): ClassLoader = {
    val dir = tempDir()
    val target = new File(dir, platform.resourcePath)
    target.getParentFile.mkdirs()
    Files.copy(realLibrary.toPath, target.toPath)
    new URLClassLoader(Array(dir.toURI.toURL), null)
  }

  private def tempDir(): File = {
    val dir = Files.createTempDirectory("spark-rest-loader-test").toFile
    dir.deleteOnExit()
    dir
  }
}
