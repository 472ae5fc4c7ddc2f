//! JNI exports of `io.sparkrest.NativeMethods` that serve the JVM side
//! itself: option names in the README's spelling, and the native log lines.
//! Same rules as `native_methods.rs`: thin bodies, errors become exceptions.

use std::collections::BTreeMap;
use std::time::Duration;

use jni::objects::{JObject, JString};
use jni::sys::jint;
use jni::EnvUnowned;
use spark_rest_engine::flow::registry;

use crate::jni_call::{java_string, jni_call, json_reply, rust_string};

/// The options JSON object with every known name in the README's spelling
/// (`datafield` -> `dataField`); fails when one option is given twice.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_canonicalOptions<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
) -> JObject<'local> {
    jni_call(unowned, |env| {
        let canonical: BTreeMap<String, String> =
            registry::parse_options_json(&rust_string(env, &options_json)?)?;
        json_reply(env, &canonical)
    })
}

/// Called in a loop by the JVM's `spark-rest-native-log` daemon thread:
/// records the level SLF4J enables (0 off .. 5 trace), then returns the
/// queued log lines as a JSON array of `{level, logger, message}` (waiting
/// up to `timeoutMillis` for the first), or null when there are none.
#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_drainLogs<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    jvm_level: jint,
    timeout_millis: jint,
) -> JObject<'local> {
    jni_call(unowned, |env| {
        crate::logging::init();
        crate::logging::set_jvm_level(jvm_level.clamp(0, 5) as u8);
        let timeout = Duration::from_millis(timeout_millis.max(0) as u64);
        let lines = crate::logging::drain(1000, timeout);
        if lines.is_empty() {
            return Ok(JObject::null());
        }
        java_string(env, &crate::logging::to_json(&lines))
    })
}
