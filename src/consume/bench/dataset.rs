//! The benchmark's datasets: log-like records from a deterministic
//! generator, written as NDJSON, concatenated JSON, a JSON array or CSV,
//! stored plain, gzip or zstd.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// A tiny deterministic generator (xorshift64*), so datasets are the same
/// every run without pulling a RNG into the hot loop.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// One log event's fields, rendered by each dataset's writer.
struct Event<'a> {
    ts: String,
    level: &'a str,
    service: &'a str,
    host: String,
    method: &'a str,
    path: &'a str,
    status: u32,
    latency_ms: f64,
    bytes: u64,
    user_agent: &'a str,
    request_id: u64,
    msg: &'a str,
    region: &'a str,
}

fn event(rng: &mut Rng, i: u64) -> Event<'static> {
    let r = rng.next();
    Event {
        ts: format!(
            "2025-06-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + (i / 86_400_000) % 28,
            (i / 3_600_000) % 24,
            (i / 60_000) % 60,
            (i / 1000) % 60,
            i % 1000
        ),
        level: rng.pick(&["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]),
        service: rng.pick(&["checkout-api", "payments", "search", "auth", "inventory"]),
        host: format!("ip-10-0-{}-{}.ec2.internal", r % 256, (r >> 8) % 256),
        method: rng.pick(&["GET", "GET", "POST", "PUT", "DELETE"]),
        path: rng.pick(&[
            "/api/v1/users/12345/profile",
            "/api/v2/orders?limit=50&cursor=eyJpZCI6MTIzfQ",
            "/healthz",
            "/static/js/app.8f3c2a.js",
            "/api/v1/cart/items",
        ]),
        status: [200, 200, 200, 201, 204, 301, 404, 500][(r >> 16) as usize % 8],
        latency_ms: ((r >> 24) % 500_000) as f64 / 100.0,
        bytes: (r >> 32) % 2_000_000,
        user_agent: rng.pick(&[
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "curl/8.5.0",
            "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5",
        ]),
        request_id: rng.next(),
        msg: rng.pick(&[
            "request completed",
            "upstream timeout, retrying",
            "cache miss for key \"user:12345\"",
            "payment declined: insufficient funds",
        ]),
        region: rng.pick(&["eu-west-1", "us-east-1", "ap-southeast-2"]),
    }
}

fn write_json(out: &mut impl Write, e: &Event<'_>) -> io::Result<()> {
    write!(
        out,
        r#"{{"ts":"{}","level":"{}","service":"{}","host":"{}","method":"{}","path":"{}","status":{},"latency_ms":{},"bytes":{},"user_agent":"{}","request_id":"{:016x}","msg":"{}","tags":["prod","{}"],"retry":{}}}"#,
        e.ts,
        e.level,
        e.service,
        e.host,
        e.method,
        e.path,
        e.status,
        e.latency_ms,
        e.bytes,
        e.user_agent,
        e.request_id,
        e.msg.replace('"', "\\\""),
        e.region,
        e.status >= 500
    )
}

const CSV_HEADER: &str =
    "ts,level,service,host,method,path,status,latency_ms,bytes,user_agent,request_id,msg,region\n";

fn write_csv(out: &mut impl Write, e: &Event<'_>) -> io::Result<()> {
    writeln!(
        out,
        "{},{},{},{},{},{},{},{},{},\"{}\",{:016x},\"{}\",{}",
        e.ts,
        e.level,
        e.service,
        e.host,
        e.method,
        e.path,
        e.status,
        e.latency_ms,
        e.bytes,
        e.user_agent,
        e.request_id,
        e.msg.replace('"', "\"\""),
        e.region
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    Ndjson,
    /// Values back to back with no separator (as Kinesis Firehose writes).
    Concatenated,
    /// `[` newline, one element per line, `]`.
    Array,
    Csv,
}

/// Writes about `size` bytes of records in `layout` to `out`.
pub(super) fn generate(out: &mut impl Write, layout: Layout, size: u64) -> io::Result<u64> {
    let mut counter = Counter {
        inner: out,
        written: 0,
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    match layout {
        Layout::Array => counter.write_all(b"[\n")?,
        Layout::Csv => counter.write_all(CSV_HEADER.as_bytes())?,
        Layout::Ndjson | Layout::Concatenated => {}
    }
    let mut i = 0u64;
    while counter.written < size {
        let e = event(&mut rng, i * 37);
        match layout {
            Layout::Ndjson => {
                write_json(&mut counter, &e)?;
                counter.write_all(b"\n")?;
            }
            Layout::Concatenated => write_json(&mut counter, &e)?,
            Layout::Array => {
                if i > 0 {
                    counter.write_all(b",\n")?;
                }
                write_json(&mut counter, &e)?;
            }
            Layout::Csv => write_csv(&mut counter, &e)?,
        }
        i += 1;
    }
    if layout == Layout::Array {
        counter.write_all(b"\n]\n")?;
    }
    Ok(i)
}

struct Counter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// How a dataset file is stored.
#[derive(Clone, Copy)]
pub(super) enum Store {
    Plain,
    Gzip(u32),
    Zstd(i32),
}

pub(super) fn write_dataset(
    path: &Path,
    layout: Layout,
    size: u64,
    store: Store,
) -> io::Result<()> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    match store {
        Store::Plain => {
            let mut file = file;
            generate(&mut file, layout, size)?;
            file.flush()?;
        }
        Store::Zstd(level) => {
            let mut zst = zstd::stream::write::Encoder::new(file, level)?;
            let mut buffered = BufWriter::with_capacity(1 << 20, &mut zst);
            generate(&mut buffered, layout, size)?;
            buffered.flush()?;
            drop(buffered);
            zst.finish()?.flush()?;
        }
        Store::Gzip(level) => {
            let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::new(level));
            let mut buffered = BufWriter::with_capacity(1 << 20, &mut gz);
            generate(&mut buffered, layout, size)?;
            buffered.flush()?;
            drop(buffered);
            gz.finish()?.flush()?;
        }
    }
    Ok(())
}
