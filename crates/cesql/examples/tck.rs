//! Runs the CESQL conformance suite (the TCK's yaml files) against this crate.
//!
//! `cargo run -p cesql --features json --example tck -- <directory with the yaml files>`
//!
//! Prints one line per file and each failing case, then the totals; exits 1 on any failure.

use std::path::Path;
use std::process::ExitCode;

use cesql::{ErrorKind, Expression, Value};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

#[derive(Deserialize)]
struct Suite {
    name: String,
    tests: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    name: String,
    expression: String,
    result: Option<Json>,
    error: Option<String>,
    event: Option<Map<String, Json>>,
    event_overrides: Option<Map<String, Json>>,
}

/// The event a case runs against: its own, or a valid default with its overrides applied.
fn event_of(case: &Case) -> Map<String, Json> {
    let mut event = case.event.clone().unwrap_or_else(|| {
        let default = serde_json::json!({
            "specversion": "1.0",
            "id": "tck-id",
            "source": "http://localhost/tck",
            "type": "io.cloudevents.tck",
        });
        default.as_object().cloned().unwrap_or_default()
    });
    for (k, v) in case.event_overrides.iter().flatten() {
        event.insert(k.clone(), v.clone());
    }
    event
}

fn expected_value(json: &Json) -> Option<Value> {
    match json {
        Json::Bool(b) => Some(Value::Boolean(*b)),
        Json::Number(n) => n.as_i64().and_then(|i| i32::try_from(i).ok()).map(Value::Integer),
        Json::String(s) => Some(Value::String(s.clone())),
        _ => None,
    }
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::MissingAttribute => "missingAttribute",
        ErrorKind::Cast => "cast",
        ErrorKind::Math => "math",
        ErrorKind::MissingFunction => "missingFunction",
        ErrorKind::FunctionEvaluation => "functionEvaluation",
        ErrorKind::Generic => "generic",
    }
}

/// `None` when the case passes, else why not.
fn run(case: &Case) -> Option<String> {
    let expression = match Expression::parse(&case.expression) {
        Ok(e) => e,
        Err(e) if case.error.as_deref() == Some("parse") => {
            let _ = e;
            return None;
        }
        Err(e) => return Some(format!("parse error: {e}")),
    };
    if case.error.as_deref() == Some("parse") {
        return Some(format!("parsed as {expression}, expected a parse error"));
    }
    // The canonical text must read back as the same expression.
    match Expression::parse(&expression.to_string()) {
        Ok(again) if again == expression => {}
        other => return Some(format!("canonical text {expression} reads back as {other:?}")),
    }
    let event = event_of(case);
    let got = expression.evaluate(&event);
    let kinds: Vec<_> = got.errors.iter().map(|e| kind_name(e.kind)).collect();
    if let Some(want) = &case.result {
        match expected_value(want) {
            Some(want) if want == got.value => {}
            want => return Some(format!("value {:?}, expected {want:?}", got.value)),
        }
    }
    match &case.error {
        None if !kinds.is_empty() => Some(format!("errors {kinds:?}, expected none")),
        Some(want) if !kinds.contains(&want.as_str()) => Some(format!("errors {kinds:?}, expected {want}")),
        _ => None,
    }
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: tck <directory with the TCK yaml files>");
        return ExitCode::from(2);
    };
    let mut files: Vec<_> = match std::fs::read_dir(Path::new(&dir)) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            return ExitCode::from(2);
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    for path in &files {
        let suite: Suite = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_yaml_ng::from_str(&text).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(e) => {
                eprintln!("FAIL {}: cannot read: {e}", path.display());
                failed += 1;
                continue;
            }
        };
        let failures: Vec<_> = suite.tests.iter().filter_map(|c| run(c).map(|why| (c, why))).collect();
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let status = if failures.is_empty() { "pass" } else { "FAIL" };
        println!(
            "{status} {file} ({}): {}/{} cases",
            suite.name,
            suite.tests.len() - failures.len(),
            suite.tests.len()
        );
        for (case, why) in &failures {
            println!("    {}: `{}`: {why}", case.name, case.expression);
        }
        passed += suite.tests.len() - failures.len();
        failed += failures.len();
    }
    println!("{} files, {passed} cases passed, {failed} failed", files.len());
    if failed == 0 && passed > 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
