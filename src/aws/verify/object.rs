//! The test object verify uploads: its body, and a key that exercises the
//! event's URL encoding and carries a marker to find its event by.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::docs::Arns;
use crate::spec::Spec;

pub(in crate::aws) const TEST_BODY: &str = "{\"sluice\":\"verify\"}\n";

/// The test object: a key with a space, a `+` and non-ASCII characters, so the
/// event's URL encoding is exercised, and a marker that survives any encoding.
pub(in crate::aws) struct TestObject {
    pub(in crate::aws) key: String,
    /// Only unreserved URL characters: found in the event's key however it is encoded.
    pub(in crate::aws) marker: String,
}

impl TestObject {
    pub(in crate::aws) fn new(spec: &Spec) -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let marker = format!("-{millis}-{:08x}", rand::random::<u32>());
        let key = format!(
            "{}sluice-verify/probe a+b é{marker}{}",
            spec.bucket.prefix, spec.bucket.suffix
        );
        TestObject { key, marker }
    }

    pub(in crate::aws) fn arn(&self, arns: &Arns, bucket: &str) -> String {
        format!("arn:{}:s3:::{bucket}/{}", arns.partition, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_keys_have_a_space_a_plus_and_non_ascii_and_keep_the_filter() {
        let mut spec = crate::spec::starter("acme-ingest", "us-west-2", Some("123456789012"));
        spec.bucket.prefix = "events/".into();
        spec.bucket.suffix = ".json".into();
        let object = TestObject::new(&spec);
        assert!(
            object.key.starts_with("events/sluice-verify/"),
            "{}",
            object.key
        );
        assert!(object.key.ends_with(".json"));
        assert!(object.key.contains(' ') && object.key.contains('+') && !object.key.is_ascii());
        assert!(
            object
                .marker
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        );
        assert!(object.key.contains(&object.marker));
    }
}
