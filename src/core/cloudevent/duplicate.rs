//! What makes two events the same event (CloudEvents 1.0 §3.1.1: `source` and `id` together), for
//! the duplicate marks of the history (memory and Redis) and of each browser tab.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The `(source, id)` pair of an event, from [`super::CloudEvent::duplicate_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DuplicateKey<'a> {
    pub source: &'a str,
    pub id: &'a str,
}

impl DuplicateKey<'_> {
    /// A 64-bit hash of the pair, for maps held in one process (a hash instead of two strings per
    /// event). Not stable across builds: anything stored or shared uses the text form instead.
    /// Two live keys colliding (odds about n² / 2⁶⁵) could only mislabel a duplicate.
    pub fn digest(&self) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.hash(&mut hasher);
        hasher.finish()
    }
}

/// `<source length>:<source><id>`: length-prefixed so no two pairs share a text, and stable across
/// replicas and versions (the Redis backend's duplicate index is keyed by it).
impl fmt::Display for DuplicateKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}{}", self.source.len(), self.source, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(source: &'a str, id: &'a str) -> DuplicateKey<'a> {
        DuplicateKey { source, id }
    }

    #[test]
    fn the_text_of_different_pairs_never_collides() {
        assert_ne!(key("/a", "bc").to_string(), key("/ab", "c").to_string());
        assert_eq!(key("/a", "1").to_string(), "2:/a1");
    }

    #[test]
    fn equal_pairs_have_equal_digests() {
        assert_eq!(key("/a", "1").digest(), key("/a", "1").digest());
        assert_ne!(key("/a", "1").digest(), key("/a", "2").digest());
    }
}
