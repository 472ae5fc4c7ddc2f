//! JNI exports bound to the Scala class `io.sparkrest.NativeMethods`. Each
//! body is thin: read arguments, call the engine or the FFI helpers, return.
//! Every body runs through `with_env(..).resolve::<ThrowJavaException>()`
//! so errors and panics become Java exceptions.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::Fields;

use jni::objects::{JObject, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use spark_rest_engine::flow::registry;
use spark_rest_engine::options::analyze;
use spark_rest_engine::Engine;

use crate::errors::{BridgeError, BridgeResult, ThrowJavaException};
use crate::ffi;

pub(crate) fn rust_string(env: &Env<'_>, s: &JString<'_>) -> BridgeResult<String> {
    Ok(s.try_to_string(env)?)
}

pub(crate) fn java_string<'local>(env: &mut Env<'local>, s: &str) -> BridgeResult<JObject<'local>> {
    Ok(JObject::from(JString::new(env, s)?))
}

/// The options and result fields of `createEngine`/`createSource`: starts
/// logging, parses the options JSON, imports the optional result schema
/// (0 = raw `output`; otherwise the JVM exported it and gives up ownership).
pub(crate) fn options_and_fields(
    env: &Env<'_>,
    options_json: &JString<'_>,
    result_schema_addr: jlong,
) -> BridgeResult<(BTreeMap<String, String>, Option<Fields>)> {
    crate::logging::init();
    let raw = registry::parse_options_json(&rust_string(env, options_json)?)?;
    let fields = match result_schema_addr {
        0 => None,
        // SAFETY: the JVM exported this schema for us and gives up ownership.
        addr => Some(unsafe { ffi::import_fields(addr) }?),
    };
    Ok((raw, fields))
}

/// The object behind a handle from `createEngine` (an `Arc<Engine>`) or
/// `createSource` (a `Source`).
pub(crate) fn handle_ref<'a, T>(handle: jlong, what: &str) -> BridgeResult<&'a T> {
    if handle == 0 {
        return Err(BridgeError::internal(format!(
            "{what} handle is 0 (released or never created)"
        )));
    }
    // SAFETY: non-zero handles come from Box::into_raw in createEngine or
    // createSource and stay valid until the matching release, which the JVM
    // calls once, last.
    Ok(unsafe { &*(handle as *const T) })
}

/// Exports an enriched batch into the structs the JVM allocated and
/// returns its metrics as JSON (the answer of `enrich` and `takeBatch`).
pub(crate) fn export_result<'local>(
    env: &mut Env<'local>,
    output: &arrow::array::StructArray,
    metrics: &spark_rest_engine::BatchMetrics,
    out_array: jlong,
    out_schema: jlong,
) -> BridgeResult<JObject<'local>> {
    // SAFETY: the JVM allocated these empty structs for the result.
    unsafe { ffi::export_struct(output, out_array, out_schema) }?;
    let json = serde_json::to_string(metrics).map_err(|e| BridgeError::internal(e.to_string()))?;
    java_string(env, &json)
}

fn engine<'a>(handle: jlong) -> BridgeResult<&'a Arc<Engine>> {
    handle_ref(handle, "engine")
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_analyzeOptions<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let raw = registry::parse_options_json(&rust_string(env, &options_json)?)?;
            let analysis = analyze::analyze(&raw)?;
            let json = serde_json::to_string(&analysis)
                .map_err(|e| BridgeError::internal(e.to_string()))?;
            java_string(env, &json)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_createEngine<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
    result_schema_addr: jlong,
) -> jlong {
    unowned
        .with_env(|env| -> BridgeResult<jlong> {
            let (raw, fields) = options_and_fields(env, &options_json, result_schema_addr)?;
            let engine = registry::engine_for(&raw, fields)?;
            Ok(Box::into_raw(Box::new(engine)) as jlong)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_enrich<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    in_array: jlong,
    in_schema: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let engine = engine(handle)?;
            // SAFETY: the JVM exported the input batch into these structs.
            let input = unsafe { ffi::import_struct(in_array, in_schema) }?;
            let result = engine.enrich(&input);
            // Release the JVM's buffers here, on the task thread, never on a
            // Tokio worker.
            drop(input);
            let (output, metrics) = result?;
            export_result(env, &output, &metrics, out_array, out_schema)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_releaseEngine<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            if handle != 0 {
                // SAFETY: the handle came from Box::into_raw in createEngine
                // and the JVM releases it exactly once. The engine itself
                // stays in the registry for the next task.
                drop(unsafe { Box::from_raw(handle as *mut Arc<Engine>) });
            }
            Ok(())
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_engineMetrics<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let totals = engine(handle)?.totals();
            let json =
                serde_json::to_string(&totals).map_err(|e| BridgeError::internal(e.to_string()))?;
            java_string(env, &json)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_echoBatch<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    in_array: jlong,
    in_schema: jlong,
    out_array: jlong,
    out_schema: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            // SAFETY: the JVM exported the batch into these structs.
            let input = unsafe { ffi::import_struct(in_array, in_schema) }?;
            // Copy into native buffers so the JVM's can be released now.
            let copy = arrow::array::StructArray::from(ffi::rematerialize(
                &arrow::array::Array::to_data(&input),
            )?);
            drop(input);
            // SAFETY: the JVM allocated these empty structs for the result.
            unsafe { ffi::export_struct(&copy, out_array, out_schema) }
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_panicForTest<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    message: JString<'local>,
) {
    unowned
        .with_env(|env| -> BridgeResult<()> {
            let message = rust_string(env, &message)?;
            #[allow(clippy::panic)] // the one deliberate panic: proves panics become exceptions
            {
                panic!("{message}");
            }
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_version<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            java_string(env, env!("CARGO_PKG_VERSION"))
        })
        .resolve::<ThrowJavaException>()
}
