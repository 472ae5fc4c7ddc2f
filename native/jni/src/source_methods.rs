//! JNI exports of `io.sparkrest.NativeMethods` for the data source's reads
//! without input rows: pages (batch) and polls (streaming). Same rules as
//! `native_methods.rs`: thin bodies, errors and panics become exceptions.

use jni::objects::{JObject, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;
use serde_json::json;
use spark_rest_engine::source::pagination::PageState;
use spark_rest_engine::source::reader::Source;

use crate::errors::{BridgeError, BridgeResult, ThrowJavaException};
use crate::ffi;
use crate::native_methods::{handle_ref, java_string, options_and_fields, rust_string};

fn source<'a>(handle: jlong) -> BridgeResult<&'a Source> {
    handle_ref(handle, "source")
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_createSource<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
    result_schema_addr: jlong,
) -> jlong {
    unowned
        .with_env(|env| -> BridgeResult<jlong> {
            let (raw, fields) = options_and_fields(env, &options_json, result_schema_addr)?;
            let source = Source::new(&raw, fields)?;
            Ok(Box::into_raw(Box::new(source)) as jlong)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_releaseSource<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            if handle != 0 {
                // SAFETY: from Box::into_raw in createSource, released once.
                drop(unsafe { Box::from_raw(handle as *mut Source) });
            }
            Ok(())
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_planPages<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    max_partitions: jint,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let states = source(handle)?.plan_pages(max_partitions.max(1) as u64)?;
            let json =
                serde_json::to_string(&states).map_err(|e| BridgeError::internal(e.to_string()))?;
            java_string(env, &json)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_fetchPage<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    state_json: JString<'local>,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let state: PageState = serde_json::from_str(&rust_string(env, &state_json)?)
                .map_err(|e| BridgeError::internal(format!("invalid page state: {e}")))?;
            let page = source(handle)?.fetch_page(&state)?;
            // SAFETY: the JVM allocated these empty structs for the records.
            unsafe { ffi::export_struct(&page.records, out_array, out_schema) }?;
            let reply = json!({
                "next": page.next,
                "records": arrow::array::Array::len(&page.records),
                "metrics": page.metrics,
            });
            java_string(env, &reply.to_string())
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_poll<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    offset: JString<'local>,
    limit: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let offset = rust_string(env, &offset)?;
            let poll = source(handle)?.poll(&offset, limit.max(0) as usize)?;
            if out_array != 0 {
                // SAFETY: the JVM allocated these empty structs for the records.
                unsafe { ffi::export_struct(&poll.records, out_array, out_schema) }?;
            }
            let reply = json!({
                "next_offset": poll.next_offset,
                "records": arrow::array::Array::len(&poll.records),
                "metrics": poll.metrics,
            });
            java_string(env, &reply.to_string())
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_sourceMetrics<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let json = serde_json::to_string(&source(handle)?.totals())
                .map_err(|e| BridgeError::internal(e.to_string()))?;
            java_string(env, &json)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_initLogging<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    level: JString<'local>,
) {
    unowned
        .with_env(|env| -> BridgeResult<()> {
            crate::logging::init_with(&rust_string(env, &level)?);
            Ok(())
        })
        .resolve::<ThrowJavaException>()
}
