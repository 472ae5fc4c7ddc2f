//! JNI exports of `io.sparkrest.NativeMethods` for the streaming record log
//! (DESIGN.md section 6): the driver's poll returns the records themselves,
//! the partition decodes the log. Same rules as `native_methods.rs`.

use jni::objects::{JObject, JString};
use jni::sys::{jboolean, jlong};
use jni::EnvUnowned;
use serde_json::json;
use spark_rest_engine::source::reader::Source;
use spark_rest_engine::source::stream_offset::StreamOffset;

use crate::errors::BridgeError;
use crate::ffi;
use crate::jni_call::{java_string, rust_string, with_handle};

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_pollLog<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    offset_json: JString<'local>,
    limit: jlong,
    first: jboolean,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        let at: StreamOffset = serde_json::from_str(&rust_string(env, &offset_json)?)
            .map_err(|e| BridgeError::internal(format!("invalid stream offset: {e}")))?;
        let poll = source.poll_log(&at, limit.max(0) as usize, first == jni::sys::JNI_TRUE)?;
        let header = json!({
            "next": poll.next,
            "records": poll.records.len(),
            "truncated": poll.truncated,
            "metrics": poll.metrics,
        });
        let mut reply = header.to_string();
        for record in &poll.records {
            reply.push('\n');
            reply.push_str(&record.to_string());
        }
        java_string(env, &reply)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_decodeLog<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    lines: JString<'local>,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "source", |env, source: &Source| {
        let records = source.decode_log(&rust_string(env, &lines)?)?;
        // SAFETY: the JVM allocated these empty structs for the records.
        unsafe { ffi::export_struct(&records, out_array, out_schema) }?;
        let reply = json!({ "records": arrow::array::Array::len(&records) });
        java_string(env, &reply.to_string())
    })
}
