//! The errors of jobs and webhooks, and their problem documents.

use kernel::{ApiError, FieldError};

/// Everything this crate refuses.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// A job, subscription or delivery that does not exist (or belongs to
    /// another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Only dead or cancelled jobs can be retried.
    #[error("a {0} job cannot be retried")]
    NotRetryable(String),
    /// The job already finished.
    #[error("the job already finished")]
    AlreadyFinished,
    /// Fields at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A database error.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A problem already shaped for the client (a bad cursor, …).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<JobsError> for ApiError {
    fn from(e: JobsError) -> ApiError {
        match e {
            JobsError::NotFound(what) => ApiError::not_found(what),
            JobsError::NotRetryable(state) => ApiError::conflict(
                "job_not_retryable",
                format!("only dead or cancelled jobs can be retried; this one is {state}"),
            ),
            JobsError::AlreadyFinished => {
                ApiError::conflict("job_finished", "the job has already finished")
            }
            JobsError::Validation(errors) => ApiError::validation(errors),
            JobsError::Db(e) => e.into(),
            JobsError::Api(e) => e,
            JobsError::Other(e) => e.into(),
        }
    }
}

impl axum::response::IntoResponse for JobsError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}

/// Result of this crate's services.
pub type Result<T, E = JobsError> = std::result::Result<T, E>;
