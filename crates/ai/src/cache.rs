//! An exact-match response cache, per tenant: temperature-0 completions
//! (the same request to the same model gets the same answer) and
//! embeddings (per text and model). In memory, per node, with a TTL and a
//! size bound; a miss costs nothing but the lookup.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kernel::ids::TenantId;
use sha2::{Digest, Sha256};

use crate::chat::Completion;

/// What is cached.
#[derive(Debug, Clone)]
pub enum Cached {
    /// A finished completion.
    Completion(Completion),
    /// One text's vector.
    Vector(Vec<f32>),
}

/// The cache.
#[derive(Debug)]
pub struct ResponseCache {
    ttl: Duration,
    max: usize,
    map: Mutex<HashMap<[u8; 32], (Instant, Cached)>>,
}

impl ResponseCache {
    /// A cache keeping entries for `ttl` (zero disables it), at most `max`.
    pub fn new(ttl: Duration, max: usize) -> ResponseCache {
        ResponseCache { ttl, max: max.max(1), map: Mutex::default() }
    }

    /// Whether the cache is on.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The key of `parts` within a tenant's cache.
    pub fn key(tenant: TenantId, parts: &[&[u8]]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(tenant.as_uuid().as_bytes());
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        h.finalize().into()
    }

    /// A fresh entry, counting the hit or miss.
    pub fn get(&self, key: &[u8; 32], kind: &'static str) -> Option<Cached> {
        if !self.enabled() {
            return None;
        }
        let hit = self.map.lock().ok().and_then(|m| {
            m.get(key).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, v)| v.clone())
        });
        let result = if hit.is_some() { "hit" } else { "miss" };
        metrics::counter!("ai_cache_requests_total", "kind" => kind, "result" => result)
            .increment(1);
        hit
    }

    /// Stores an entry (evicting expired ones, then the oldest, when full).
    pub fn put(&self, key: [u8; 32], value: Cached) {
        if !self.enabled() {
            return;
        }
        let Ok(mut m) = self.map.lock() else { return };
        if m.len() >= self.max {
            let ttl = self.ttl;
            m.retain(|_, (at, _)| at.elapsed() < ttl);
            if m.len() >= self.max {
                let mut ages: Vec<(Instant, [u8; 32])> =
                    m.iter().map(|(k, (at, _))| (*at, *k)).collect();
                ages.sort_unstable();
                for (_, k) in ages.iter().take(m.len() + 1 - self.max) {
                    m.remove(k);
                }
            }
        }
        m.insert(key, (Instant::now(), value));
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_tenant_and_entries_expire_and_are_bounded() {
        let a = TenantId::from_uuid(uuid::Uuid::from_u128(1));
        let b = TenantId::from_uuid(uuid::Uuid::from_u128(2));
        assert_ne!(ResponseCache::key(a, &[b"x"]), ResponseCache::key(b, &[b"x"]));
        assert_ne!(ResponseCache::key(a, &[b"ab", b"c"]), ResponseCache::key(a, &[b"a", b"bc"]));
        let c = ResponseCache::new(Duration::from_secs(60), 2);
        let (k1, k2, k3) = (
            ResponseCache::key(a, &[b"1"]),
            ResponseCache::key(a, &[b"2"]),
            ResponseCache::key(a, &[b"3"]),
        );
        c.put(k1, Cached::Vector(vec![1.0]));
        std::thread::sleep(Duration::from_millis(2));
        c.put(k2, Cached::Vector(vec![2.0]));
        c.put(k3, Cached::Vector(vec![3.0]));
        assert_eq!(c.len(), 2);
        assert!(c.get(&k1, "embedding").is_none(), "the oldest was evicted");
        assert!(matches!(c.get(&k3, "embedding"), Some(Cached::Vector(v)) if v == vec![3.0]));
        let expired = ResponseCache::new(Duration::from_millis(1), 10);
        expired.put(k1, Cached::Vector(vec![]));
        std::thread::sleep(Duration::from_millis(5));
        assert!(expired.get(&k1, "embedding").is_none());
        let off = ResponseCache::new(Duration::ZERO, 10);
        off.put(k1, Cached::Vector(vec![]));
        assert!(off.get(&k1, "embedding").is_none());
    }
}
