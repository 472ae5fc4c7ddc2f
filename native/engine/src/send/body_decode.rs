//! Undoes `Content-Encoding: gzip` or `br` on a whole response body, never
//! producing more than the response size limit (a small compressed body can
//! expand enormously). Other encodings pass through as they came, as they
//! do in reqwest.

use std::io::Read;

/// The decoded body, or an error line when it is corrupt or over `limit`.
pub fn decode(encoding: Option<&str>, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, String> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        Some("gzip") | Some("x-gzip") => bounded(flate2::read::GzDecoder::new(&body[..]), limit),
        Some("br") => bounded(brotli::Decompressor::new(&body[..], 4096), limit),
        _ => Ok(body),
    }
}

fn bounded(reader: impl Read, limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("request failed: cannot decode the compressed body: {e}"))?;
    if out.len() > limit {
        return Err(crate::send::attempt::too_large(limit));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::decode;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        writer.write_all(data).unwrap();
        drop(writer);
        out
    }

    #[test]
    fn gzip_and_brotli_bodies_are_decoded() {
        let json = br#"{"id":1,"name":"a"}"#;
        assert_eq!(decode(Some("gzip"), gzip(json), 100).unwrap(), json);
        assert_eq!(decode(Some("GZIP "), gzip(json), 100).unwrap(), json);
        assert_eq!(decode(Some("br"), brotli(json), 100).unwrap(), json);
        assert_eq!(decode(None, json.to_vec(), 100).unwrap(), json);
        assert_eq!(decode(Some("identity"), json.to_vec(), 100).unwrap(), json);
    }

    #[test]
    fn a_body_that_expands_past_the_limit_is_refused() {
        let big = vec![b'a'; 1_000_000];
        let compressed = gzip(&big);
        assert!(compressed.len() < 10_000);
        let error = decode(Some("gzip"), compressed, 1_000).unwrap_err();
        assert!(error.contains("maxResponseBytes (1000 bytes)"), "{error}");
    }

    #[test]
    fn a_corrupt_body_is_an_error_not_garbage() {
        let error = decode(Some("gzip"), b"not gzip at all".to_vec(), 100).unwrap_err();
        assert!(error.contains("cannot decode"), "{error}");
    }
}
