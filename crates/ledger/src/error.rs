//! The ledger's errors and their problem documents.

use axum::http::StatusCode;
use kernel::{ApiError, FieldError};

impl From<kernel::error::Invalid> for LedgerError {
    fn from(i: kernel::error::Invalid) -> Self {
        LedgerError::Validation(i.0)
    }
}

/// Everything the ledger refuses.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A party, item, document, payment, account or journal that does not
    /// exist (or is another company's).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The action does not fit the record's state (issuing an issued
    /// invoice, paying a draft, cancelling a paid one).
    #[error("{detail}")]
    State {
        /// A stable code.
        code: &'static str,
        /// Why, for a person.
        detail: String,
    },
    /// A unique value already taken (a GSTIN, an item's SKU).
    #[error("{field} already taken")]
    Taken {
        /// The field.
        field: &'static str,
        /// Why, for a person.
        detail: String,
    },
    /// A posting dated inside the locked period.
    #[error("the books are locked up to {0}")]
    Locked(chrono::NaiveDate),
    /// The company's profile could not be read.
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    /// A database error.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A problem already shaped for the client.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl LedgerError {
    /// One field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> LedgerError {
        LedgerError::Validation(vec![FieldError::new(field, message)])
    }

    /// An action the record's state does not allow.
    pub fn state(code: &'static str, detail: impl Into<String>) -> LedgerError {
        LedgerError::State { code, detail: detail.into() }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> ApiError {
        match e {
            LedgerError::NotFound(what) => ApiError::not_found(what),
            LedgerError::Validation(errors) => ApiError::validation(errors),
            LedgerError::State { code, detail } => ApiError::conflict(code, detail),
            LedgerError::Taken { field, detail } => {
                ApiError::conflict("already_exists", detail).field(field, "already taken")
            }
            LedgerError::Locked(until) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "books_locked",
                "The books are locked",
            )
            .detail(format!(
                "the books are locked up to {until}: nothing dated on or before it can be posted"
            ))
            .field("date", format!("must be after {until}, when the books are locked")),
            LedgerError::Identity(e) => e.into(),
            // A date PostgreSQL cannot hold (before 4713 BC): the only
            // dates that reach the database unchecked are report bounds.
            LedgerError::Db(sqlx::Error::Database(d)) if d.code().as_deref() == Some("22008") => {
                ApiError::validation(vec![FieldError::new("date", "is out of the supported range")])
            }
            LedgerError::Db(e) => e.into(),
            LedgerError::Api(e) => e,
        }
    }
}

impl axum::response::IntoResponse for LedgerError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// Result of this crate's services.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;
