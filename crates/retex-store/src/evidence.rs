//! Evidence files: checked before they are kept (a size limit, and content that really is what it claims: a PNG
//! or JPEG photo, a PDF, or UTF-8 text), and named by their SHA-256 so that the log can refer to them and a
//! changed file is a different file.

use sha2::{Digest, Sha256};

use crate::StoreError;

/// Largest evidence file.
pub const EVIDENCE_BYTES_MAX: usize = 10 << 20;

/// The media types evidence may have, with the bytes their content starts with (none for text).
const KNOWN_TYPES: [(&str, &[u8]); 4] = [
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("application/pdf", b"%PDF-"),
    ("text/plain", b""),
];

/// The media type of acceptable evidence, judged by its content; `declared` (from an upload) must agree.
pub fn check_evidence(bytes: &[u8], declared: Option<&str>) -> Result<&'static str, StoreError> {
    let invalid = |reason: String| StoreError::Invalid { reason };
    if bytes.is_empty() {
        return Err(invalid("evidence is empty".into()));
    }
    if bytes.len() > EVIDENCE_BYTES_MAX {
        return Err(invalid(format!(
            "evidence is {} bytes; the limit is {EVIDENCE_BYTES_MAX}",
            bytes.len()
        )));
    }
    let sniffed = KNOWN_TYPES
        .iter()
        .find(|(media_type, magic)| {
            if magic.is_empty() {
                *media_type == "text/plain" && std::str::from_utf8(bytes).is_ok()
            } else {
                bytes.starts_with(magic)
            }
        })
        .map(|(media_type, _)| *media_type)
        .ok_or_else(|| invalid("evidence must be a PNG or JPEG image, a PDF or UTF-8 text".into()))?;
    let declared = declared.map(|text| text.split(';').next().unwrap_or("").trim());
    match declared {
        Some(declared) if !declared.is_empty() && declared != "application/octet-stream" && declared != sniffed => Err(
            invalid(format!("the content is {sniffed}, not the declared {declared}")),
        ),
        _ => Ok(sniffed),
    }
}

/// The SHA-256 of some bytes, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_and_must_match_the_declared_one() {
        assert_eq!(check_evidence(b"\x89PNG\r\n\x1a\nrest", None).unwrap(), "image/png");
        assert_eq!(
            check_evidence(b"%PDF-1.7", Some("application/pdf")).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            check_evidence("shelf was empty".as_bytes(), Some("text/plain; charset=utf-8")).unwrap(),
            "text/plain"
        );
        assert!(
            check_evidence(b"%PDF-1.7", Some("image/png")).is_err(),
            "a PDF posing as a photo"
        );
        assert!(
            check_evidence(b"\x00\x01\xfe\xff", None).is_err(),
            "binary of no known type"
        );
        assert!(check_evidence(b"", None).is_err());
        assert!(check_evidence(&vec![b'a'; EVIDENCE_BYTES_MAX + 1], None).is_err());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
