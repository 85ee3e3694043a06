//! Golden input vectors: botocore's own protocol test cases, read from
//! `<repo>/../shared/aws-protocol-tests/` (override with
//! `NIMBUS_PROTOCOL_TESTS=<dir>`; skipped with a message when absent).
//!
//! For every input case: the model is the case file's metadata and shapes
//! plus the case's one operation; the request is the case's `serialized`
//! form; `identify_operation` must find the operation and `decode_request`
//! must give the case's `params` (read through the input shape, compared as
//! `golden/compare.rs` explains).
//!
//! Run: `cargo test -p nimbus-protocol --test golden` (its own harness: the
//! report always prints). Knobs, all environment variables:
//!
//! - Strict by default: fail when a case fails that is not in
//!   `tests/golden-skips.txt`, or when a skip entry is stale (its case passes
//!   or does not exist). `GOLDEN_REPORT_ONLY=1` only reports, for iterating
//!   on a codec.
//! - `GOLDEN_PROTOCOL=query,rest-xml`: only these protocols (a model
//!   protocol such as `json`, or a file such as `json_1_0` or `legacy/query`).
//! - `GOLDEN_CASE=QueryLists,3:1`: only cases whose `<file>/<id>` contains
//!   one of these; `cargo test ... --test golden -- QueryLists` works too.
//! - `GOLDEN_VERBOSE=1`: the request, expected and decoded values and each
//!   difference for every failure (on by default when a filter is set).

#[allow(dead_code)] // shared with examples/wire.rs; each uses a part
#[path = "golden/mod.rs"]
mod golden;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;

use golden::compare::differences;
use golden::exchange::{describe_request, request_from_case};
use golden::params::to_value;
use golden::skips::{SkipList, skips_path};
use golden::value_json::brief;
use golden::vectors::{BotocoreIgnoreList, Case, Direction, load_cases, vectors_dir};
use nimbus_protocol::model::Model;
use nimbus_protocol::{Protocol, Value};

fn main() -> ExitCode {
    let options = Options::read();
    if options.list_only {
        // `cargo test -- --list` asks every test binary for its tests.
        println!("golden: test");
        return ExitCode::SUCCESS;
    }
    let dir = vectors_dir();
    if !dir.is_dir() {
        println!(
            "golden: skipped: no protocol test vectors at {} (botocore's tests/unit/protocols; \
             set NIMBUS_PROTOCOL_TESTS to their folder)",
            dir.display()
        );
        return ExitCode::SUCCESS;
    }
    let skips = match SkipList::load(&skips_path()) {
        Ok(skips) => skips,
        Err(e) => {
            println!("golden: bad skip list: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cases = match load_cases(&dir, Direction::Input) {
        Ok(cases) => cases,
        Err(e) => {
            println!("golden: cannot read the vectors: {e}");
            return ExitCode::FAILURE;
        }
    };
    let botocore_ignores = BotocoreIgnoreList::load(&dir);
    install_quiet_panic_hook();

    let mut report = Report::default();
    for case in cases.iter().filter(|case| options.selects(case)) {
        let outcome = if botocore_ignores.ignores(case) {
            Outcome::IgnoredByBotocore
        } else {
            let result = run_input_case(case);
            match skips.find("input", &case.file, &case.id) {
                Some(skip) => Outcome::Skipped {
                    reason: skip.reason.clone(),
                    passes: result.is_ok(),
                },
                None => match result {
                    Ok(()) => Outcome::Passed,
                    Err(failure) => Outcome::Failed(failure),
                },
            }
        };
        report.record(case, outcome);
    }
    if !options.filtered() {
        report.unknown_skips = skips
            .of_kind("input")
            .filter(|skip| {
                skip.case != "*" && !cases.iter().any(|c| c.file == skip.file && c.id == skip.case)
            })
            .map(|skip| format!("line {}: input {} {}", skip.line, skip.file, skip.case))
            .collect();
    }
    report.print(&options, &dir);
    if options.strict && !report.clean() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// What went wrong with one case: a one-line summary and the full story.
struct Failure {
    summary: String,
    details: String,
}

/// Runs one input case; `Err` says what differed.
fn run_input_case(case: &Case) -> Result<(), Failure> {
    let harness = |what: String| Failure {
        summary: format!("harness: {what}"),
        details: String::new(),
    };
    let model = Model::from_json(&case.model.to_string())
        .map_err(|e| harness(format!("the case's model does not load: {e}")))?;
    let metadata = &model.metadata;
    let protocol = Protocol::from_model_name(&metadata.protocol, metadata.json_version.as_deref())
        .ok_or_else(|| harness(format!("unknown protocol {:?}", metadata.protocol)))?;
    let operation = model
        .operation(&case.operation)
        .ok_or_else(|| harness(format!("no operation {}", case.operation)))?;
    let input_name = model.input_of(operation).map(|shape| shape.name.clone());
    let expected = match &input_name {
        Some(input) => to_value(&model, input, &case.body["params"])
            .map_err(|e| harness(format!("params do not fit the input shape: {e}")))?,
        None => Value::empty(),
    };
    let request = request_from_case(case).map_err(|e| harness(format!("bad serialized request: {e}")))?;

    let mut problems = Vec::new();
    match catch(|| {
        protocol
            .identify_operation(&model, &request)
            .map(|op| op.name.clone())
    }) {
        Ok(Ok(name)) if name == case.operation => {}
        Ok(Ok(name)) => problems.push(format!("identify_operation found {name}, not {}", case.operation)),
        Ok(Err(error)) => problems.push(format!("identify_operation failed: {error}")),
        Err(panic) => problems.push(format!("identify_operation panicked: {panic}")),
    }
    let decoded = match catch(|| protocol.decode_request(&model, operation, &request)) {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            problems.push(format!("decode_request failed: {error}"));
            None
        }
        Err(panic) => {
            problems.push(format!("decode_request panicked: {panic}"));
            None
        }
    };
    let mut diffs = Vec::new();
    if let Some(decoded) = &decoded {
        let shape = input_name.as_deref().unwrap_or("");
        diffs = if shape.is_empty() {
            if *decoded == Value::empty() {
                Vec::new()
            } else {
                vec![format!("(top): expected {{}}, got {}", brief(decoded))]
            }
        } else {
            differences(&model, shape, &expected, decoded)
        };
        if !diffs.is_empty() {
            let noun = if diffs.len() == 1 {
                "difference"
            } else {
                "differences"
            };
            problems.push(format!("{} {noun}: {}", diffs.len(), diffs[0]));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }

    let mut details = format!(
        "    suite: {}\n    request: {}\n",
        case.suite,
        describe_request(&request, protocol == Protocol::Cbor)
    );
    for problem in problems.iter().filter(|p| !p.contains(" difference")) {
        details.push_str(&format!("    {problem}\n"));
    }
    details.push_str(&format!("    expected: {}\n", brief_full(&expected)));
    if let Some(decoded) = &decoded {
        details.push_str(&format!("    decoded:  {}\n", brief_full(decoded)));
    }
    for diff in &diffs {
        details.push_str(&format!("      - {diff}\n"));
    }
    Err(Failure {
        summary: problems.join("; "),
        details,
    })
}

/// The whole value on one line (the report is read by people comparing two lines).
fn brief_full(value: &Value) -> String {
    golden::value_json::to_json(value).to_string()
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics inside codecs become failures of their case, not noise on stderr.
fn install_quiet_panic_hook() {
    panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
    }));
}

fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        LAST_PANIC
            .with(|last| last.borrow_mut().take())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

enum Outcome {
    Passed,
    Failed(Failure),
    /// In botocore's own ignore list (the client cannot produce the request).
    IgnoredByBotocore,
    /// In golden-skips.txt; `passes` flags an entry that is no longer needed.
    Skipped {
        reason: String,
        passes: bool,
    },
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

#[derive(Default)]
struct Report {
    /// Per case file, in the order the files were read.
    tallies: Vec<(String, Tally)>,
    failures: Vec<(String, Failure)>,
    stale_skips: Vec<String>,
    unknown_skips: Vec<String>,
    skip_reasons: BTreeMap<String, usize>,
}

impl Report {
    fn record(&mut self, case: &Case, outcome: Outcome) {
        if self.tallies.last().is_none_or(|(file, _)| *file != case.file) {
            self.tallies.push((case.file.clone(), Tally::default()));
        }
        let Some((_, tally)) = self.tallies.last_mut() else {
            return;
        };
        match outcome {
            Outcome::Passed => tally.passed += 1,
            Outcome::Failed(failure) => {
                tally.failed += 1;
                self.failures.push((case.name(), failure));
            }
            Outcome::IgnoredByBotocore => {
                tally.skipped += 1;
                *self
                    .skip_reasons
                    .entry("in botocore's ignore list".to_owned())
                    .or_default() += 1;
            }
            Outcome::Skipped { reason, passes } => {
                tally.skipped += 1;
                *self.skip_reasons.entry(reason).or_default() += 1;
                if passes {
                    self.stale_skips.push(case.name());
                }
            }
        }
    }

    fn clean(&self) -> bool {
        self.failures.is_empty() && self.stale_skips.is_empty() && self.unknown_skips.is_empty()
    }

    fn print(&self, options: &Options, dir: &std::path::Path) {
        println!("golden input vectors from {}", dir.display());
        if self.tallies.is_empty() {
            println!("golden: no case matches the filter");
            return;
        }
        let verbose = options.verbose || options.filtered();
        for (name, failure) in &self.failures {
            println!("FAIL input {name}: {}", failure.summary);
            if verbose && !failure.details.is_empty() {
                print!("{}", failure.details);
            }
        }
        for name in &self.stale_skips {
            println!("STALE SKIP input {name}: passes now; remove it from tests/golden-skips.txt");
        }
        for entry in &self.unknown_skips {
            println!("STALE SKIP {entry}: no such case");
        }
        println!();
        println!("{:<44} {:>5} {:>5} {:>5}", "file", "pass", "fail", "skip");
        let mut total = Tally::default();
        for (file, tally) in &self.tallies {
            println!(
                "{file:<44} {:>5} {:>5} {:>5}",
                tally.passed, tally.failed, tally.skipped
            );
            total.passed += tally.passed;
            total.failed += tally.failed;
            total.skipped += tally.skipped;
        }
        println!(
            "{:<44} {:>5} {:>5} {:>5}",
            "total", total.passed, total.failed, total.skipped
        );
        if !self.skip_reasons.is_empty() {
            println!("skipped because:");
            for (reason, count) in &self.skip_reasons {
                println!("  {count:>4}  {reason}");
            }
        }
        if !verbose && !self.failures.is_empty() {
            println!("(GOLDEN_VERBOSE=1 or a GOLDEN_PROTOCOL/GOLDEN_CASE filter shows each failure in full)");
        }
        if options.strict {
            println!(
                "golden: {} passed, {} failed, {} skipped",
                total.passed,
                total.failed + self.stale_skips.len() + self.unknown_skips.len(),
                total.skipped
            );
        } else {
            // Worded so nothing reads this as a test runner's verdict.
            println!(
                "golden (report only; unset GOLDEN_REPORT_ONLY to enforce): pass {}, fail {}, skip {}",
                total.passed, total.failed, total.skipped
            );
        }
    }
}

/// Command-line and environment knobs (see the top of this file).
struct Options {
    strict: bool,
    verbose: bool,
    list_only: bool,
    protocols: Vec<String>,
    cases: Vec<String>,
}

impl Options {
    fn read() -> Self {
        let flag = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0");
        let list = |name: &str| {
            std::env::var(name)
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let mut cases = list("GOLDEN_CASE");
        let mut list_only = false;
        // libtest's arguments: positional ones are name filters, a few flags take a value.
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--list" => list_only = true,
                "--skip" | "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                    args.next();
                }
                flag if flag.starts_with('-') => {}
                filter => cases.push(filter.to_owned()),
            }
        }
        Options {
            strict: !flag("GOLDEN_REPORT_ONLY"),
            verbose: flag("GOLDEN_VERBOSE"),
            list_only,
            protocols: list("GOLDEN_PROTOCOL"),
            cases,
        }
    }

    fn filtered(&self) -> bool {
        !self.protocols.is_empty() || !self.cases.is_empty()
    }

    fn selects(&self, case: &Case) -> bool {
        let protocol_ok = self.protocols.is_empty()
            || self
                .protocols
                .iter()
                .any(|p| *p == case.protocol || *p == case.file || *p == case.file_stem());
        let name = case.name();
        let case_ok = self.cases.is_empty() || self.cases.iter().any(|c| name.contains(c.as_str()));
        protocol_ok && case_ok
    }
}
