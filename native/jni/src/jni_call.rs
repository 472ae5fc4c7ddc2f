//! What every JNI export shares, written once: its body runs with the JNI
//! env so that errors and panics become Java exceptions
//! ([`ThrowJavaException`]); the objects the JVM holds are handles (a boxed
//! value's address) looked up per call and freed once; strings and JSON
//! replies cross as Java strings.

use jni::objects::{JObject, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use serde::Serialize;

use crate::errors::{BridgeError, BridgeResult, ThrowJavaException};

/// Runs the body of an export. An error or a panic throws the matching Java
/// exception and the export returns `T::default()`, which Java never sees.
pub(crate) fn jni_call<'local, T: Default>(
    mut unowned: EnvUnowned<'local>,
    body: impl FnOnce(&mut Env<'local>) -> BridgeResult<T>,
) -> T {
    unowned.with_env(body).resolve::<ThrowJavaException>()
}

/// Runs the body of an export on the object behind `handle` (`what` names
/// the kind of handle in the error when it is 0).
pub(crate) fn with_handle<'local, H, T: Default>(
    unowned: EnvUnowned<'local>,
    handle: jlong,
    what: &str,
    body: impl FnOnce(&mut Env<'local>, &H) -> BridgeResult<T>,
) -> T {
    jni_call(unowned, |env| body(env, handle_ref(handle, what)?))
}

/// A new handle owning `value`, for the JVM to hold until it releases it.
pub(crate) fn into_handle<H>(value: H) -> jlong {
    Box::into_raw(Box::new(value)) as jlong
}

/// The object behind a handle from [`into_handle`].
pub(crate) fn handle_ref<'a, H>(handle: jlong, what: &str) -> BridgeResult<&'a H> {
    if handle == 0 {
        return Err(BridgeError::internal(format!(
            "{what} handle is 0 (released or never created)"
        )));
    }
    // SAFETY: non-zero handles come from into_handle::<H> (createEngine,
    // createSource, openStream) and stay valid until the matching release,
    // which the JVM calls once, last.
    Ok(unsafe { &*(handle as *const H) })
}

/// The body of a release export: frees the object behind `handle` (0 is
/// nothing to free).
///
/// # Safety
/// `handle` is 0 or came from [`into_handle`] with the same `H`, and is
/// released once, after its last use.
pub(crate) unsafe fn release_handle<H>(unowned: EnvUnowned<'_>, handle: jlong) {
    jni_call(unowned, |_env| {
        if handle != 0 {
            // SAFETY: the caller's contract above.
            drop(unsafe { Box::from_raw(handle as *mut H) });
        }
        Ok(())
    })
}

pub(crate) fn rust_string(env: &Env<'_>, s: &JString<'_>) -> BridgeResult<String> {
    Ok(s.try_to_string(env)?)
}

pub(crate) fn java_string<'local>(env: &mut Env<'local>, s: &str) -> BridgeResult<JObject<'local>> {
    Ok(JObject::from(JString::new(env, s)?))
}

/// `value` as a JSON Java string (metrics, plans, analyses).
pub(crate) fn json_reply<'local>(
    env: &mut Env<'local>,
    value: &impl Serialize,
) -> BridgeResult<JObject<'local>> {
    let json = serde_json::to_string(value).map_err(|e| BridgeError::internal(e.to_string()))?;
    java_string(env, &json)
}
