//! Decoder benchmark: throughput per core, baselines, and peak memory.
//!
//! [`run`] generates log-like datasets in a temporary directory (records of
//! about 330 bytes: timestamp, level, service, host, HTTP method/path/status,
//! latency, user agent, request id, message, tags), decodes each one on the
//! calling thread into a counting null sink (best of three), and in the same
//! run times the baselines: `gzip -dc FILE > /dev/null` on the same gzip
//! object, and Python (`json.loads` per line) on the plain NDJSON. It then
//! decodes one large gzip NDJSON object (1 GiB decompressed at the default
//! size) and reports the peak RSS of that decode: the kernel's high-water
//! mark is reset first (`/proc/self/clear_refs`, value 5) and `VmHWM` read
//! from `/proc/self/status` afterwards.
//!
//! MB are 10^6 bytes; throughput is of the decompressed stream.
//!
//! # Results
//!
//! Reproduce (release build; `sluice bench` runs the same [`run`]):
//!
//! ```text
//! cargo test --release --test it -- --ignored decode::bench_full --nocapture
//! ```
//!
//! Machine: 2 vCPUs (Intel Xeon, KVM guest, AVX2/AVX-512), 24 GiB, Linux
//! 6.18, rustc 1.95, release profile (thin LTO), default `size_mb` 256, while
//! other builds shared the machine (load ~3 on 2 cores). One representative
//! run:
//!
//! | dataset | stored MB | MB | records | s | MB/s | records/s |
//! |---|---:|---:|---:|---:|---:|---:|
//! | sluice ndjson | 256 | 256 | 680001 | 0.196 | 1306 | 3.47M |
//! | sluice ndjson.gz | 26 | 256 | 680001 | 0.309 | 828 | 2.20M |
//! | sluice ndjson.zst | 31 | 256 | 680001 | 0.311 | 822 | 2.18M |
//! | sluice concatenated | 256 | 256 | 681816 | 0.213 | 1203 | 3.20M |
//! | sluice json-array | 256 | 256 | 678195 | 0.205 | 1247 | 3.30M |
//! | sluice csv | 256 | 256 | 1160686 | 0.630 | 407 | 1.84M |
//! | `gzip -dc` (ndjson.gz) | | | | | 279 | |
//! | Python `json.loads` per line (ndjson) | | | | | 78 | |
//!
//! - sluice gzip NDJSON vs `gzip -dc` alone: 2.97x
//! - sluice NDJSON vs Python: 16.7x
//! - peak RSS decoding a 1024 MB (decompressed) gzip object: 6.9 MiB
//!
//! Over four runs: plain NDJSON 1150–1310 MB/s (target ≥ 1 GB/s: met), gzip
//! NDJSON 755–860 MB/s = 2.5–3.0× `gzip -dc` (target ≥ 0.8×: met), Python
//! 13–18× slower, peak RSS 6.1–7.0 MiB (target < 64 MiB: met). CSV is the
//! slow format at 330–430 MB/s: `csv-core`'s byte-at-a-time state machine
//! bounds it. Each sluice figure is the best of three decodes; the datasets
//! sit in the page cache, so the figures exclude disk and network.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::decode::{DecodeOptions, ObjectInfo, RecordBatch, RecordSink, decode};

mod dataset;

use dataset::{Layout, Store, write_dataset};

/// What to benchmark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchOptions {
    /// Decompressed size of each dataset, in MB (default 256). The peak-RSS
    /// object is four times this, at most 1024 MB.
    pub size_mb: u64,
    /// The Python interpreter for the reference baseline (default `python3`).
    pub python: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            size_mb: 256,
            python: None,
        }
    }
}

/// One dataset decoded by sluice.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchRow {
    /// Dataset name (`ndjson`, `ndjson.gz`, `ndjson.zst`, `concatenated`,
    /// `json-array`, `csv`).
    pub dataset: String,
    /// Size of the object as stored (compressed size for `.gz`).
    pub stored_bytes: u64,
    /// Decompressed bytes.
    pub bytes: u64,
    /// Records delivered.
    pub records: u64,
    /// Best wall time of the runs.
    pub seconds: f64,
}

impl BenchRow {
    /// Decompressed MB per second.
    pub fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }

    /// Records per second.
    pub fn records_per_s(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }
}

/// Everything one benchmark run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    /// sluice's own throughput, one row per dataset.
    pub rows: Vec<BenchRow>,
    /// `gzip -dc` on the gzip NDJSON dataset, decompressed MB/s (`None`
    /// when gzip is not installed).
    pub gzip_dc_mb_s: Option<f64>,
    /// Python `json.loads` per line on the plain NDJSON, MB/s (`None` when
    /// the interpreter is missing or failed).
    pub python_mb_s: Option<f64>,
    /// sluice gzip NDJSON throughput ÷ `gzip -dc` throughput.
    pub gzip_ratio: Option<f64>,
    /// sluice plain NDJSON throughput ÷ Python throughput.
    pub python_ratio: Option<f64>,
    /// Decompressed size of the object the peak RSS was measured on.
    pub rss_object_bytes: u64,
    /// Peak RSS while decoding it (`None` where `/proc` cannot tell).
    pub peak_rss_bytes: Option<u64>,
}

/// Counts what it is given and drops it.
#[derive(Default)]
struct NullSink {
    records: u64,
    bytes: u64,
}

impl RecordSink for NullSink {
    fn records(&mut self, batch: RecordBatch<'_>) -> io::Result<()> {
        self.records += batch.len();
        // The records' bytes, without their LFs.
        self.bytes += std::hint::black_box(batch.as_ndjson()).len() as u64 - batch.len();
        Ok(())
    }
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> io::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("sluice-bench-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Decodes `path` once; returns the row with this run's time.
fn decode_file(path: &Path, dataset: &str, key: &str) -> io::Result<BenchRow> {
    let file = File::open(path)?;
    let stored_bytes = file.metadata()?.len();
    let info = ObjectInfo {
        key,
        content_encoding: None,
        content_type: None,
        size: Some(stored_bytes),
    };
    let mut sink = NullSink::default();
    let mut errors = 0u64;
    let start = Instant::now();
    let summary = decode(
        file,
        &info,
        &DecodeOptions::default(),
        &mut sink,
        &mut |_| errors += 1,
    )
    .map_err(io::Error::other)?;
    let seconds = start.elapsed().as_secs_f64();
    if errors > 0 || summary.errors > 0 {
        return Err(io::Error::other(format!(
            "{dataset}: {errors} unexpected record errors"
        )));
    }
    Ok(BenchRow {
        dataset: dataset.to_owned(),
        stored_bytes,
        bytes: summary.bytes_out,
        records: summary.records,
        seconds,
    })
}

fn best_of(runs: usize, mut f: impl FnMut() -> io::Result<BenchRow>) -> io::Result<BenchRow> {
    let mut best = f()?;
    for _ in 1..runs {
        let row = f()?;
        if row.seconds < best.seconds {
            best = row;
        }
    }
    Ok(best)
}

/// Wall time of a command with stdout to /dev/null; `None` if it cannot run
/// or fails.
fn time_command(command: &mut Command) -> Option<Duration> {
    let start = Instant::now();
    let status = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let elapsed = start.elapsed();
    status.success().then_some(elapsed)
}

/// Like [`time_command`], also returning what the command printed.
fn time_command_output(command: &mut Command) -> Option<(Duration, String)> {
    let start = Instant::now();
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let elapsed = start.elapsed();
    output.status.success().then(|| {
        (
            elapsed,
            String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        )
    })
}

const PYTHON_REFERENCE: &str = "
import json, sys
n = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        if line.strip():
            json.loads(line)
            n += 1
print(n)
";

/// A `VmHWM`/`VmRSS`-style line of `/proc/self/status`, in bytes.
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Peak RSS of decoding `path`, with the high-water mark reset first.
fn peak_rss_of_decode(path: &Path) -> io::Result<Option<u64>> {
    // "5" resets VmHWM to the current RSS (Linux 4.0+).
    let reset = fs::write("/proc/self/clear_refs", "5").is_ok();
    let row = decode_file(path, "rss", "big.ndjson.gz")?;
    std::hint::black_box(row);
    Ok(if reset {
        proc_status_kib("VmHWM")
    } else {
        None
    })
}

fn fmt_opt(value: Option<f64>, suffix: &str) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}{suffix}"))
}

/// Runs the benchmark, printing progress and a Markdown table to `out`.
///
/// # Errors
///
/// Creating or writing the datasets, decoding them (any record error is a
/// failure: the datasets are valid), or writing to `out`. Missing baselines
/// (`gzip`, Python) are reported as `n/a`, not errors.
pub fn run(options: &BenchOptions, out: &mut dyn Write) -> io::Result<BenchReport> {
    let size = options.size_mb.max(1) * 1_000_000;
    let dir = TempDir::new()?;
    let p = |name: &str| dir.0.join(name);
    writeln!(
        out,
        "generating {} MB datasets in {}",
        options.size_mb.max(1),
        dir.0.display()
    )?;
    write_dataset(&p("logs.ndjson"), Layout::Ndjson, size, Store::Plain)?;
    write_dataset(&p("logs.ndjson.gz"), Layout::Ndjson, size, Store::Gzip(6))?;
    write_dataset(&p("logs.ndjson.zst"), Layout::Ndjson, size, Store::Zstd(3))?;
    write_dataset(
        &p("logs.concatenated"),
        Layout::Concatenated,
        size,
        Store::Plain,
    )?;
    write_dataset(&p("logs.array.json"), Layout::Array, size, Store::Plain)?;
    write_dataset(&p("logs.csv"), Layout::Csv, size, Store::Plain)?;

    let datasets = [
        ("ndjson", "logs.ndjson", "logs/2025/06/01/a.ndjson"),
        ("ndjson.gz", "logs.ndjson.gz", "logs/2025/06/01/a.ndjson.gz"),
        (
            "ndjson.zst",
            "logs.ndjson.zst",
            "logs/2025/06/01/a.ndjson.zst",
        ),
        ("concatenated", "logs.concatenated", "firehose/2025/06/01/a"),
        ("json-array", "logs.array.json", "exports/a.json"),
        ("csv", "logs.csv", "exports/a.csv"),
    ];
    let mut rows = Vec::new();
    for (dataset, file, key) in datasets {
        writeln!(out, "decoding {dataset}")?;
        rows.push(best_of(3, || decode_file(&p(file), dataset, key))?);
    }

    writeln!(out, "timing gzip -dc")?;
    let gz_path = p("logs.ndjson.gz");
    let gzip_secs = (0..3)
        .filter_map(|_| time_command(Command::new("gzip").arg("-dc").arg(&gz_path)))
        .min();
    writeln!(out, "timing the Python reference")?;
    let python = options
        .python
        .clone()
        .unwrap_or_else(|| PathBuf::from("python3"));
    let row = |name: &str| rows.iter().find(|r| r.dataset == name);
    // Only a run that parsed every record counts.
    let python_secs = time_command_output(
        Command::new(&python)
            .arg("-c")
            .arg(PYTHON_REFERENCE)
            .arg(p("logs.ndjson")),
    )
    .filter(|(_, printed)| {
        Some(printed.as_str()) == row("ndjson").map(|r| r.records.to_string()).as_deref()
    })
    .map(|(elapsed, _)| elapsed);

    let plain = row("ndjson").map_or(0, |r| r.bytes);
    let gz_bytes = row("ndjson.gz").map_or(0, |r| r.bytes);
    let gzip_dc_mb_s = gzip_secs.map(|d| gz_bytes as f64 / 1e6 / d.as_secs_f64());
    let python_mb_s = python_secs.map(|d| plain as f64 / 1e6 / d.as_secs_f64());
    let gzip_ratio = gzip_dc_mb_s
        .zip(row("ndjson.gz"))
        .map(|(base, r)| r.mb_per_s() / base);
    let python_ratio = python_mb_s
        .zip(row("ndjson"))
        .map(|(base, r)| r.mb_per_s() / base);

    let rss_size = (size * 4).min(1_024 * 1024 * 1024);
    writeln!(
        out,
        "peak RSS: decoding a {} MB gzip NDJSON object",
        rss_size / 1_000_000
    )?;
    let big = p("big.ndjson.gz");
    write_dataset(&big, Layout::Ndjson, rss_size, Store::Gzip(1))?;
    let peak_rss_bytes = peak_rss_of_decode(&big)?;
    let rss_object_bytes = rss_size;

    let report = BenchReport {
        rows,
        gzip_dc_mb_s,
        python_mb_s,
        gzip_ratio,
        python_ratio,
        rss_object_bytes,
        peak_rss_bytes,
    };
    write_table(&report, out)?;
    Ok(report)
}

/// Prints the report as Markdown.
fn write_table(report: &BenchReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "| dataset | stored MB | MB | records | s | MB/s | records/s |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|")?;
    for r in &report.rows {
        writeln!(
            out,
            "| sluice {} | {:.0} | {:.0} | {} | {:.3} | {:.0} | {:.2}M |",
            r.dataset,
            r.stored_bytes as f64 / 1e6,
            r.bytes as f64 / 1e6,
            r.records,
            r.seconds,
            r.mb_per_s(),
            r.records_per_s() / 1e6
        )?;
    }
    writeln!(
        out,
        "| `gzip -dc` (ndjson.gz) | | | | | {} | |",
        fmt_opt(report.gzip_dc_mb_s, "")
    )?;
    writeln!(
        out,
        "| Python `json.loads` per line (ndjson) | | | | | {} | |",
        fmt_opt(report.python_mb_s, "")
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "- sluice gzip NDJSON vs `gzip -dc` alone: {}",
        report
            .gzip_ratio
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}x"))
    )?;
    writeln!(
        out,
        "- sluice NDJSON vs Python: {}",
        report
            .python_ratio
            .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1}x"))
    )?;
    writeln!(
        out,
        "- peak RSS decoding a {} MB (decompressed) gzip object: {}",
        report.rss_object_bytes / 1_000_000,
        report.peak_rss_bytes.map_or_else(
            || "n/a".to_owned(),
            |b| format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0)
        )
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
