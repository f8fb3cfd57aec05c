//! The errors of the AI runtime.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, StatusCode, header};
use kernel::{ApiError, FieldError};

/// Why a model call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AiError {
    /// A local model is not installed.
    #[error("the local {0} model is not installed; run `tessera setup`")]
    NotInstalled(&'static str),
    /// The model or provider cannot serve now (retryable).
    #[error("{0}")]
    Unavailable(String),
    /// No answer in time (retryable).
    #[error("{0}")]
    Timeout(String),
    /// The provider asked us to slow down (retryable).
    #[error("the provider is rate limiting requests")]
    RateLimited {
        /// How long it asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The provider refused the request (not retryable when 4xx).
    #[error("the provider answered {status}: {message}")]
    Provider {
        /// Its HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// The request itself is wrong.
    #[error("{message}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// No provider is configured (or allowed) for the call.
    #[error("{0}")]
    NoProvider(String),
    /// The tenant's monthly budget is spent and no local model can serve.
    #[error(
        "this month's AI budget ({budget} USD) is spent ({spent} USD) and no local model can serve this request"
    )]
    BudgetExceeded {
        /// Spent this month.
        spent: rust_decimal::Decimal,
        /// The budget.
        budget: rust_decimal::Decimal,
    },
    /// The caller went away.
    #[error("the request was cancelled")]
    Cancelled,
    /// A bug or an unexpected failure.
    #[error("{0}")]
    Internal(String),
    /// Fields of a configuration request at fault.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// A provider (or other object) that does not exist in the tenant.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Another provider of the tenant has this name.
    #[error("a provider with this name exists")]
    NameTaken,
    /// The database failed.
    #[error("database error: {0}")]
    Database(Arc<sqlx::Error>),
}

impl From<sqlx::Error> for AiError {
    /// A unique violation can only be a provider's name (the one unique key
    /// of the AI runtime's tables besides their primary keys).
    fn from(e: sqlx::Error) -> AiError {
        if let sqlx::Error::Database(d) = &e
            && d.code().as_deref() == Some("23505")
        {
            return AiError::NameTaken;
        }
        AiError::Database(Arc::new(e))
    }
}

impl AiError {
    /// Whether trying again (here or with the next provider) may help.
    pub fn is_retryable(&self) -> bool {
        match self {
            AiError::Unavailable(_) | AiError::Timeout(_) | AiError::RateLimited { .. } => true,
            AiError::Provider { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// Whether the next provider in a fallback chain should be tried.
    pub fn should_fall_back(&self) -> bool {
        self.is_retryable()
            || matches!(
                self,
                AiError::NotInstalled(_) | AiError::Internal(_) | AiError::Provider { .. }
            ) && !matches!(self, AiError::Provider { status, .. } if *status == 400 || *status == 422)
    }

    /// A short label for metrics and the usage ledger.
    pub fn kind(&self) -> &'static str {
        match self {
            AiError::NotInstalled(_) => "not_installed",
            AiError::Unavailable(_) => "unavailable",
            AiError::Timeout(_) => "timeout",
            AiError::RateLimited { .. } => "rate_limited",
            AiError::Provider { .. } => "provider_error",
            AiError::Invalid { .. } => "invalid",
            AiError::NoProvider(_) => "no_provider",
            AiError::BudgetExceeded { .. } => "budget_exceeded",
            AiError::Cancelled => "cancelled",
            AiError::Internal(_) | AiError::Database(_) => "internal",
            AiError::Validation(_) | AiError::NotFound(_) | AiError::NameTaken => "invalid",
        }
    }

    /// An invalid request field.
    pub fn invalid(field: &str, message: impl Into<String>) -> AiError {
        AiError::Invalid { field: field.to_string(), message: message.into() }
    }
}

impl From<AiError> for ApiError {
    fn from(e: AiError) -> ApiError {
        match e {
            AiError::Validation(errors) => return ApiError::validation(errors),
            AiError::NotFound(what) => return ApiError::not_found(what),
            AiError::NameTaken => {
                return ApiError::conflict(
                    "provider_name_taken",
                    "a provider with this name exists",
                )
                .field("name", "is taken");
            }
            AiError::Database(e) => {
                return match e.as_ref() {
                    sqlx::Error::PoolTimedOut => ApiError::unavailable(
                        "database_busy",
                        "the database is busy; try again shortly",
                    )
                    .header(header::RETRY_AFTER, "1"),
                    other => ApiError::internal(anyhow::anyhow!("{other}")),
                };
            }
            _ => {}
        }
        let (status, code, title): (StatusCode, &'static str, &'static str) = match &e {
            AiError::NotInstalled(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "model_not_installed", "Model not installed")
            }
            AiError::BudgetExceeded { .. } => {
                (StatusCode::PAYMENT_REQUIRED, "ai_budget_exceeded", "AI budget exceeded")
            }
            AiError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", "Model unavailable")
            }
            AiError::Timeout(_) => {
                (StatusCode::GATEWAY_TIMEOUT, "model_timeout", "The model took too long")
            }
            AiError::RateLimited { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "provider_rate_limited", "Provider rate limit")
            }
            AiError::Provider { .. } => {
                (StatusCode::BAD_GATEWAY, "provider_error", "The model provider failed")
            }
            AiError::Invalid { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "The request has invalid fields",
            ),
            AiError::NoProvider(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "no_model_available", "No model available")
            }
            AiError::Cancelled => (
                StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
                "cancelled",
                "Cancelled",
            ),
            AiError::Internal(_)
            | AiError::Validation(_)
            | AiError::NotFound(_)
            | AiError::NameTaken
            | AiError::Database(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal server error")
            }
        };
        let openai_type = match status.as_u16() {
            400..=499 => "invalid_request_error",
            _ => "api_error",
        };
        let mut api = ApiError::new(status, code, title);
        let message = e.to_string();
        api = match &e {
            AiError::Invalid { field, message } => {
                api.field(field.clone(), message.clone()).detail(message.clone())
            }
            AiError::Internal(m) => api.cause(anyhow::anyhow!(m.clone())),
            _ => api.detail(message.clone()),
        };
        if let AiError::RateLimited { retry_after: Some(d) } = &e {
            api = api.header(header::RETRY_AFTER, d.as_secs().max(1).to_string());
        }
        if matches!(e, AiError::Unavailable(_) | AiError::NoProvider(_) | AiError::NotInstalled(_))
        {
            api = api.header(HeaderName::from_static("retry-after"), "5");
        }
        // OpenAI clients read `error.message`; problem+json readers the rest.
        let shown =
            if matches!(e, AiError::Internal(_)) { "internal error".to_string() } else { message };
        api.extra(
            "error",
            serde_json::json!({ "message": shown, "type": openai_type, "code": code }),
        )
    }
}

impl axum::response::IntoResponse for AiError {
    fn into_response(self) -> axum::response::Response {
        ApiError::from(self).into_response()
    }
}
