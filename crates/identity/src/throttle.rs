//! Slowing down password guessing, and request rate limits.
//!
//! Failed logins are counted per e-mail address (whether or not an account
//! exists) and per client address, in the database so every node sees
//! them. After a few free attempts each further failure locks the key for
//! an exponentially growing time (capped), answered as 429 with
//! `Retry-After`. Request rate limits are token buckets per tenant and per
//! API key, in memory on each node.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kernel::db::Db;

use crate::repo;

/// Free failures per e-mail address before backoff starts.
const EMAIL_FREE: i32 = 5;
/// Free failures per client address before backoff starts.
const IP_FREE: i32 = 20;
/// The longest lock.
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
const FORGET_AFTER_SECS: f64 = 3600.0;

/// The throttle keys of a login attempt.
pub fn keys(email: &str, ip: Option<IpAddr>) -> Vec<(String, i32)> {
    let mut k = vec![(format!("email:{email}"), EMAIL_FREE)];
    if let Some(ip) = ip {
        k.push((format!("ip:{ip}"), IP_FREE));
    }
    k
}

/// How long the attempt must wait, if any key is locked.
pub async fn locked_for(db: &Db, keys: &[(String, i32)]) -> Result<Option<Duration>, sqlx::Error> {
    let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
    let mut conn = db.pool().acquire().await?;
    let wait = repo::throttle::locked_for(&mut conn, &names).await?;
    Ok(wait.filter(|s| *s > 0.0).map(Duration::from_secs_f64))
}

/// Records a failure; returns the lock it caused, if any.
pub async fn record_failure(
    db: &Db,
    keys: &[(String, i32)],
) -> Result<Option<Duration>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let mut longest: Option<Duration> = None;
    for (key, free) in keys {
        let failures = repo::throttle::count_failure(&mut conn, key, FORGET_AFTER_SECS).await?;
        if let Some(lock) = backoff(failures, *free) {
            repo::throttle::lock(&mut conn, key, lock.as_secs_f64()).await?;
            longest = Some(longest.map_or(lock, |l| l.max(lock)));
        }
    }
    Ok(longest)
}

/// Clears the e-mail key after a successful login.
pub async fn record_success(db: &Db, email: &str) -> Result<(), sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    repo::throttle::clear(&mut conn, &format!("email:{email}")).await
}

/// The lock after `failures` failures with `free` free attempts:
/// 1 s, 2 s, 4 s, … up to 15 minutes.
pub fn backoff(failures: i32, free: i32) -> Option<Duration> {
    if failures <= free {
        return None;
    }
    let exp = (failures - free - 1).min(20) as u32;
    Some(Duration::from_secs(1u64 << exp).min(MAX_LOCK))
}

/// What a rate limiter decided.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// Whether the request may go ahead.
    pub allowed: bool,
    /// The limit (requests per minute).
    pub limit: u32,
    /// Requests left now.
    pub remaining: u32,
    /// Seconds until the bucket is full again (or, when refused, until one
    /// request is allowed).
    pub reset_secs: u64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    limit: u32,
}

/// Token buckets refilled continuously at `limit` per minute, burst `limit`.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// Takes one token from `key`'s bucket.
    pub fn check(&self, key: &str, limit: u32) -> Decision {
        self.check_at(key, limit, Instant::now())
    }

    fn check_at(&self, key: &str, limit: u32, now: Instant) -> Decision {
        let limit = limit.max(1);
        let rate = f64::from(limit) / 60.0;
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(p) => p.into_inner(),
        };
        if buckets.len() > 100_000 {
            // Forget idle buckets (they would be full anyway).
            buckets.retain(|_, b| now.duration_since(b.updated) < Duration::from_secs(120));
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: f64::from(limit),
            updated: now,
            limit,
        });
        if b.limit != limit {
            b.tokens = b.tokens.min(f64::from(limit));
            b.limit = limit;
        }
        let elapsed = now.duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(f64::from(limit));
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Decision {
                allowed: true,
                limit,
                remaining: b.tokens.floor() as u32,
                reset_secs: ((f64::from(limit) - b.tokens) / rate).ceil() as u64,
            }
        } else {
            Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset_secs: ((1.0 - b.tokens) / rate).ceil().max(1.0) as u64,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(5, 5), None);
        assert_eq!(backoff(6, 5), Some(Duration::from_secs(1)));
        assert_eq!(backoff(7, 5), Some(Duration::from_secs(2)));
        assert_eq!(backoff(10, 5), Some(Duration::from_secs(16)));
        assert_eq!(backoff(100, 5), Some(MAX_LOCK));
    }

    #[test]
    fn token_bucket() {
        let r = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..60 {
            let d = r.check_at("t", 60, t0);
            assert!(d.allowed, "request {i}");
            assert_eq!(d.remaining, 59 - i);
        }
        let d = r.check_at("t", 60, t0);
        assert!(!d.allowed);
        assert_eq!(d.reset_secs, 1);
        // One token per second comes back.
        assert!(r.check_at("t", 60, t0 + Duration::from_millis(1100)).allowed);
        assert!(!r.check_at("t", 60, t0 + Duration::from_millis(1200)).allowed);
        // Other keys are independent.
        assert!(r.check_at("u", 60, t0).allowed);
    }
}
