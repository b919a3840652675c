//! Numbers, sizes and durations as the dashboard shows them. Pure functions.

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate or other non-negative quantity in at most 5 characters: `0`,
/// `0.42`, `12.3`, `842`, `1.2k`, `35k`, `4.1M`.
pub fn short(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "0".to_owned();
    }
    let (value, unit) = if v >= 1e9 {
        (v / 1e9, "G")
    } else if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else if unit.is_empty() && value < 1.0 {
        format!("{value:.2}")
    } else {
        format!("{value:.1}")
    };
    format!("{}{unit}", text.trim_end_matches(".0"))
}

/// Bytes with a decimal unit: `0 B`, `512 B`, `1.2 kB`, `34.5 MB`, `1.02 GB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if n < 1000 {
        return format!("{n} B");
    }
    let mut value = n as f64;
    let mut unit = "B";
    for u in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = u;
    }
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

/// Megabytes per second from bytes per second: `0`, `0.05`, `3.4`, `120`.
pub fn mb_per_sec(bytes_per_sec: f64) -> String {
    short(bytes_per_sec / 1e6)
}

/// Uptime: `0:00:07`, `1:02:03`, `3d 04:05:06`.
pub fn uptime(secs: f64) -> String {
    let total = if secs.is_finite() && secs > 0.0 {
        secs as u64
    } else {
        0
    };
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h}:{m:02}:{s:02}")
    }
}

/// A latency: `850 ms`, `4.2 s`, `3m 12s`, `2h 05m`.
pub fn latency(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".to_owned();
    }
    if secs < 1.0 {
        format!("{:.0} ms", secs * 1000.0)
    } else if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        let s = secs as u64;
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        let s = secs as u64;
        format!("{}h {:02}m", s / 3600, s / 60 % 60)
    }
}

/// A coarse duration for estimates: `~40 s`, `~4 min`, `~2 h`, `~3 d`.
pub fn about(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".to_owned();
    }
    if secs < 90.0 {
        format!("~{:.0} s", secs.max(1.0))
    } else if secs < 90.0 * 60.0 {
        format!("~{:.0} min", secs / 60.0)
    } else if secs < 48.0 * 3600.0 {
        format!("~{:.0} h", secs / 3600.0)
    } else {
        format!("~{:.0} d", secs / 86_400.0)
    }
}

/// The clock part of an RFC 3339 time (`2026-11-22T10:04:05Z` → `10:04:05`).
pub fn clock(rfc3339: &str) -> &str {
    match rfc3339.split_once('T') {
        Some((_, rest)) => rest.get(..8).unwrap_or(rest),
        None => rfc3339,
    }
}

/// `text` cut to `width` characters, keeping its end (`…/2026/11/part-3.gz`).
pub fn tail(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let keep: String = text.chars().skip(n - (width - 1)).collect();
    format!("…{keep}")
}

/// `text` cut to `width` characters, keeping its start (`unexpected end of…`).
pub fn head(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let keep: String = text.chars().take(width - 1).collect();
    format!("{keep}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(0.421), "0.42");
        assert_eq!(short(3.0), "3");
        assert_eq!(short(12.34), "12.3");
        assert_eq!(short(842.2), "842");
        assert_eq!(short(1234.0), "1.2k");
        assert_eq!(short(35_200.0), "35.2k");
        assert_eq!(short(4_100_000.0), "4.1M");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1234), "1.23 kB");
        assert_eq!(bytes(34_500_000), "34.5 MB");
        assert_eq!(bytes(1_020_000_000), "1.02 GB");
        assert_eq!(mb_per_sec(3_400_000.0), "3.4");
    }

    #[test]
    fn durations_and_text() {
        assert_eq!(uptime(7.9), "0:00:07");
        assert_eq!(uptime(3723.0), "1:02:03");
        assert_eq!(uptime(3.0 * 86_400.0 + 14_706.0), "3d 04:05:06");
        assert_eq!(latency(0.85), "850 ms");
        assert_eq!(latency(4.22), "4.2 s");
        assert_eq!(latency(192.0), "3m 12s");
        assert_eq!(latency(7500.0), "2h 05m");
        assert_eq!(about(240.0), "~4 min");
        assert_eq!(clock("2026-11-22T10:04:05Z"), "10:04:05");
        assert_eq!(tail("in/2026/11/22/part-0003.ndjson", 12), "…0003.ndjson");
        assert_eq!(head("unexpected end of input", 10), "unexpecte…");
    }
}
