//! The id of the request being served, visible to any code running for it.

use axum::http::HeaderValue;

/// The header carrying the request id in both directions.
pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The current request's id, when running inside a request.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `f` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// Accepts a client's id when it is short printable ASCII, else makes one.
pub fn accept_or_generate(given: Option<&HeaderValue>) -> String {
    given
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_sane_ids_only() {
        assert_eq!(accept_or_generate(Some(&HeaderValue::from_static("abc-123"))), "abc-123");
        let made = accept_or_generate(Some(&HeaderValue::from_static("bad id with spaces")));
        assert_eq!(made.len(), 32);
        assert_eq!(accept_or_generate(None).len(), 32);
    }

    #[tokio::test]
    async fn scoped() {
        assert_eq!(current(), None);
        let got = scope("r1".into(), async { current() }).await;
        assert_eq!(got.as_deref(), Some("r1"));
    }
}
