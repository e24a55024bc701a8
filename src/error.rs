//! The one error type of the crate. Every failure, in Rust or from the network, ends up here,
//! and `wasm::convert::error_to_js` turns it into the JS `DreaminaError` in one place.

/// The stable, documented category of a failure; JS code branches on `err.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    Unauthorized,
    PaymentRequired,
    NotFound,
    Gone,
    Moderated,
    RateLimited,
    AccountError,
    Server,
    Network,
    Timeout,
    Aborted,
    JobFailed,
    Cancelled,
    InvalidResponse,
}

impl ErrorKind {
    /// The string JS sees in `err.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Validation => "validation",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::PaymentRequired => "payment_required",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Gone => "gone",
            ErrorKind::Moderated => "moderated",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::AccountError => "account_error",
            ErrorKind::Server => "server",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::JobFailed => "job_failed",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::InvalidResponse => "invalid_response",
        }
    }

    /// Every kind, in the order the docs list them (used by tests and the TS union).
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::Validation,
        ErrorKind::Unauthorized,
        ErrorKind::PaymentRequired,
        ErrorKind::NotFound,
        ErrorKind::Gone,
        ErrorKind::Moderated,
        ErrorKind::RateLimited,
        ErrorKind::AccountError,
        ErrorKind::Server,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Aborted,
        ErrorKind::JobFailed,
        ErrorKind::Cancelled,
        ErrorKind::InvalidResponse,
    ];
}

/// The properties a JS `DreaminaError` carries beyond `Error`'s, in order: set by
/// `wasm::convert::error_with_job`, declared by `DreaminaErrorProps` (src/types.d.ts) and
/// copied by the `DreaminaError` constructor (js/error.js). tests/types_sync.rs checks all three.
pub const JS_PROPERTIES: [&str; 6] = ["kind", "status", "jobid", "field", "retryAfterMs", "job"];

/// A failure of any call. Messages never contain the API token.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Bad input caught before any request was sent.
    #[error("Invalid {field}: {reason}")]
    Validation { field: String, reason: String },

    /// The API answered with a non-success status.
    #[error("{message}")]
    Api {
        kind: ErrorKind,
        status: u16,
        message: String,
        retry_after_ms: Option<u64>,
        /// True when the body was a JSON error object, i.e. the provider itself answered.
        from_provider: bool,
    },

    /// The request failed on the way (DNS, connection refused or reset, CORS…).
    #[error("{message}")]
    Network {
        message: String,
        /// True only when the request certainly never reached the server (connection refused).
        not_sent: bool,
    },

    /// A request or a whole wait ran past its time limit.
    #[error("{message}")]
    Timeout {
        message: String,
        status: Option<u16>,
    },

    /// The caller's AbortSignal fired before anything was sent, or during a sleep.
    #[error("The operation was aborted")]
    Aborted,

    /// The caller's AbortSignal fired while a request was on its way: the server may have
    /// acted on it (for an upscale, created the job).
    #[error("{message}")]
    AbortedInFlight { message: String },

    /// The job ended with `status: "failed"` (the JS layer attaches the job object).
    #[error("{message}")]
    JobFailed { message: String },

    /// The job was cancelled (`DELETE /scheduler/{jobid}`): it failed with "Cancelled by user".
    #[error("{message}")]
    Cancelled { message: String },

    /// A response that is not the JSON expected.
    #[error("{message}")]
    InvalidResponse { status: u16, message: String },
}

impl Error {
    /// Shorthand for a validation error naming `field`.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation { .. } => ErrorKind::Validation,
            Error::Api { kind, .. } => *kind,
            Error::Network { .. } => ErrorKind::Network,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Aborted | Error::AbortedInFlight { .. } => ErrorKind::Aborted,
            Error::JobFailed { .. } => ErrorKind::JobFailed,
            Error::Cancelled { .. } => ErrorKind::Cancelled,
            Error::InvalidResponse { .. } => ErrorKind::InvalidResponse,
        }
    }

    /// The HTTP status behind the error, when a response was received.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::InvalidResponse { status, .. } => Some(*status),
            Error::Timeout { status, .. } => *status,
            _ => None,
        }
    }

    /// How long the server asked us to wait, for `rate_limited`.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Error::Api { retry_after_ms, .. } => *retry_after_ms,
            _ => None,
        }
    }

    /// The field a validation error is about.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Validation { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Appends a sentence to the message (used to say a job may have been created).
    pub fn with_note(self, note: &str) -> Self {
        match self {
            Error::Network { message, not_sent } => Error::Network {
                message: format!("{message}. {note}"),
                not_sent,
            },
            Error::Timeout { message, status } => Error::Timeout {
                message: format!("{message}. {note}"),
                status,
            },
            Error::InvalidResponse { status, message } => Error::InvalidResponse {
                status,
                message: format!("{message}. {note}"),
            },
            Error::AbortedInFlight { message } => Error::AbortedInFlight {
                message: format!("{message}. {note}"),
            },
            other => other,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_snake_case_names() {
        let names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    }

    #[test]
    fn validation_message_names_the_field() {
        let e = Error::validation("imageIndex", "must be an integer from 0 to 3");
        assert_eq!(
            e.to_string(),
            "Invalid imageIndex: must be an integer from 0 to 3"
        );
        assert_eq!(e.field(), Some("imageIndex"));
        assert_eq!(e.kind(), ErrorKind::Validation);
    }

    #[test]
    fn note_is_appended_to_ambiguous_failures_only() {
        let e = Error::Network {
            message: "connection reset".into(),
            not_sent: false,
        }
        .with_note("The job may have been created");
        assert_eq!(
            e.to_string(),
            "connection reset. The job may have been created"
        );
        assert_eq!(Error::Aborted.with_note("x"), Error::Aborted);
    }
}
