//! The digests SQS returns beside a message, computed exactly as SQS does so
//! that SDKs that verify them (Java, Go, .NET) accept the answers.

use md5::{Digest, Md5};

use crate::records::AttributeRecord;

pub fn hex(bytes: &[u8]) -> String {
    let digest = Md5::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5OfMessageAttributes (and MD5OfMessageSystemAttributes): over the
/// attributes sorted by name, each as length-prefixed (4 bytes, big endian)
/// name and data type, a transport byte (1 string, 2 binary), then the
/// length-prefixed value. `None` when there are no attributes.
pub fn of_attributes<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a AttributeRecord)>,
) -> Option<String> {
    let mut sorted: Vec<_> = attributes.into_iter().collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut buffer = Vec::new();
    for (name, attribute) in sorted {
        push_prefixed(&mut buffer, name.as_bytes());
        push_prefixed(&mut buffer, attribute.data_type.as_bytes());
        if let Some(binary) = attribute.binary_value.as_deref() {
            buffer.push(2);
            push_prefixed(&mut buffer, &crate::records::decode_binary(binary));
        } else {
            buffer.push(1);
            push_prefixed(
                &mut buffer,
                attribute.string_value.as_deref().unwrap_or("").as_bytes(),
            );
        }
    }
    Some(hex(&buffer))
}

fn push_prefixed(buffer: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    buffer.extend_from_slice(&len.to_be_bytes());
    buffer.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    use super::*;

    #[test]
    fn body_digest_is_hex_md5() {
        assert_eq!(hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn no_attributes_no_digest() {
        let none: IndexMap<String, AttributeRecord> = IndexMap::new();
        assert_eq!(of_attributes(&none), None);
    }

    #[test]
    fn attribute_digest_matches_the_documented_encoding() {
        let mut attributes = IndexMap::new();
        attributes.insert(
            "b".to_owned(),
            AttributeRecord {
                data_type: "Number".into(),
                string_value: Some("1".into()),
                binary_value: None,
            },
        );
        attributes.insert(
            "a".to_owned(),
            AttributeRecord {
                data_type: "String".into(),
                string_value: Some("x".into()),
                binary_value: None,
            },
        );
        let mut expected = Vec::new();
        for (name, kind, value) in [("a", "String", "x"), ("b", "Number", "1")] {
            push_prefixed(&mut expected, name.as_bytes());
            push_prefixed(&mut expected, kind.as_bytes());
            expected.push(1);
            push_prefixed(&mut expected, value.as_bytes());
        }
        assert_eq!(of_attributes(&attributes), Some(hex(&expected)));
    }
}
