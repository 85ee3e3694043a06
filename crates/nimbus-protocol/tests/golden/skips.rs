//! `tests/golden-skips.txt`: the cases known not to pass, each with a reason.
//!
//! One entry a line: `<kind> <file or service> <case id or operation> <reason>`,
//! where kind is `input` or `output` (golden vectors, file as in reports:
//! `rest-xml`, `legacy/query`) or `oracle`/`oracle-output` (a vendored
//! service and operation). `*` in the third column matches every case of the
//! file. `#` starts a comment line. The Python harness reads the same file.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Skip {
    pub kind: String,
    pub file: String,
    pub case: String,
    pub reason: String,
    /// Line number in the file, for reports about stale entries.
    pub line: usize,
}

#[derive(Debug, Default)]
pub struct SkipList {
    pub entries: Vec<Skip>,
}

pub fn skips_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden-skips.txt")
}

impl SkipList {
    /// Reads the skip list; a malformed line is an error naming it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SkipList::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut entries = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() < 4 {
                return Err(format!(
                    "{}:{}: expected `<kind> <file> <case> <reason>`, got {raw:?}",
                    path.display(),
                    index + 1
                ));
            }
            entries.push(Skip {
                kind: words[0].to_owned(),
                file: words[1].to_owned(),
                case: words[2].to_owned(),
                reason: words[3..].join(" "),
                line: index + 1,
            });
        }
        Ok(SkipList { entries })
    }

    /// The entry that skips this case, if any.
    pub fn find(&self, kind: &str, file: &str, case: &str) -> Option<&Skip> {
        self.entries
            .iter()
            .find(|skip| skip.kind == kind && skip.file == file && (skip.case == "*" || skip.case == case))
    }

    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Skip> + 'a {
        self.entries.iter().filter(move |skip| skip.kind == kind)
    }
}
