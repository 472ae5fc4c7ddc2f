//! The Arrow C Data Interface at the boundary: structs the host exported are
//! moved out of host memory and imported; results are exported into empty
//! structs the host allocated. Used by both the JNI exports and the C ABI.

use arrow::array::{Array, ArrayData, MutableArrayData, StructArray};
use arrow::datatypes::{DataType, Fields};
use arrow::ffi::{from_ffi, to_ffi, FFI_ArrowArray, FFI_ArrowSchema};

use crate::errors::{BridgeError, BridgeResult};

fn non_null(addr: i64, what: &str) -> BridgeResult<()> {
    if addr == 0 {
        Err(BridgeError::internal(format!("{what} address is null")))
    } else {
        Ok(())
    }
}

/// Imports the struct array the host exported at these addresses.
///
/// # Safety
/// The addresses must point to valid, exported ArrowArray/ArrowSchema structs;
/// they are moved out (marked released) so the host must not release them.
pub unsafe fn import_struct(array_addr: i64, schema_addr: i64) -> BridgeResult<StructArray> {
    non_null(array_addr, "input ArrowArray")?;
    non_null(schema_addr, "input ArrowSchema")?;
    // SAFETY: the caller guarantees valid exported structs; from_raw moves
    // them out and leaves released (empty) structs behind.
    let array = unsafe { FFI_ArrowArray::from_raw(array_addr as *mut FFI_ArrowArray) };
    let schema = unsafe { FFI_ArrowSchema::from_raw(schema_addr as *mut FFI_ArrowSchema) };
    // SAFETY: array and schema come from the same export.
    let data = unsafe { from_ffi(array, &schema) }?;
    if !matches!(data.data_type(), DataType::Struct(_)) {
        return Err(BridgeError::internal(format!(
            "input must be a struct array, got {}",
            data.data_type()
        )));
    }
    Ok(StructArray::from(data))
}

/// Imports a struct-typed schema (the `schema` option's fields).
///
/// # Safety
/// `schema_addr` must point to a valid exported ArrowSchema; it is moved out.
pub unsafe fn import_fields(schema_addr: i64) -> BridgeResult<Fields> {
    non_null(schema_addr, "result ArrowSchema")?;
    // SAFETY: the caller guarantees a valid exported struct; moved out here.
    let schema = unsafe { FFI_ArrowSchema::from_raw(schema_addr as *mut FFI_ArrowSchema) };
    match DataType::try_from(&schema)? {
        DataType::Struct(fields) => Ok(fields),
        other => Err(BridgeError::internal(format!(
            "result schema must be a struct, got {other}"
        ))),
    }
}

/// Exports `array` into the empty structs at these addresses. arrow-java
/// ignores the offset field on import, so a sliced array is copied first.
///
/// # Safety
/// The addresses must point to writable, empty (released) ArrowArray and
/// ArrowSchema structs owned by the host.
pub unsafe fn export_struct(
    array: &StructArray,
    array_addr: i64,
    schema_addr: i64,
) -> BridgeResult<()> {
    non_null(array_addr, "output ArrowArray")?;
    non_null(schema_addr, "output ArrowSchema")?;
    let data = if array.offset() == 0 {
        array.to_data()
    } else {
        rematerialize(&array.to_data())?
    };
    let (ffi_array, ffi_schema) = to_ffi(&data)?;
    // SAFETY: the host allocated these structs for us to fill; they are
    // empty, so overwriting without dropping leaks nothing.
    unsafe {
        std::ptr::write_unaligned(array_addr as *mut FFI_ArrowArray, ffi_array);
        std::ptr::write_unaligned(schema_addr as *mut FFI_ArrowSchema, ffi_schema);
    }
    Ok(())
}

/// A copy of `data` in fresh buffers at offset 0 (children included).
pub fn rematerialize(data: &ArrayData) -> BridgeResult<ArrayData> {
    let mut copy = MutableArrayData::new(vec![data], false, data.len());
    copy.try_extend(0, 0, data.len())?;
    Ok(copy.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    fn sample() -> StructArray {
        StructArray::new(
            Fields::from(vec![
                Field::new("id", DataType::Int32, true),
                Field::new("s", DataType::Utf8, true),
            ]),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])),
                Arc::new(StringArray::from(vec![Some("a"), Some("b"), None])),
            ],
            None,
        )
    }

    #[test]
    fn export_then_import_round_trips_and_drops_slices_offset() {
        let sliced = sample().slice(1, 2);
        let mut array = FFI_ArrowArray::empty();
        let mut schema = FFI_ArrowSchema::empty();
        let (a, s) = (&mut array as *mut _ as i64, &mut schema as *mut _ as i64);
        unsafe { export_struct(&sliced, a, s) }.unwrap();
        let back = unsafe { import_struct(a, s) }.unwrap();
        assert_eq!(back.offset(), 0);
        assert_eq!(back, sliced);
    }

    #[test]
    fn null_addresses_are_errors_not_crashes() {
        assert!(unsafe { import_struct(0, 0) }.is_err());
        assert!(unsafe { export_struct(&sample(), 0, 0) }.is_err());
    }
}
