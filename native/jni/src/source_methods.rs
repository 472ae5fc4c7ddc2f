//! JNI exports of `io.sparkrest.NativeMethods` for the data source's reads
//! without input rows: pages (batch) and polls (streaming). Same rules as
//! `native_methods.rs`: thin bodies, errors and panics become exceptions.

use jni::objects::{JObject, JString};
use jni::sys::{jint, jlong};
use jni::EnvUnowned;
use serde_json::json;
use spark_rest_engine::source::pagination::PageState;
use spark_rest_engine::source::reader::Source;

use crate::errors::BridgeError;
use crate::ffi;
use crate::jni_call::{
    into_handle, java_string, jni_call, json_reply, release_handle, rust_string, with_handle,
};
use crate::native_methods::options_and_fields;

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_createSource<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    options_json: JString<'local>,
    result_schema_addr: jlong,
) -> jlong {
    jni_call(unowned, |env| {
        let (raw, fields) = options_and_fields(env, &options_json, result_schema_addr)?;
        Ok(into_handle(Source::new(&raw, fields)?))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_releaseSource<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    // SAFETY: from createSource, released once.
    unsafe { release_handle::<Source>(unowned, handle) }
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_planPages<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    max_partitions: jint,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        json_reply(env, &source.plan_pages(max_partitions.max(1) as u64)?)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_fetchPage<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    state_json: JString<'local>,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        let state: PageState = serde_json::from_str(&rust_string(env, &state_json)?)
            .map_err(|e| BridgeError::internal(format!("invalid page state: {e}")))?;
        let page = source.fetch_page(&state)?;
        // SAFETY: the JVM allocated these empty structs for the records.
        unsafe { ffi::export_struct(&page.records, out_array, out_schema) }?;
        let reply = json!({
            "next": page.next,
            "records": arrow::array::Array::len(&page.records),
            "metrics": page.metrics,
        });
        java_string(env, &reply.to_string())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_poll<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    offset: JString<'local>,
    limit: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        let offset = rust_string(env, &offset)?;
        let poll = source.poll(&offset, limit.max(0) as usize)?;
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
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_sourceMetrics<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        json_reply(env, &source.totals())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_initLogging<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    level: JString<'local>,
) {
    jni_call(unowned, |env| {
        crate::logging::init_with(&rust_string(env, &level)?);
        Ok(())
    })
}
