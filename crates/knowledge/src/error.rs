//! The knowledge base's errors and their problem documents.

use axum::http::StatusCode;
use kernel::{ApiError, FieldError};

/// Everything this crate refuses.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    /// A document, chunk, chat or message that does not exist (or is
    /// another tenant's, or another person's chat).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A file past the upload limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The field.
        field: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A file whose type Tessera does not read.
    #[error("{reason}")]
    Unsupported {
        /// The field.
        field: String,
        /// Why, for a person.
        reason: String,
    },
    /// The AI runtime refused or failed.
    #[error(transparent)]
    Ai(#[from] ai::AiError),
    /// A database error.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A problem already shaped for the client.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl KnowledgeError {
    /// One field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> KnowledgeError {
        KnowledgeError::Validation(vec![FieldError::new(field, message)])
    }
}

fn human(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

impl From<KnowledgeError> for ApiError {
    fn from(e: KnowledgeError) -> ApiError {
        match e {
            KnowledgeError::NotFound(what) => ApiError::not_found(what),
            KnowledgeError::Validation(errors) => ApiError::validation(errors),
            KnowledgeError::TooLarge { field, limit } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", "Payload too large")
                    .detail(format!(
                        "`{field}` is larger than the upload limit of {}",
                        human(limit)
                    ))
                    .field(field, format!("at most {limit} bytes"))
                    .extra("limit_bytes", limit)
            }
            KnowledgeError::Unsupported { field, reason } => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_file_type",
                "Unsupported file type",
            )
            .detail(format!("`{field}`: {reason}"))
            .field(field, reason),
            KnowledgeError::Ai(e) => e.into(),
            KnowledgeError::Db(e) => e.into(),
            KnowledgeError::Api(e) => e,
            KnowledgeError::Other(e) => e.into(),
        }
    }
}

impl axum::response::IntoResponse for KnowledgeError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// Result of this crate's services.
pub type Result<T, E = KnowledgeError> = std::result::Result<T, E>;
