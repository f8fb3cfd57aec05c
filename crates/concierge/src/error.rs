//! The concierge's errors and their problem documents.

use kernel::{ApiError, FieldError};

/// Everything this crate refuses.
#[derive(Debug, thiserror::Error)]
pub enum ConciergeError {
    /// A channel, conversation, contact, intent or template that does not
    /// exist (or is another company's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A conflict with the current state.
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// For a person.
        detail: String,
    },
    /// The knowledge base refused or failed.
    #[error(transparent)]
    Knowledge(#[from] knowledge::KnowledgeError),
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

impl ConciergeError {
    /// One field at fault.
    pub fn invalid(field: &str, message: impl Into<String>) -> ConciergeError {
        ConciergeError::Validation(vec![FieldError::new(field, message)])
    }

    /// A conflict.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> ConciergeError {
        ConciergeError::Conflict { code, detail: detail.into() }
    }
}

impl From<ConciergeError> for ApiError {
    fn from(e: ConciergeError) -> ApiError {
        match e {
            ConciergeError::NotFound(what) => ApiError::not_found(what),
            ConciergeError::Validation(errors) => ApiError::validation(errors),
            ConciergeError::Conflict { code, detail } => ApiError::conflict(code, detail),
            ConciergeError::Knowledge(e) => e.into(),
            ConciergeError::Ai(e) => e.into(),
            ConciergeError::Db(e) => e.into(),
            ConciergeError::Api(e) => e,
            ConciergeError::Other(e) => e.into(),
        }
    }
}

impl axum::response::IntoResponse for ConciergeError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// Result of this crate's services.
pub type Result<T, E = ConciergeError> = std::result::Result<T, E>;

pub use kernel::error::Problems;

impl From<kernel::error::Invalid> for ConciergeError {
    fn from(i: kernel::error::Invalid) -> Self {
        ConciergeError::Validation(i.0)
    }
}
