//! Every JNI export runs its body through [`ThrowJavaException`]: a Rust error
//! or a panic becomes a Java exception of the project's class for that kind
//! of failure, with the message (and its cause chain). Nothing unwinds into
//! the JVM and nothing is thrown while another exception is pending.

use std::any::Any;

use jni::errors::ErrorPolicy;
use jni::strings::JNIString;
use jni::Env;
use spark_rest_engine::EngineError;

/// The Java exception class a failure maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bad option name or value: `io.sparkrest.RestOptionException`.
    Option,
    /// `onError=fail` and a row failed: `io.sparkrest.RestRequestException`.
    Request,
    /// Anything else: `io.sparkrest.NativeException`.
    Internal,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Option => "io/sparkrest/RestOptionException",
            Kind::Request => "io/sparkrest/RestRequestException",
            Kind::Internal => "io/sparkrest/NativeException",
        }
    }
}

const PANIC_CLASS: &str = "io/sparkrest/NativePanicException";

/// The error of a JNI body.
#[derive(Debug)]
pub struct BridgeError {
    pub kind: Kind,
    pub message: String,
}

impl BridgeError {
    pub fn internal(message: impl Into<String>) -> BridgeError {
        BridgeError {
            kind: Kind::Internal,
            message: message.into(),
        }
    }
}

impl From<EngineError> for BridgeError {
    fn from(e: EngineError) -> Self {
        let kind = match e {
            EngineError::InvalidOption(_) => Kind::Option,
            EngineError::RequestFailed(_) => Kind::Request,
            _ => Kind::Internal,
        };
        BridgeError {
            kind,
            message: e.to_string(),
        }
    }
}

impl From<jni::errors::Error> for BridgeError {
    fn from(e: jni::errors::Error) -> Self {
        BridgeError::internal(format!("JNI: {e}"))
    }
}

impl From<arrow::error::ArrowError> for BridgeError {
    fn from(e: arrow::error::ArrowError) -> Self {
        BridgeError::internal(format!("arrow: {e}"))
    }
}

pub type BridgeResult<T> = Result<T, BridgeError>;

/// The text of a panic payload (`panic!` gives `&str` or `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "native code panicked (no message)".to_string()
    }
}

/// Throws `class` with `message`, falling back to RuntimeException if the
/// class cannot be found (then the lookup's error is cleared first).
fn throw(env: &mut Env<'_>, class: &str, message: &str) {
    if env.exception_check() {
        return; // a pending exception wins; never throw over it
    }
    // Look the class up first: a failed lookup leaves its own exception
    // pending, which is cleared so the message still reaches Java.
    let class = match env.find_class(JNIString::new(class)) {
        Ok(_) => class,
        Err(_) => {
            env.exception_clear();
            "java/lang/RuntimeException"
        }
    };
    // jni 0.22 reports a successful throw as Err(JavaException): the
    // exception is now pending, which is what we want.
    let _ = env.throw_new(JNIString::new(class), JNIString::new(message));
}

/// Error policy for every export: errors and panics become exceptions and
/// the method returns its default value (which Java never sees).
pub struct ThrowJavaException;

impl<T: Default> ErrorPolicy<T, BridgeError> for ThrowJavaException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        err: BridgeError,
    ) -> jni::errors::Result<T> {
        throw(env, err.kind.class(), &err.message);
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _cap: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let message = format!(
            "spark-rest native code panicked: {}",
            panic_message(payload.as_ref())
        );
        tracing::error!("{message}");
        throw(env, PANIC_CLASS, &message);
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_of_both_payload_kinds() {
        let owned: Box<dyn Any + Send> = Box::new(String::from("owned boom"));
        let literal: Box<dyn Any + Send> = Box::new("literal boom");
        assert_eq!(panic_message(owned.as_ref()), "owned boom");
        assert_eq!(panic_message(literal.as_ref()), "literal boom");
    }

    #[test]
    fn engine_errors_map_to_exception_kinds() {
        let e: BridgeError = EngineError::InvalidOption("option 'x'".into()).into();
        assert_eq!(e.kind, Kind::Option);
        let e: BridgeError = EngineError::RequestFailed("row 1".into()).into();
        assert_eq!(e.kind, Kind::Request);
        let e: BridgeError = EngineError::Internal("bug".into()).into();
        assert_eq!(e.kind, Kind::Internal);
    }
}
