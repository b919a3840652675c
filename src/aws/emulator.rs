//! Compatibility with AWS emulators.
//!
//! moto answers an empty bucket notification or versioning configuration with
//! a self-closing `<GetBucketNotificationResponse/>` or
//! `<GetBucketVersioningResponse/>` root, where S3 sends
//! `<NotificationConfiguration/>` / `<VersioningConfiguration/>`; the SDK
//! rightly refuses the former. [`is_empty_answer`] recognises such an answer
//! in the error it causes, so callers can read it as the empty configuration.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;

/// Empty response roots some emulators send, with the roots S3 sends.
const RENAMES: &[(&str, &str)] = &[
    ("GetBucketNotificationResponse", "NotificationConfiguration"),
    (
        "GetBucketNotificationConfigurationResponse",
        "NotificationConfiguration",
    ),
    ("GetBucketVersioningResponse", "VersioningConfiguration"),
];

/// The fixed body, when `body` is an empty root that needs renaming.
pub fn fix_empty_root(body: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(body).ok()?;
    let trimmed = text.trim();
    let start = trimmed.rfind('<')?;
    let element = &trimmed[start..];
    if !element.ends_with("/>") || trimmed[..start].contains("<G") {
        return None;
    }
    RENAMES.iter().find_map(|(from, to)| {
        let open = format!("<{from}");
        element
            .starts_with(&open)
            .then(|| format!("{}<{to}{}", &trimmed[..start], &element[open.len()..]).into_bytes())
    })
}

/// Whether `err` is a successful answer whose body is an emulator's empty root.
pub fn is_empty_answer<E>(err: &SdkError<E, HttpResponse>) -> bool {
    matches!(err, SdkError::ServiceError(_))
        && err.raw_response().is_some_and(|r| {
            r.status().is_success() && r.body().bytes().and_then(fix_empty_root).is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_only_empty_known_roots() {
        let moto = br#"<?xml version="1.0" encoding="utf-8"?>
<GetBucketNotificationResponse xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#;
        let fixed = String::from_utf8(fix_empty_root(moto).unwrap()).unwrap();
        assert_eq!(
            fixed,
            r#"<?xml version="1.0" encoding="utf-8"?>
<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>"#
        );
        assert!(fix_empty_root(b"<VersioningConfiguration/>").is_none());
        assert!(fix_empty_root(b"<GetBucketVersioningResponse><Status>Enabled</Status></GetBucketVersioningResponse>").is_none());
        assert!(fix_empty_root(b"<GetObjectResponse/>").is_none());
        assert!(fix_empty_root(&[0xff, 0xfe]).is_none());
    }
}
