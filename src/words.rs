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

#[cfg(test)]
mod tests {
    use super::*;

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
