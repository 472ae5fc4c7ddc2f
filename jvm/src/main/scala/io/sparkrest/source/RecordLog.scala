package io.sparkrest.source

import java.io.{ByteArrayOutputStream, IOException, ObjectInputStream, ObjectOutputStream}
import java.util.UUID

import scala.util.control.NonFatal

import org.apache.hadoop.conf.Configuration
import org.apache.hadoop.fs.Path
import org.slf4j.LoggerFactory

/**
 * The stream's record log (DESIGN section 6): one file per planned micro-batch,
 * `<checkpointLocation>/restlog/<seq>`, holding each record's JSON on its own line. Written
 * by the driver before the batch's end offset is returned, through Hadoop's FileSystem API
 * (any scheme: file, hdfs, s3a), atomically: a temporary file renamed into place, as Spark's
 * CheckpointFileManager does, so a reader never sees half a batch.
 */
private[sparkrest] final class RecordLog(dir: Path, conf: Configuration) {
  import RecordLog._

  /** Writes the log of batch `seq` (replacing one a crashed run left behind); its size. */
  def write(seq: Long, lines: String): Long = {
    val fs = dir.getFileSystem(conf)
    fs.mkdirs(dir)
    val bytes = lines.getBytes("UTF-8")
    val tmp = new Path(dir, s".$seq.${UUID.randomUUID()}.tmp")
    val out = fs.create(tmp, true)
    try out.write(bytes)
    finally out.close()
    val target = path(dir, seq)
    if (fs.exists(target)) fs.delete(target, false)
    if (!fs.rename(tmp, target)) {
      fs.delete(tmp, false)
      throw new IOException(s"spark-rest: could not rename the record log $tmp to $target")
    }
    bytes.length.toLong
  }

  /** Deletes the logs of batches up to `seq` (committed) and leftover temporary files. */
  def deleteUpTo(seq: Long): Unit =
    try {
      val fs = dir.getFileSystem(conf)
      if (fs.exists(dir)) {
        fs.listStatus(dir).foreach { status =>
          val name = status.getPath.getName
          val done = scala.util.Try(name.toLong).toOption.exists(_ <= seq) || name.endsWith(".tmp")
          if (done) fs.delete(status.getPath, false)
        }
      }
    } catch {
      case NonFatal(e) => log.warn(s"spark-rest: could not delete committed record logs: $e")
    }
}

private[sparkrest] object RecordLog {
  private val log = LoggerFactory.getLogger(classOf[RecordLog])

  def path(dir: Path, seq: Long): Path = new Path(dir, seq.toString)

  /** Reads one log (executor side). */
  def read(file: String, conf: Configuration): (String, Long) = {
    val path = new Path(file)
    val fs = path.getFileSystem(conf)
    val in = fs.open(path)
    try {
      val out = new ByteArrayOutputStream()
      val buffer = new Array[Byte](1 << 16)
      var n = in.read(buffer)
      while (n >= 0) {
        out.write(buffer, 0, n)
        n = in.read(buffer)
      }
      (out.toString("UTF-8"), out.size().toLong)
    } finally in.close()
  }
}

/** A Hadoop Configuration that travels to executors (Configuration is Writable only). */
private[sparkrest] final class HadoopConf(@transient var value: Configuration)
    extends Serializable {
  private def writeObject(out: ObjectOutputStream): Unit = {
    out.defaultWriteObject()
    value.write(out)
  }

  private def readObject(in: ObjectInputStream): Unit = {
    in.defaultReadObject()
    value = new Configuration(false)
    value.readFields(in)
  }
}
