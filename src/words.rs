//! Counted nouns in what users read: `count(1, "message")` is "1 message",
//! `count(3, "entry")` is "3 entries". One place, so that no message says
//! "1 messages" or "message(s)".

use std::fmt::Display;

/// `n` and `noun`, the noun in the plural unless `n` is one.
pub fn count<N>(n: N, noun: &str) -> String
where
    N: TryInto<u64> + Display + Copy,
{
    format!("{n} {}", noun_for(n, noun))
}

/// `noun` as it goes with `n` (without the number).
pub fn noun_for<N>(n: N, noun: &str) -> String
where
    N: TryInto<u64> + Copy,
{
    if n.try_into().ok() == Some(1) {
        noun.to_owned()
    } else {
        plural(noun)
    }
}

/// The English plural of a regular noun: entry → entries, access key → access keys.
pub fn plural(noun: &str) -> String {
    let consonant_y = noun.len() > 1
        && noun.ends_with('y')
        && !noun[..noun.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if consonant_y {
        format!("{}ies", &noun[..noun.len() - 1])
    } else if noun.ends_with(['s', 'x']) || noun.ends_with("ch") || noun.ends_with("sh") {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

/// A span of seconds as people say it: `42 s`, `3 min 20 s`, `2 h 5 min`,
/// `3 d 4 h`.
pub fn duration_secs(secs: f64) -> String {
    // Whole seconds: CloudWatch's ages and alarm times are whole.
    let s = if secs.is_finite() && secs > 0.0 {
        secs.round() as u64
    } else {
        0
    };
    match s {
        0..60 => format!("{s} s"),
        60..3600 if s % 60 == 0 => format!("{} min", s / 60),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86_400 if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ if s % 86_400 / 3600 == 0 => format!("{} d", s / 86_400),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A moment given in seconds since the epoch, in UTC, with how long ago it
/// was: `2026-12-06 21:03 UTC (13 min ago)`.
pub fn since_epoch(at: i64) -> String {
    let Some(when) = chrono::DateTime::from_timestamp(at, 0) else {
        return format!("{at} (seconds since 1970)");
    };
    let ago = chrono::Utc::now().timestamp().saturating_sub(at);
    let stamp = when.format("%Y-%m-%d %H:%M UTC");
    if ago < 0 {
        stamp.to_string()
    } else {
        // Exact seconds below a minute are noise here: whole minutes.
        let rounded = if ago < 60 { ago } else { ago / 60 * 60 };
        format!("{stamp} ({} ago)", duration_secs(rounded as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_secs(0.0), "0 s");
        assert_eq!(duration_secs(41.6), "42 s");
        assert_eq!(duration_secs(1800.0), "30 min");
        assert_eq!(duration_secs(200.0), "3 min 20 s");
        assert_eq!(duration_secs(7500.0), "2 h 5 min");
        assert_eq!(duration_secs(7200.0), "2 h");
        assert_eq!(duration_secs(273_600.0), "3 d 4 h");
        assert_eq!(duration_secs(f64::NAN), "0 s");
        assert!(since_epoch(0).starts_with("1970-01-01 00:00 UTC ("));
    }

    #[test]
    fn one_is_singular_everything_else_plural() {
        assert_eq!(count(1usize, "message"), "1 message");
        assert_eq!(count(0u64, "message"), "0 messages");
        assert_eq!(count(2u32, "identity"), "2 identities");
        assert_eq!(count(1i64, "identity"), "1 identity");
        assert_eq!(count(3usize, "access key"), "3 access keys");
        assert_eq!(count(2usize, "day"), "2 days");
        assert_eq!(count(2usize, "box"), "2 boxes");
        assert_eq!(noun_for(5usize, "entry"), "entries");
    }
}
