//! JNI exports of a task's continuous flow (`TaskStream`), bound to
//! `io.sparkrest.NativeMethods`: open a stream on an engine, submit batches,
//! take results in order (waiting at most a little, so the task thread can
//! notice that Spark killed the task), cancel, close. A few calls per batch,
//! never per row; all on the task thread except `cancelStream`, which any
//! thread may call.

use std::sync::Arc;
use std::time::Duration;

use jni::objects::JObject;
use jni::sys::jlong;
use jni::EnvUnowned;
use spark_rest_engine::{Engine, TaskStream};

use crate::ffi;
use crate::jni_call::{handle_ref, into_handle, jni_call, release_handle, with_handle};
use crate::native_methods::export_result;

/// What a stream handle points to.
struct StreamHandle {
    engine: Arc<Engine>,
    stream: TaskStream,
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_openStream<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    engine_handle: jlong,
) -> jlong {
    with_handle(
        unowned,
        engine_handle,
        "engine",
        |_env, engine: &Arc<Engine>| {
            Ok(into_handle(StreamHandle {
                engine: Arc::clone(engine),
                stream: TaskStream::new(),
            }))
        },
    )
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_submitBatch<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    in_array: jlong,
    in_schema: jlong,
) {
    with_handle(unowned, handle, "stream", |_env, s: &StreamHandle| {
        // SAFETY: the JVM exported the input batch into these structs.
        let input = unsafe { ffi::import_struct(in_array, in_schema) }?;
        let result = s.stream.submit(&s.engine, &input);
        // Release the JVM's buffers here, on the task thread.
        drop(input);
        Ok(result?)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_takeBatch<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    wait_millis: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    with_handle(unowned, handle, "stream", |env, s: &StreamHandle| {
        let wait = Duration::from_millis(wait_millis.max(0) as u64);
        let Some((output, metrics)) = s.stream.take(&s.engine, Some(wait))? else {
            return Ok(JObject::null());
        };
        export_result(env, &output, &metrics, out_array, out_schema)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_cancelStream<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    jni_call(unowned, |_env| {
        if handle != 0 {
            handle_ref::<StreamHandle>(handle, "stream")?
                .stream
                .cancel();
        }
        Ok(())
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_closeStream<'local>(
    unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    // SAFETY: the handle came from openStream and the JVM closes it exactly
    // once, after its last use. Dropping it cancels whatever is still in
    // flight.
    unsafe { release_handle::<StreamHandle>(unowned, handle) }
}
