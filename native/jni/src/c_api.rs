//! The C ABI: the engine for any host that speaks the Arrow C Data
//! Interface. cbindgen turns this file into `native/include/spark_rest.h`.
//! Every function returns a status code; on failure `*error_out` receives a
//! message the caller frees with `sr_string_free`. Nothing aborts the host:
//! panics are caught and returned as `SR_PANIC`.

use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use spark_rest_engine::flow::registry;
use spark_rest_engine::Engine;

use crate::errors::{panic_message, BridgeError, BridgeResult, Kind};
use crate::ffi;

/// Success.
pub const SR_OK: i32 = 0;
/// An option name or value is not allowed.
pub const SR_INVALID_OPTION: i32 = 1;
/// `onError=fail` and a row's request failed.
pub const SR_REQUEST_FAILED: i32 = 2;
/// Any other error (bad arguments, broken invariants).
pub const SR_INTERNAL: i32 = 3;
/// Native code panicked; the engine is still usable.
pub const SR_PANIC: i32 = 4;

/// An engine created from a JSON options object. Opaque to the host.
pub struct SrEngine {
    engine: Arc<Engine>,
}

/// Runs `body`, turning errors and panics into a status and a message.
fn guarded(error_out: *mut *mut c_char, body: impl FnOnce() -> BridgeResult<()>) -> i32 {
    let (status, message) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return SR_OK,
        Ok(Err(e)) => {
            let status = match e.kind {
                Kind::Option => SR_INVALID_OPTION,
                Kind::Request => SR_REQUEST_FAILED,
                Kind::Internal => SR_INTERNAL,
            };
            (status, e.message)
        }
        Err(payload) => (
            SR_PANIC,
            format!(
                "spark-rest native code panicked: {}",
                panic_message(payload.as_ref())
            ),
        ),
    };
    if !error_out.is_null() {
        let text = CString::new(message.replace('\0', " ")).unwrap_or_default();
        // SAFETY: the caller passed a writable pointer (checked non-null).
        unsafe { *error_out = text.into_raw() };
    }
    status
}

fn c_str<'a>(s: *const c_char, what: &str) -> BridgeResult<&'a str> {
    if s.is_null() {
        return Err(BridgeError::internal(format!("{what} is null")));
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| BridgeError::internal(format!("{what} is not UTF-8")))
}

/// Creates (or shares) an engine. `options_json` is a JSON object of option
/// names to values (SPEC.md section 4). `result_schema` may be NULL (raw
/// `output` column) or a struct schema of the typed output fields; it is
/// moved out (released) by this call.
///
/// # Safety
/// Pointers must be valid as described; `engine_out` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_engine_create(
    options_json: *const c_char,
    result_schema: *mut FFI_ArrowSchema,
    engine_out: *mut *mut SrEngine,
    error_out: *mut *mut c_char,
) -> i32 {
    guarded(error_out, || {
        crate::logging::init();
        if engine_out.is_null() {
            return Err(BridgeError::internal("engine_out is null"));
        }
        let raw = registry::parse_options_json(c_str(options_json, "options_json")?)?;
        let fields = match result_schema.is_null() {
            true => None,
            // SAFETY: the caller exported this schema and gives up ownership.
            false => Some(unsafe { ffi::import_fields(result_schema as i64) }?),
        };
        let engine = registry::engine_for(&raw, fields)?;
        // SAFETY: checked non-null; the caller frees it with sr_engine_free.
        unsafe { *engine_out = Box::into_raw(Box::new(SrEngine { engine })) };
        Ok(())
    })
}

/// Enriches one batch: `input` is an exported struct array of the columns
/// the templates use (moved out by this call); the result (payload fields,
/// `_status`, `_error`) is exported into the empty `output` structs, which
/// the caller releases.
///
/// # Safety
/// `engine` from `sr_engine_create`; Arrow structs valid as described.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_engine_enrich(
    engine: *const SrEngine,
    input_array: *mut FFI_ArrowArray,
    input_schema: *mut FFI_ArrowSchema,
    output_array: *mut FFI_ArrowArray,
    output_schema: *mut FFI_ArrowSchema,
    error_out: *mut *mut c_char,
) -> i32 {
    guarded(error_out, || {
        // SAFETY: engine pointers come from sr_engine_create.
        let engine =
            unsafe { engine.as_ref() }.ok_or_else(|| BridgeError::internal("engine is null"))?;
        // SAFETY: the caller exported the input into these structs.
        let input = unsafe { ffi::import_struct(input_array as i64, input_schema as i64) }?;
        let (output, _) = engine.engine.enrich(&input)?;
        drop(input);
        // SAFETY: the caller allocated empty output structs.
        unsafe { ffi::export_struct(&output, output_array as i64, output_schema as i64) }
    })
}

/// The engine's cumulative metrics as a JSON object (rows, requests,
/// failed_rows, retries, cache_hits, deduped_rows, bytes_received,
/// throttled_nanos, engine_nanos, latency_nanos_total). Free the string
/// with `sr_string_free`.
///
/// # Safety
/// `engine` from `sr_engine_create`; `json_out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_engine_metrics(
    engine: *const SrEngine,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> i32 {
    guarded(error_out, || {
        // SAFETY: engine pointers come from sr_engine_create.
        let engine =
            unsafe { engine.as_ref() }.ok_or_else(|| BridgeError::internal("engine is null"))?;
        if json_out.is_null() {
            return Err(BridgeError::internal("json_out is null"));
        }
        let json = serde_json::to_string(&engine.engine.totals())
            .map_err(|e| BridgeError::internal(e.to_string()))?;
        let text = CString::new(json).map_err(|e| BridgeError::internal(e.to_string()))?;
        // SAFETY: checked non-null.
        unsafe { *json_out = text.into_raw() };
        Ok(())
    })
}

/// Takes up to `max_lines` of the engine's log lines, waiting up to
/// `timeout_ms` for the first, as a JSON array of `{"level", "logger",
/// "message"}` objects (`[]` when none came); free it with
/// `sr_string_free`. Lines queue from the first `sr_engine_create` on, at
/// `info` unless `sr_log_level` says otherwise; a host that never takes
/// them keeps at most 10,000 (later ones are dropped and counted in a WARN
/// line). Loggers are named `io.sparkrest.native.engine.<module>`.
///
/// # Safety
/// `json_out` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_log_take(
    max_lines: u32,
    timeout_ms: u32,
    json_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> i32 {
    guarded(error_out, || {
        if json_out.is_null() {
            return Err(BridgeError::internal("json_out is null"));
        }
        crate::logging::init();
        let timeout = std::time::Duration::from_millis(u64::from(timeout_ms));
        let lines = crate::logging::drain(max_lines as usize, timeout);
        let text = CString::new(crate::logging::to_json(&lines))
            .map_err(|e| BridgeError::internal(e.to_string()))?;
        // SAFETY: checked non-null.
        unsafe { *json_out = text.into_raw() };
        Ok(())
    })
}

/// Sets the most verbose level of the lines `sr_log_take` returns: off,
/// error, warn, info (the default), debug or trace; each call replaces the
/// level set before.
///
/// # Safety
/// `level` a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_log_level(level: *const c_char, error_out: *mut *mut c_char) -> i32 {
    guarded(error_out, || {
        let level = c_str(level, "level")?;
        if !crate::logging::set_level(level) {
            return Err(BridgeError {
                kind: Kind::Option,
                message: format!(
                    "log level '{level}' is not one of off, error, warn, info, debug, trace"
                ),
            });
        }
        Ok(())
    })
}

/// Frees an engine handle (the shared engine stays for other handles).
///
/// # Safety
/// `engine` from `sr_engine_create`, freed once; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_engine_free(engine: *mut SrEngine) {
    if !engine.is_null() {
        // SAFETY: from Box::into_raw in sr_engine_create, freed once.
        drop(unsafe { Box::from_raw(engine) });
    }
}

/// Frees a string returned by this library. NULL is ignored.
///
/// # Safety
/// `s` from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sr_string_free(s: *mut c_char) {
    if !s.is_null() {
        // SAFETY: from CString::into_raw in this library.
        drop(unsafe { CString::from_raw(s) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    fn take_error(e: *mut c_char) -> String {
        assert!(!e.is_null());
        let s = unsafe { CStr::from_ptr(e) }.to_string_lossy().into_owned();
        unsafe { sr_string_free(e) };
        s
    }

    #[test]
    fn bad_options_return_a_status_and_message() {
        let opts = CString::new(r#"{"url": "http://127.0.0.1:1/x", "concurency": "4"}"#).unwrap();
        let mut engine = ptr::null_mut();
        let mut error = ptr::null_mut();
        let status =
            unsafe { sr_engine_create(opts.as_ptr(), ptr::null_mut(), &mut engine, &mut error) };
        assert_eq!(status, SR_INVALID_OPTION);
        let message = take_error(error);
        assert!(
            message.contains("'concurency'") && message.contains("'concurrency'"),
            "{message}"
        );
    }

    #[test]
    fn a_batch_round_trips_through_the_c_abi() {
        use arrow::array::{Array, AsArray, Int64Array, StructArray};
        use arrow::datatypes::{DataType, Field, Fields, Int32Type};
        let runtime = spark_rest_engine::flow::runtime::runtime();
        let api = runtime
            .block_on(mock_api::MockServer::start(mock_api::Config::default()))
            .unwrap();
        let opts = CString::new(format!(r#"{{"url": "{}/customers/{{id}}"}}"#, api.url())).unwrap();
        let mut engine = ptr::null_mut();
        let mut error = ptr::null_mut();
        assert_eq!(
            unsafe { sr_engine_create(opts.as_ptr(), ptr::null_mut(), &mut engine, &mut error) },
            SR_OK
        );

        let input = StructArray::new(
            Fields::from(vec![Field::new("id", DataType::Int64, true)]),
            vec![std::sync::Arc::new(Int64Array::from(vec![
                Some(1),
                None,
                Some(3),
            ]))],
            None,
        );
        let (mut in_array, mut in_schema) = arrow::ffi::to_ffi(&input.to_data()).unwrap();
        let mut out_array = FFI_ArrowArray::empty();
        let mut out_schema = FFI_ArrowSchema::empty();
        let status = unsafe {
            sr_engine_enrich(
                engine,
                &mut in_array,
                &mut in_schema,
                &mut out_array,
                &mut out_schema,
                &mut error,
            )
        };
        assert_eq!(status, SR_OK);
        let out =
            StructArray::from(unsafe { arrow::ffi::from_ffi(out_array, &out_schema) }.unwrap());
        let statuses = out
            .column_by_name("_status")
            .unwrap()
            .as_primitive::<Int32Type>();
        assert_eq!(
            (statuses.value(0), statuses.is_null(1), statuses.value(2)),
            (200, true, 200)
        );

        let mut json = ptr::null_mut();
        assert_eq!(
            unsafe { sr_engine_metrics(engine, &mut json, &mut error) },
            SR_OK
        );
        assert!(take_error(json).contains("\"requests\":2"));
        unsafe { sr_engine_free(engine) };
    }

    #[test]
    fn panics_become_a_status() {
        let mut error = ptr::null_mut();
        let status = guarded(&mut error, || panic!("boom {}", 42));
        assert_eq!(status, SR_PANIC);
        assert!(take_error(error).contains("boom 42"));
    }
}
