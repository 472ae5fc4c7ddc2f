package io.sparkrest.source

import java.io.{BufferedReader, File, InputStreamReader}
import java.net.{HttpURLConnection, URI}
import java.nio.charset.StandardCharsets
import java.util.concurrent.TimeUnit

/**
 * The project's mock API server (`target/release/mock-api`, path from the system property
 * `spark.rest.test.mockApi` set by build.gradle) on 127.0.0.1, for the suites of the `rest`
 * source: pagination styles and the event feed. Stopped by `close`.
 */
final class MockApiProcess(flags: String*) extends AutoCloseable {
  private val binary = new File(
    sys.props.getOrElse("spark.rest.test.mockApi", "../target/release/mock-api"))
  require(
    binary.canExecute,
    s"mock-api binary not found at $binary: cargo build --release -p mock-api")

  private val process =
    new ProcessBuilder((Seq(binary.getPath, "--port", "0") ++ flags): _*)
      .redirectError(ProcessBuilder.Redirect.INHERIT)
      .start()

  val port: Int = {
    val reader = new BufferedReader(
      new InputStreamReader(process.getInputStream, StandardCharsets.UTF_8))
    val line = Option(reader.readLine()).getOrElse("")
    if (!line.startsWith("LISTENING ")) {
      process.destroyForcibly()
      throw new IllegalStateException(s"mock-api did not start: '$line'")
    }
    line.stripPrefix("LISTENING ").trim.toInt
  }

  val url: String = s"http://127.0.0.1:$port"

  /** GET `path` and return the body (the server answers on loopback only). */
  def get(path: String): String = {
    val connection = URI.create(url + path).toURL.openConnection().asInstanceOf[HttpURLConnection]
    try new String(connection.getInputStream.readAllBytes(), StandardCharsets.UTF_8)
    finally connection.disconnect()
  }

  override def close(): Unit = {
    process.destroy()
    if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
  }
}
