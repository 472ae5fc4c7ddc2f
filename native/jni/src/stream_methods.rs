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

use crate::errors::{BridgeResult, ThrowJavaException};
use crate::ffi;
use crate::native_methods::{export_result, handle_ref};

/// What a stream handle points to.
struct StreamHandle {
    engine: Arc<Engine>,
    stream: TaskStream,
}

fn stream<'a>(handle: jlong) -> BridgeResult<&'a StreamHandle> {
    handle_ref(handle, "stream")
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_openStream<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    engine_handle: jlong,
) -> jlong {
    unowned
        .with_env(|_env| -> BridgeResult<jlong> {
            let engine: &Arc<Engine> = handle_ref(engine_handle, "engine")?;
            let handle = StreamHandle {
                engine: Arc::clone(engine),
                stream: TaskStream::new(),
            };
            Ok(Box::into_raw(Box::new(handle)) as jlong)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_submitBatch<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    in_array: jlong,
    in_schema: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            let s = stream(handle)?;
            // SAFETY: the JVM exported the input batch into these structs.
            let input = unsafe { ffi::import_struct(in_array, in_schema) }?;
            let result = s.stream.submit(&s.engine, &input);
            // Release the JVM's buffers here, on the task thread.
            drop(input);
            Ok(result?)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_takeBatch<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
    wait_millis: jlong,
    out_array: jlong,
    out_schema: jlong,
) -> JObject<'local> {
    unowned
        .with_env(|env| -> BridgeResult<JObject<'local>> {
            let s = stream(handle)?;
            let wait = Duration::from_millis(wait_millis.max(0) as u64);
            let Some((output, metrics)) = s.stream.take(&s.engine, Some(wait))? else {
                return Ok(JObject::null());
            };
            export_result(env, &output, &metrics, out_array, out_schema)
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_cancelStream<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            if handle != 0 {
                stream(handle)?.stream.cancel();
            }
            Ok(())
        })
        .resolve::<ThrowJavaException>()
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_io_sparkrest_NativeMethods_closeStream<'local>(
    mut unowned: EnvUnowned<'local>,
    _this: JObject<'local>,
    handle: jlong,
) {
    unowned
        .with_env(|_env| -> BridgeResult<()> {
            if handle != 0 {
                // SAFETY: the handle came from Box::into_raw in openStream
                // and the JVM closes it exactly once, after its last use.
                // Dropping it cancels whatever is still in flight.
                drop(unsafe { Box::from_raw(handle as *mut StreamHandle) });
            }
            Ok(())
        })
        .resolve::<ThrowJavaException>()
}
