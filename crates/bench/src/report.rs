//! `report`: `make bench`'s one table. Every part of the run writes rows of one shape (JSON Lines):
//! the server matrix and the browser scenarios append them to a file; the micro-benchmarks are read
//! from criterion's own output; the first page's size is read from the site's files and the gzip
//! and brotli variants the server sends. Each part owns its bars; this only puts them side by side.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// DESIGN §8: what the first page loads, gzip.
pub const PAGE_BUDGET: u64 = 300 * 1024;

/// One figure of the run: the player's value, the same run's baseline where there is one, and the
/// bar with its verdict where there is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// `server`, `micro`, `browser` or `bundle`.
    pub part: String,
    pub test: String,
    pub unit: String,
    pub baseline: Option<f64>,
    pub value: f64,
    /// `-` when there is none.
    pub bar: String,
    pub met: Option<bool>,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        self.baseline.filter(|b| *b > 0.0 && b.is_finite()).map(|b| self.value / b)
    }
}

#[derive(Clone, Debug, clap::Args)]
pub struct ReportArgs {
    /// Rows appended by the other parts of the run (JSON Lines).
    #[arg(long)]
    pub rows: Option<PathBuf>,
    /// Criterion's output directory (`CRITERION_HOME`) of this run.
    #[arg(long)]
    pub criterion: Option<PathBuf>,
    /// The files the first page loads; each one's `.gz` and `.br` beside it are what is sent.
    #[arg(long, num_args = 1..)]
    pub first_page: Vec<PathBuf>,
}

pub fn run(a: &ReportArgs) -> crate::Result<String> {
    let mut rows = Vec::new();
    if let Some(path) = &a.rows {
        let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        rows.extend(parse_rows(&text)?);
    }
    if let Some(dir) = &a.criterion {
        rows.extend(criterion_rows(dir)?);
    }
    if !a.first_page.is_empty() {
        rows.extend(bundle_rows(&a.first_page)?);
    }
    Ok(table(&rows))
}

/// Rows of a JSON Lines file; blank lines are skipped.
pub fn parse_rows(text: &str) -> crate::Result<Vec<Row>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("row {}: {e}", i + 1)))
        .collect()
}

/// Appends rows to a JSON Lines file, creating it if needed.
pub fn append_rows(path: &Path, rows: &[Row]) -> crate::Result<()> {
    use std::io::Write as _;
    let mut text = String::new();
    for row in rows {
        text.push_str(&serde_json::to_string(row).map_err(|e| e.to_string())?);
        text.push('\n');
    }
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// One criterion benchmark: its group, name, median in ns per iteration and elements per
/// iteration.
struct Bench {
    group: String,
    name: String,
    median_ns: f64,
    elements: Option<f64>,
}

/// Criterion's `<group>/<bench>/new/{benchmark,estimates}.json`. In each group the benchmark whose
/// name starts with `baseline` is the baseline of the others.
fn criterion_rows(dir: &Path) -> crate::Result<Vec<Row>> {
    let mut benches = Vec::new();
    for file in find_files(dir, "benchmark.json")? {
        let Some(new) = file.parent().filter(|p| p.ends_with("new")) else { continue };
        let read = |path: &Path| -> crate::Result<Value> {
            let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
        };
        let meta = read(&file)?;
        let estimates = read(&new.join("estimates.json"))?;
        benches.push(Bench {
            group: meta["group_id"].as_str().unwrap_or_default().to_owned(),
            name: meta["function_id"].as_str().unwrap_or_default().to_owned(),
            median_ns: estimates["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN),
            elements: meta["throughput"]["Elements"].as_f64(),
        });
    }
    Ok(micro_rows(benches))
}

fn micro_rows(mut benches: Vec<Bench>) -> Vec<Row> {
    benches.sort_by(|a, b| {
        (&a.group, !a.name.starts_with("baseline"), &a.name).cmp(&(
            &b.group,
            !b.name.starts_with("baseline"),
            &b.name,
        ))
    });
    let per_element = |b: &Bench| b.median_ns / b.elements.filter(|n| *n > 0.0).unwrap_or(1.0);
    let mut rows = Vec::new();
    for bench in benches.iter().filter(|b| !b.name.starts_with("baseline")) {
        let baseline = benches.iter().find(|b| b.group == bench.group && b.name.starts_with("baseline"));
        let unit = if bench.elements.is_some() { "ns per item" } else { "ns" };
        let test = match baseline {
            Some(b) => format!("{}: {} vs {}", bench.group, bench.name, strip_baseline(&b.name)),
            None => format!("{}: {}", bench.group, bench.name),
        };
        rows.push(Row {
            part: "micro".into(),
            test,
            unit: unit.into(),
            baseline: baseline.map(per_element),
            value: per_element(bench),
            bar: "-".into(),
            met: None,
        });
    }
    rows
}

fn strip_baseline(name: &str) -> &str {
    name.trim_start_matches("baseline").trim_start_matches([':', ' '])
}

fn find_files(dir: &Path, name: &str) -> crate::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The first page as sent: each file's gzip and brotli variant when the site has one (the server
/// sends the file itself otherwise), and the raw total.
fn bundle_rows(files: &[PathBuf]) -> crate::Result<Vec<Row>> {
    let size = |path: &Path| fs::metadata(path).map(|m| m.len());
    let mut totals = [0u64; 3];
    for file in files {
        let raw = size(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let variant = |suffix: &str| {
            let mut name = file.clone().into_os_string();
            name.push(suffix);
            size(Path::new(&name)).unwrap_or(raw)
        };
        for (total, bytes) in totals.iter_mut().zip([raw, variant(".gz"), variant(".br")]) {
            *total += bytes;
        }
    }
    let row = |what: &str, bytes: u64, bar: Option<u64>| Row {
        part: "bundle".into(),
        test: format!("first page, {what}"),
        unit: "bytes".into(),
        baseline: None,
        value: bytes as f64,
        bar: bar.map_or("-".into(), |b| format!("<= {b}")),
        met: bar.map(|b| bytes <= b),
    };
    Ok(vec![
        row("gzip", totals[1], Some(PAGE_BUDGET)),
        row("brotli", totals[2], None),
        row("raw", totals[0], None),
    ])
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// One markdown table of every row, then how many bars were met.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| part | test | unit | baseline | player | ratio | bar | met? |\n|---|---|---|---:|---:|---:|---|---|\n",
    );
    for r in rows {
        let baseline = r.baseline.map_or("-".into(), num);
        let ratio = r.ratio().map_or("-".into(), |x| format!("{x:.2}x"));
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {baseline} | {} | {ratio} | {} | {met} |",
            r.part,
            r.test,
            r.unit,
            num(r.value),
            r.bar
        );
    }
    let met = rows.iter().filter(|r| r.met == Some(true)).count();
    let missed = rows.iter().filter(|r| r.met == Some(false)).count();
    let _ = write!(out, "\n{met} bars met, {missed} missed.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(group: &str, name: &str, median_ns: f64, elements: Option<f64>) -> Bench {
        Bench { group: group.into(), name: name.into(), median_ns, elements }
    }

    #[test]
    fn micro_rows_are_ratios_to_their_groups_baseline() {
        let rows = micro_rows(vec![
            bench("filter", "cesql", 2_000_000.0, Some(10_000.0)),
            bench("filter", "baseline: wildcards", 1_000_000.0, Some(10_000.0)),
            bench("ingest", "decode", 900.0, None),
            bench("ingest", "baseline: serde_json", 300.0, None),
            bench("sse", "parse", 50.0, None),
        ]);
        let figures: Vec<_> =
            rows.iter().map(|r| (r.test.as_str(), r.baseline, r.value, r.ratio())).collect();
        assert_eq!(
            figures,
            [
                ("filter: cesql vs wildcards", Some(100.0), 200.0, Some(2.0)),
                ("ingest: decode vs serde_json", Some(300.0), 900.0, Some(3.0)),
                ("sse: parse", None, 50.0, None),
            ]
        );
        assert!(rows.iter().all(|r| r.met.is_none() && r.part == "micro"));
    }

    #[test]
    fn rows_round_trip_and_bad_lines_are_named() {
        let row = Row {
            part: "browser".into(),
            test: "post-to-pixel p99".into(),
            unit: "ms".into(),
            baseline: None,
            value: 31.5,
            bar: "<= 25 ms".into(),
            met: Some(false),
        };
        let text =
            format!("{}\n\n{}\n", serde_json::to_string(&row).unwrap(), serde_json::to_string(&row).unwrap());
        assert_eq!(parse_rows(&text).unwrap(), [row.clone(), row]);
        let err = parse_rows("{\"part\":\"x\"}\n").unwrap_err();
        assert!(err.starts_with("row 1:"), "{err}");
    }

    #[test]
    fn the_table_counts_bars_met_and_missed() {
        let row = |value: f64, met: Option<bool>| Row {
            part: "server".into(),
            test: "t".into(),
            unit: "ms".into(),
            baseline: Some(2.0),
            value,
            bar: "<= 1.5x".into(),
            met,
        };
        let out = table(&[row(3.0, Some(true)), row(4.0, Some(false)), row(1.0, None)]);
        assert!(out.contains("| server | t | ms | 2.00 | 4.00 | 2.00x | <= 1.5x | NO |"), "{out}");
        assert!(out.ends_with("1 bars met, 1 missed."), "{out}");
    }

    #[test]
    fn the_bundle_is_counted_as_sent() {
        let dir = std::env::temp_dir().join(format!("cep-report-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("a.wasm"), vec![0u8; 1000]).unwrap();
        fs::write(dir.join("a.wasm.gz"), vec![0u8; 400]).unwrap();
        fs::write(dir.join("a.wasm.br"), vec![0u8; 300]).unwrap();
        // No variants: the file itself is sent.
        fs::write(dir.join("b.css"), vec![0u8; 50]).unwrap();
        let rows = bundle_rows(&[dir.join("a.wasm"), dir.join("b.css")]).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let figures: Vec<_> = rows.iter().map(|r| (r.test.as_str(), r.value, r.met)).collect();
        assert_eq!(
            figures,
            [
                ("first page, gzip", 450.0, Some(true)),
                ("first page, brotli", 350.0, None),
                ("first page, raw", 1050.0, None)
            ]
        );
        assert!(bundle_rows(&[dir.join("missing.wasm")]).is_err());
    }
}
