package io.sparkrest

import java.net.InetSocketAddress
import java.nio.charset.StandardCharsets
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicLong

import com.sun.net.httpserver.{HttpExchange, HttpServer}

/**
 * A real HTTP server on 127.0.0.1 for the Spark-level tests (the project's mock API server is
 * for the end-to-end suites). `GET /<anything>/customers/<id>` answers
 * `{"id":<id>,"score":<2*id>,"tier":"gold"}`, except ids ending in 7, which get a 404.
 */
final class TestHttpServer extends AutoCloseable {
  private val server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0)
  private val pool = Executors.newFixedThreadPool(8)
  val requests = new AtomicLong()

  server.createContext("/", (exchange: HttpExchange) => handle(exchange))
  server.setExecutor(pool)
  server.start()

  def baseUrl: String = s"http://127.0.0.1:${server.getAddress.getPort}"

  private def handle(exchange: HttpExchange): Unit = {
    requests.incrementAndGet()
    val id = exchange.getRequestURI.getPath.split('/').last
    val (status, body) = id.toLongOption match {
      case Some(n) if n % 10 == 7 => (404, s"""{"error":"customer $n not found"}""")
      case Some(n) => (200, s"""{"id":$n,"score":${2 * n},"tier":"gold"}""")
      case None => (400, s"""{"error":"bad id $id"}""")
    }
    val bytes = body.getBytes(StandardCharsets.UTF_8)
    exchange.getResponseHeaders.set("Content-Type", "application/json")
    exchange.sendResponseHeaders(status, bytes.length.toLong)
    exchange.getResponseBody.write(bytes)
    exchange.close()
  }

  override def close(): Unit = {
    server.stop(0)
    pool.shutdownNow()
  }
}
