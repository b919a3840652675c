//! One error type for every AWS call, classified by AWS's error code first
//! (the HTTP status only when there is no code), so callers can treat "not
//! found" as a state, name the missing permission on "access denied", and
//! tell expired, unknown or mis-signed credentials from a missing permission
//! (all three answer HTTP 403 too). Each front end words its own advice.

use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AccessDenied,
    Throttled,
    /// No credentials, or credentials AWS refused: see
    /// [`AwsError::credential_problem`] for which.
    Credentials,
    Network,
    Other,
}

/// What is wrong with the credentials, in AWS's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialProblem {
    /// ExpiredToken: a session (SSO, an assumed role) ended.
    Expired,
    /// InvalidClientTokenId, UnrecognizedClientException,
    /// InvalidAccessKeyId: AWS does not know the key (deleted, mistyped,
    /// or made moments ago and not yet seen everywhere).
    Invalid,
    /// SignatureDoesNotMatch and kin: the secret does not go with the key
    /// id, or the clock is off.
    Signature,
    /// None could be loaded: the credential provider's own cause is the message.
    Missing,
}

/// A failed AWS call: which action on which resource, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    /// The IAM action, e.g. `s3:GetBucketPolicy`: what to grant on AccessDenied.
    pub action: &'static str,
    pub resource: String,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
}

impl AwsError {
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// What is wrong with the credentials, when that is the error.
    pub fn credential_problem(&self) -> Option<CredentialProblem> {
        if self.kind != ErrorKind::Credentials {
            return None;
        }
        let code = self.code.as_deref().unwrap_or_default();
        Some(if EXPIRED_CODES.contains(&code) {
            CredentialProblem::Expired
        } else if INVALID_KEY_CODES.contains(&code) {
            CredentialProblem::Invalid
        } else if SIGNATURE_CODES.contains(&code) {
            CredentialProblem::Signature
        } else {
            CredentialProblem::Missing
        })
    }

    /// The bucket's region, when S3 answered that the bucket is in another
    /// one (301 PermanentRedirect with `x-amz-bucket-region`).
    pub fn bucket_region(&self) -> Option<&str> {
        self.message
            .strip_prefix("the bucket is in ")
            .and_then(|rest| rest.split_once(", not in the region the request went to"))
            .map(|(region, _)| region)
    }

    /// Whether the error is AWS's own code `code` (SQS's legacy query code
    /// `AWS.SimpleQueueService.X` counts as `X`).
    pub fn is_code(&self, code: &str) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c == code || c.strip_prefix("AWS.SimpleQueueService.") == Some(code))
    }

    pub fn new(
        action: &'static str,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AwsError {
            action,
            resource: resource.into(),
            kind: ErrorKind::Other,
            code: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.credential_problem() {
            Some(CredentialProblem::Missing) => return f.write_str(&self.message),
            Some(CredentialProblem::Expired) => Some("the AWS credentials have expired"),
            Some(CredentialProblem::Invalid) => {
                Some("AWS does not recognise the access key (or its session token)")
            }
            Some(CredentialProblem::Signature) => Some(
                "AWS refused the request's signature: the secret access key does not go with the key id, or this machine's clock is off",
            ),
            None => None,
        };
        if let Some(what) = what {
            write!(f, "{} on {} failed: {what}", self.action, self.resource)?;
            return match (&self.code, self.message.is_empty()) {
                (Some(code), false) => write!(f, " ({code}: {})", self.message),
                (Some(code), true) => write!(f, " ({code})"),
                (None, _) => Ok(()),
            };
        }
        match self.kind {
            ErrorKind::Throttled => write!(
                f,
                "{} on {} failed: AWS throttled the requests ({}: {})",
                self.action,
                self.resource,
                self.code.as_deref().unwrap_or("throttled"),
                self.message
            ),
            ErrorKind::AccessDenied => write!(
                f,
                "access denied to {} on {}: the caller needs permission for {} ({})",
                self.action, self.resource, self.action, self.message
            ),
            _ => {
                write!(f, "{} on {} failed", self.action, self.resource)?;
                if let Some(code) = &self.code {
                    write!(f, ": {code}")?;
                }
                if !self.message.is_empty() {
                    write!(f, ": {}", self.message)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for AwsError {}

const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchEntity",
    "NoSuchBucket",
    "NotFound",
    "NoSuchKey",
    "NoSuchVersion",
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFoundException",
    // CloudWatch's, for an alarm (ListTagsForResource, SetAlarmState).
    "ResourceNotFound",
];

const DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AuthorizationError",
    "Forbidden",
    "UnauthorizedOperation",
];

const THROTTLED_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "SlowDown",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
];

const EXPIRED_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "TokenRefreshRequired",
];

const INVALID_KEY_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "InvalidToken",
    "AuthFailure",
];

const SIGNATURE_CODES: &[&str] = &[
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
];

/// Awaits one SDK call, its error classified as `action` on `resource`:
/// the calls whose builders differ only in type (a role's, a user's and a
/// group's detach) share their handling through it.
pub async fn sent<T, E>(
    action: &'static str,
    resource: impl Into<String>,
    call: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    call.await.map_err(|e| classify(action, resource, e))
}

/// Classifies any SDK error of any of the four clients.
pub fn classify<E>(
    action: &'static str,
    resource: impl Into<String>,
    err: SdkError<E, HttpResponse>,
) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let message = err
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
    // SQS's JSON protocol reports the legacy query code, AWS.SimpleQueueService.X.
    let is = |codes: &[&str]| {
        code.as_deref().is_some_and(|c| {
            codes.contains(&c)
                || c.strip_prefix("AWS.SimpleQueueService.")
                    .is_some_and(|c| codes.contains(&c))
        })
    };
    let kind = match &err {
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => ErrorKind::Network,
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            let text = DisplayErrorContext(&err).to_string();
            if text.contains("credentials") || text.contains("Credentials") {
                ErrorKind::Credentials
            } else {
                ErrorKind::Network
            }
        }
        SdkError::TimeoutError(_) => ErrorKind::Network,
        // AWS's code first: an expired session, an unknown key and a bad
        // signature answer 403 too, and are not a missing permission.
        _ if is(EXPIRED_CODES) || is(INVALID_KEY_CODES) || is(SIGNATURE_CODES) => {
            ErrorKind::Credentials
        }
        _ if is(DENIED_CODES) => ErrorKind::AccessDenied,
        _ if is(THROTTLED_CODES) => ErrorKind::Throttled,
        _ if is(NOT_FOUND_CODES) => ErrorKind::NotFound,
        _ if status == Some(404) => ErrorKind::NotFound,
        _ if status == Some(403) => ErrorKind::AccessDenied,
        _ if status == Some(429) || status == Some(503) => ErrorKind::Throttled,
        _ => ErrorKind::Other,
    };
    // S3 answers a request for a bucket of another region with 301 (400 in
    // regions launched since 2019), the bucket's region in a header and, for
    // HEAD, no body at all.
    let bucket_region = err
        .raw_response()
        .filter(|r| matches!(r.status().as_u16(), 301 | 400))
        .and_then(|r| r.headers().get("x-amz-bucket-region"))
        .map(str::to_owned);
    let message = match (kind, status, &code) {
        _ if bucket_region.is_some() => format!(
            "the bucket is in {}, not in the region the request went to (S3 answered {} PermanentRedirect)",
            bucket_region.as_deref().unwrap_or_default(),
            status.unwrap_or(301)
        ),
        _ if matches!(err, SdkError::TimeoutError(_)) => {
            // "operation timeout (all attempts including retries) occurred after 2s"
            let what = std::error::Error::source(&err)
                .map_or_else(|| "no answer in time".to_owned(), ToString::to_string);
            format!("timed out: {what} (--timeout SECS sets the limit)")
        }
        (ErrorKind::NotFound, Some(404), None) => "not found".to_owned(),
        (ErrorKind::AccessDenied, Some(403), None) => "forbidden".to_owned(),
        _ => message,
    };
    let code = match bucket_region {
        Some(_) => code.or_else(|| Some("PermanentRedirect".to_owned())),
        None => code,
    };
    AwsError {
        action,
        resource: resource.into(),
        kind,
        code,
        message,
    }
}

/// What reading a resource found. `Ok(None)`: it does not exist. `Err`: it
/// could not be read.
pub type Observed<T> = Result<Option<T>, AwsError>;

/// `Ok(None)` for "not found", the error otherwise.
pub fn optional<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::primitives::SdkBody;
    use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;

    fn answered(status: u16, code: Option<&str>, message: &str) -> AwsError {
        let mut meta = ErrorMetadata::builder().message(message);
        if let Some(code) = code {
            meta = meta.code(code);
        }
        let raw = HttpResponse::new(
            status
                .try_into()
                .unwrap_or_else(|_| unreachable!("a valid status")),
            SdkBody::empty(),
        );
        classify(
            "sqs:ReceiveMessage",
            "q",
            SdkError::service_error(GetCallerIdentityError::generic(meta.build()), raw),
        )
    }

    #[test]
    fn a_bucket_of_another_region_is_named_from_the_header() {
        let mut raw = HttpResponse::new(
            301u16
                .try_into()
                .unwrap_or_else(|_| unreachable!("a valid status")),
            SdkBody::empty(),
        );
        raw.headers_mut().insert("x-amz-bucket-region", "eu-west-1");
        let e = classify(
            "s3:ListBucket",
            "b",
            SdkError::service_error(
                GetCallerIdentityError::generic(ErrorMetadata::builder().build()),
                raw,
            ),
        );
        assert_eq!(e.bucket_region(), Some("eu-west-1"));
        assert!(e.to_string().contains("the bucket is in eu-west-1"), "{e}");
        assert!(!e.to_string().contains("DispatchFailure"), "{e}");
        assert_eq!(answered(403, None, "").bucket_region(), None);
    }

    #[test]
    fn the_code_decides_before_the_status() {
        let expired = answered(
            403,
            Some("ExpiredToken"),
            "The security token included in the request is expired",
        );
        assert_eq!(expired.kind, ErrorKind::Credentials);
        assert_eq!(
            expired.credential_problem(),
            Some(CredentialProblem::Expired)
        );
        let text = expired.to_string();
        assert!(
            text.contains("the AWS credentials have expired (ExpiredToken"),
            "{text}"
        );
        assert!(!text.contains("needs permission"), "{text}");
        for (code, problem) in [
            ("InvalidClientTokenId", CredentialProblem::Invalid),
            ("UnrecognizedClientException", CredentialProblem::Invalid),
            ("InvalidAccessKeyId", CredentialProblem::Invalid),
            ("SignatureDoesNotMatch", CredentialProblem::Signature),
        ] {
            let e = answered(403, Some(code), "refused");
            assert_eq!(e.credential_problem(), Some(problem), "{code}");
            assert!(!e.to_string().contains("needs permission"), "{code}: {e}");
        }
        let denied = answered(400, Some("AccessDeniedException"), "not allowed");
        assert_eq!(denied.kind, ErrorKind::AccessDenied);
        assert!(
            denied
                .to_string()
                .contains("needs permission for sqs:ReceiveMessage")
        );
        assert_eq!(answered(403, None, "").kind, ErrorKind::AccessDenied);
        assert_eq!(
            answered(400, Some("AWS.SimpleQueueService.NonExistentQueue"), "").kind,
            ErrorKind::NotFound
        );
        let throttled = answered(400, Some("RequestThrottled"), "Rate exceeded");
        assert_eq!(throttled.kind, ErrorKind::Throttled);
        assert!(throttled.to_string().contains("throttled"), "{throttled}");
        assert_eq!(
            answered(503, Some("SlowDown"), "").kind,
            ErrorKind::Throttled
        );
        let recent = answered(
            400,
            Some("AWS.SimpleQueueService.QueueDeletedRecently"),
            "wait 60 s",
        );
        assert_eq!(recent.kind, ErrorKind::Other);
        assert!(recent.is_code("QueueDeletedRecently"));
    }
}
