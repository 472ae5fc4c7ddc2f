package io.sparkrest

// The native library throws these by class name through JNI, using the (String) constructor:
// renaming a class or removing that constructor breaks the native side.

/** An option name or value is invalid; the message names the option, value and what is allowed. */
class RestOptionException(message: String) extends IllegalArgumentException(message)

/** An internal error of the native engine, or a failure to load the native library. */
class NativeException(message: String, cause: Throwable) extends RuntimeException(message, cause) {
  def this(message: String) = this(message, null)
}

/** Native code panicked; the message is the panic message. The JVM is unaffected. */
class NativePanicException(message: String) extends NativeException(message)

/** A row failed and `onError=fail`; the message names the row's request and the reason. */
class RestRequestException(message: String) extends NativeException(message)
