//! JNI exports bound to the Scala class `io.sparkrest.NativeMethods`. Each
//! body is thin: read arguments, call the engine or the FFI helpers, return.
//! Every body runs through `jni_call` (or `with_handle`), so errors and
//! panics become Java exceptions.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::Fields;

use jni::objects::{JObject, JString};
use jni::sys::jlong;
use jni::{Env, EnvUnowned};
use spark_rest_engine::flow::registry;
use spark_rest_engine::options::analyze;
use spark_rest_engine::Engine;

use crate::errors::BridgeResult;
use crate::ffi;
use crate::jni_call::{
    into_handle, java_string, jni_call, json_reply, release_handle, rust_string, with_handle,
};

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
    json_reply(env, metrics)
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_analyzeOptions<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
) -> JObject<'local> {
    jni_call(unowned, |env| {
        let raw = registry::parse_options_json(&rust_string(env, &options_json)?)?;
        json_reply(env, &analyze::analyze(&raw)?)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_createEngine<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
    result_schema_addr: jlong,
) -> jlong {
    jni_call(unowned, |env| {
        let (raw, fields) = options_and_fields(env, &options_json, result_schema_addr)?;
        Ok(into_handle(registry::engine_for(&raw, fields)?))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_enrich<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    in_array: jlong,
    in_schema: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "engine", |env, engine: &Arc<Engine>| {
        // SAFETY: the JVM exported the input batch into these structs.
        let input = unsafe { ffi::import_struct(in_array, in_schema) }?;
        let result = engine.enrich(&input);
        // Release the JVM's buffers here, on the task thread, never on a
        // Tokio worker.
        drop(input);
        let (output, metrics) = result?;
        export_result(env, &output, &metrics, out_array, out_schema)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_releaseEngine<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    // SAFETY: the handle came from createEngine and the JVM releases it
    // exactly once. The engine itself stays in the registry for the next task.
    unsafe { release_handle::<Arc<Engine>>(unowned, handle) }
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_engineMetrics<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "engine", |env, engine: &Arc<Engine>| {
        json_reply(env, &engine.totals())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_echoBatch<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    in_array: jlong,
    in_schema: jlong,
    out_array: jlong,
    out_schema: jlong,
) {
    jni_call(unowned, |_env| {
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
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_panicForTest<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    message: JString<'local>,
) {
    jni_call(unowned, |env| -> BridgeResult<()> {
        let message = rust_string(env, &message)?;
        #[allow(clippy::panic)] // the one deliberate panic: proves panics become exceptions
        {
            panic!("{message}");
        }
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_version<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
) -> JObject<'local> {
    jni_call(unowned, |env| java_string(env, env!("CARGO_PKG_VERSION")))
}
