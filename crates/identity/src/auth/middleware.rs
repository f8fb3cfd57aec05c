//! The authentication middleware: resolves a bearer token into a
//! [`Caller`], applies the rate limits, and labels the response with who
//! made the request.

use super::*;

pub(super) fn bearer(value: &HeaderValue) -> Option<&str> {
    let v = value.to_str().ok()?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

pub(super) fn rate_headers(headers: &mut HeaderMap, d: &Decision) {
    for (name, value) in [
        ("ratelimit-limit", d.limit.to_string()),
        ("ratelimit-remaining", d.remaining.to_string()),
        ("ratelimit-reset", d.reset_secs.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
}

/// The middleware: on API paths ([`kernel::openapi::is_api`]), authenticates
/// a bearer token when one is sent, applies rate limits, and makes the
/// [`Caller`] available to handlers. Requests without credentials pass
/// through (handlers that need a caller refuse); the operators' endpoints
/// never look at credentials.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !kernel::openapi::is_api(req.uri().path()) {
        return next.run(req).await;
    }
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return next.run(req).await;
    };
    let Some(token) = bearer(value).map(str::to_string) else {
        return IdentityError::BadAuthorization.into_response();
    };
    let identity = IdentityService::of(&state);
    let ip = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let meta = request_meta(req.headers(), ip);
    let caller = match identity.resolve(state.db(), &token, meta).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let actor = kernel::telemetry::RequestActor {
        tenant: caller.tenant(),
        actor: match caller.principal {
            Principal::User { id, .. } => format!("user:{id}"),
            Principal::ApiKey { id } => format!("key:{id}"),
        },
    };
    let decision = match identity.rate_limit(state.db(), &caller).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    if !decision.allowed {
        let mut resp =
            IdentityError::RateLimited(Duration::from_secs(decision.reset_secs)).into_response();
        rate_headers(resp.headers_mut(), &decision);
        resp.extensions_mut().insert(actor);
        return resp;
    }
    req.extensions_mut().insert(caller.idempotency_scope());
    req.extensions_mut().insert(caller);
    let mut resp = next.run(req).await;
    rate_headers(resp.headers_mut(), &decision);
    resp.extensions_mut().insert(actor);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(bearer(&HeaderValue::from_static("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&HeaderValue::from_static("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(&HeaderValue::from_static("Basic abc")), None);
        assert_eq!(bearer(&HeaderValue::from_static("Bearer ")), None);
        assert_eq!(bearer(&HeaderValue::from_static("abc")), None);
    }
}
