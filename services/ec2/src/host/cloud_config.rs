//! `#cloud-config`: the modules nimbus carries out. `write_files` (in the
//! instance's folder), `bootcmd` (every boot) and `runcmd` (first boot)
//! run; `packages` are recorded on the console, not installed.

use std::io::Read;

use base64::Engine;
use yaml_rust2::{Yaml, YamlLoader};

/// The most a gzip file's content may unpack to.
const MOST_UNPACKED: u64 = 1024 * 1024;

/// What a cloud-config asks for, as nimbus carries it out.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CloudConfig {
    pub files: Vec<WriteFile>,
    /// Shell lines run at every boot, first.
    pub bootcmd: Vec<String>,
    /// Shell lines run once, at the first boot.
    pub runcmd: Vec<String>,
    pub packages: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteFile {
    /// As given (absolute paths land under the instance's folder).
    pub path: String,
    pub content: Vec<u8>,
    pub permissions: Option<u32>,
    pub append: bool,
}

pub fn parse(text: &str) -> Result<CloudConfig, String> {
    let documents = YamlLoader::load_from_str(text).map_err(|e| format!("cloud-config is not YAML: {e}"))?;
    let Some(root) = documents.into_iter().next() else {
        return Ok(CloudConfig::default());
    };
    if root.as_hash().is_none() {
        return Err("cloud-config is not a mapping".to_owned());
    }
    Ok(CloudConfig {
        files: list(&root["write_files"])
            .iter()
            .map(write_file)
            .collect::<Result<_, _>>()?,
        bootcmd: list(&root["bootcmd"]).iter().filter_map(command).collect(),
        runcmd: list(&root["runcmd"]).iter().filter_map(command).collect(),
        packages: list(&root["packages"]).iter().filter_map(package).collect(),
    })
}

fn list(node: &Yaml) -> &[Yaml] {
    node.as_vec().map(Vec::as_slice).unwrap_or_default()
}

fn scalar(node: &Yaml) -> Option<String> {
    match node {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A command: a string is a shell line; a list is an argument vector.
fn command(node: &Yaml) -> Option<String> {
    match node {
        Yaml::Array(words) => Some(
            words
                .iter()
                .filter_map(scalar)
                .map(|w| quote(&w))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => scalar(other),
    }
}

/// A package: its name, or `[name, version]`.
fn package(node: &Yaml) -> Option<String> {
    match node {
        Yaml::Array(pair) => Some(pair.iter().filter_map(scalar).collect::<Vec<_>>().join("=")),
        other => scalar(other),
    }
}

/// `word` as one shell word.
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

fn write_file(node: &Yaml) -> Result<WriteFile, String> {
    let path = scalar(&node["path"]).ok_or("write_files entry without a path")?;
    let raw = scalar(&node["content"]).unwrap_or_default();
    let encoding = scalar(&node["encoding"]).unwrap_or_default().to_ascii_lowercase();
    let content = decode(raw, &encoding).map_err(|e| format!("write_files {path}: {e}"))?;
    let permissions = match &node["permissions"] {
        // YAML 1.1 (cloud-init's) reads `0755` as octal; yaml-rust2 as 755.
        Yaml::Integer(i) => u32::from_str_radix(&i.to_string(), 8).ok(),
        other => scalar(other).and_then(|p| u32::from_str_radix(p.trim_start_matches("0o"), 8).ok()),
    };
    let append = node["append"].as_bool().unwrap_or(false);
    Ok(WriteFile {
        path,
        content,
        permissions,
        append,
    })
}

/// Content by its `encoding` (`b64`, `gzip`, `gz+b64`, ... or plain text).
fn decode(raw: String, encoding: &str) -> Result<Vec<u8>, String> {
    let base64 = ["b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"].contains(&encoding);
    let gzip = encoding.starts_with("gz");
    let bytes = match base64 {
        true => {
            let compact: String = raw.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|e| format!("not base64: {e}"))?
        }
        false => raw.into_bytes(),
    };
    if !gzip {
        return Ok(bytes);
    }
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .take(MOST_UNPACKED + 1)
        .read_to_end(&mut plain)
        .map_err(|e| format!("not gzip: {e}"))?;
    if plain.len() as u64 > MOST_UNPACKED {
        return Err("unpacks to more than 1 MiB".to_owned());
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_common_modules_are_read() {
        let config = parse(
            "#cloud-config\npackages:\n  - httpd\n  - [nginx, 1.2]\nwrite_files:\n  - path: /var/www/index.html\n    \
             content: |\n      <h1>hi</h1>\n    permissions: '0644'\n  - path: run.sh\n    content: x\n    permissions: 0755\n  - path: data.bin\n    encoding: b64\n    content: aGVsbG8=\n\
             bootcmd:\n  - echo early\nruncmd:\n  - echo one\n  - [sh, -c, \"echo it's two\"]\n",
        )
        .unwrap();
        assert_eq!(config.packages, vec!["httpd", "nginx=1.2"]);
        assert_eq!(config.files[0].path, "/var/www/index.html");
        assert_eq!(config.files[0].content, b"<h1>hi</h1>\n");
        assert_eq!(config.files[0].permissions, Some(0o644));
        assert_eq!(config.files[1].permissions, Some(0o755), "unquoted octal");
        assert_eq!(config.files[2].content, b"hello");
        assert_eq!(config.bootcmd, vec!["echo early"]);
        assert_eq!(
            config.runcmd,
            vec!["echo one".to_owned(), r"'sh' '-c' 'echo it'\''s two'".to_owned()]
        );
    }

    #[test]
    fn what_is_not_a_mapping_is_refused() {
        assert!(parse("#cloud-config\n- a\n").is_err());
        assert!(parse("#cloud-config\n").unwrap().runcmd.is_empty());
    }
}
