//! One error type for every AWS call, classified so callers can treat "not
//! found" as a state and name the missing permission on "access denied".

use std::fmt;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AccessDenied,
    Throttled,
    /// No credentials, expired credentials, unreachable endpoint.
    Credentials,
    Network,
    Other,
}

/// A failed AWS call: which action on which resource, and why.
#[derive(Debug, Clone)]
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
        match self.kind {
            ErrorKind::Credentials if self.code.is_none() => f.write_str(&self.message),
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
    "NoSuchBucketPolicy",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet",
    "NoSuchTagSetError",
    "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist",
    "ResourceNotFoundException",
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

const CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
];

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
    let is = |codes: &[&str]| code.as_deref().is_some_and(|c| codes.contains(&c));
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
        _ if is(NOT_FOUND_CODES) || status == Some(404) => ErrorKind::NotFound,
        _ if is(DENIED_CODES) || status == Some(403) => ErrorKind::AccessDenied,
        _ if is(THROTTLED_CODES) || status == Some(429) || status == Some(503) => {
            ErrorKind::Throttled
        }
        _ if is(CREDENTIAL_CODES) => ErrorKind::Credentials,
        _ => ErrorKind::Other,
    };
    let message = match (kind, status, &code) {
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
    AwsError {
        action,
        resource: resource.into(),
        kind,
        code,
        message,
    }
}

/// `Ok(None)` for "not found", the error otherwise.
pub fn optional<T>(result: Result<T, AwsError>) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
