//! User data as cloud-init reads it: a `#!` script, `#cloud-config`, a
//! `#cloud-boothook`, a MIME multi-part archive of those, or any of them
//! gzip-compressed. What nimbus cannot act on is kept as a note for the
//! console.

use std::io::Read;

use mail_parser::{MessageParser, MimeHeaders};

/// One part of an instance's user data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Run once, at the first boot, with its `#!` interpreter.
    Script(Vec<u8>),
    /// Run at every boot, before anything else.
    BootHook(Vec<u8>),
    /// `#cloud-config` YAML.
    CloudConfig(String),
    /// Not acted on (an `#include` list, an unknown type): why, for the console.
    Ignored(String),
}

/// How deep gzip and multi-part may nest before nimbus gives up.
const MOST_NESTING: usize = 4;
/// The most gzip user data may unpack to (a small archive may unpack to
/// gigabytes).
const MOST_UNPACKED: u64 = 1024 * 1024;

/// The parts of `data`, in the order cloud-init handles them.
pub fn parts(data: &[u8]) -> Vec<Part> {
    let mut parts = Vec::new();
    split(data, None, 0, &mut parts);
    parts
}

fn split(data: &[u8], content_type: Option<&str>, depth: usize, parts: &mut Vec<Part>) {
    if depth > MOST_NESTING {
        parts.push(Part::Ignored("user data nested too deeply".to_owned()));
        return;
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut plain = Vec::new();
        let limited = flate2::read::GzDecoder::new(data)
            .take(MOST_UNPACKED + 1)
            .read_to_end(&mut plain);
        match limited {
            Ok(_) if plain.len() as u64 > MOST_UNPACKED => parts.push(Part::Ignored(
                "gzip user data unpacks to more than 1 MiB".to_owned(),
            )),
            Ok(_) => split(&plain, None, depth + 1, parts),
            Err(error) => parts.push(Part::Ignored(format!("gzip user data unreadable: {error}"))),
        }
        return;
    }
    if content_type.is_none() && is_multipart(data) {
        return split_mime(data, depth, parts);
    }
    parts.push(by_content(data, content_type));
}

/// Whether `data` opens with MIME headers announcing a multi-part body.
fn is_multipart(data: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&data[..data.len().min(2048)]).to_ascii_lowercase();
    let headers = head.split("\n\n").next().unwrap_or_default();
    headers.starts_with("content-type: multipart/")
        || (headers.starts_with("mime-version:") && headers.contains("content-type: multipart/"))
}

fn split_mime(data: &[u8], depth: usize, parts: &mut Vec<Part>) {
    let Some(message) = MessageParser::default().parse(data) else {
        parts.push(Part::Ignored("MIME user data unreadable".to_owned()));
        return;
    };
    for part in message.parts.iter().filter(|p| !p.is_multipart()) {
        let content_type = part.content_type().map(|t| match t.subtype() {
            Some(sub) => format!("{}/{}", t.ctype(), sub).to_ascii_lowercase(),
            None => t.ctype().to_ascii_lowercase(),
        });
        split(part.contents(), content_type.as_deref(), depth + 1, parts);
    }
}

/// A single part by its MIME type, or (plain text, or no type) by how it starts.
fn by_content(data: &[u8], content_type: Option<&str>) -> Part {
    let text = || String::from_utf8_lossy(data).into_owned();
    match content_type {
        Some("text/x-shellscript") => Part::Script(data.to_vec()),
        Some("text/cloud-config") => Part::CloudConfig(text()),
        Some("text/cloud-boothook") => Part::BootHook(strip_line(data, b"#cloud-boothook")),
        Some("application/x-gzip" | "application/gzip") => {
            Part::Ignored("gzip part not compressed".to_owned())
        }
        Some(other) if other != "text/plain" => Part::Ignored(format!("part of type {other} not handled")),
        _ if data.starts_with(b"#!") => Part::Script(data.to_vec()),
        _ if data.starts_with(b"#cloud-config") => Part::CloudConfig(text()),
        _ if data.starts_with(b"#cloud-boothook") => Part::BootHook(strip_line(data, b"#cloud-boothook")),
        _ if data.starts_with(b"#include") => Part::Ignored("#include user data is not fetched".to_owned()),
        _ => Part::Ignored("user data is not a script, cloud-config or multi-part archive".to_owned()),
    }
}

/// `data` without its first line when that line is `marker` (a boothook's
/// `#cloud-boothook` is not a shebang: the rest runs with sh).
fn strip_line(data: &[u8], marker: &[u8]) -> Vec<u8> {
    if !data.starts_with(marker) {
        return data.to_vec();
    }
    let rest = data
        .iter()
        .position(|b| *b == b'\n')
        .map_or(&[][..], |i| &data[i + 1..]);
    rest.to_vec()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn single_parts_are_told_apart_by_how_they_start() {
        assert_eq!(
            parts(b"#!/bin/bash\necho hi\n"),
            vec![Part::Script(b"#!/bin/bash\necho hi\n".to_vec())]
        );
        assert!(matches!(
            &parts(b"#cloud-config\nruncmd: [ls]\n")[..],
            [Part::CloudConfig(_)]
        ));
        assert_eq!(
            parts(b"#cloud-boothook\necho early\n"),
            vec![Part::BootHook(b"echo early\n".to_vec())]
        );
        assert!(matches!(&parts(b"hello")[..], [Part::Ignored(_)]));
    }

    #[test]
    fn gzip_user_data_is_opened() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"#!/bin/sh\necho zipped\n").unwrap();
        let data = gz.finish().unwrap();
        assert_eq!(
            parts(&data),
            vec![Part::Script(b"#!/bin/sh\necho zipped\n".to_vec())]
        );
    }

    #[test]
    fn multipart_archives_give_their_parts_in_order() {
        let archive = "Content-Type: multipart/mixed; boundary=\"XX\"\nMIME-Version: 1.0\n\n\
            --XX\nContent-Type: text/cloud-config; charset=\"us-ascii\"\n\n#cloud-config\nruncmd:\n - echo one\n\n\
            --XX\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\n\n#!/bin/sh\necho two\n\n\
            --XX\nContent-Type: text/x-include-url\n\nhttp://example.com/x\n\n--XX--\n";
        let found = parts(archive.as_bytes());
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(matches!(&found[0], Part::CloudConfig(text) if text.contains("echo one")));
        assert!(matches!(&found[1], Part::Script(body) if body.starts_with(b"#!/bin/sh")));
        assert!(matches!(&found[2], Part::Ignored(why) if why.contains("x-include-url")));
    }
}
