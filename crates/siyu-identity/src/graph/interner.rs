//! Interning of identities into dense `u32` ids.
//!
//! Every value lives once in one byte arena, after a one-byte length (parsed values are at most
//! 254 bytes); the hash index stores the 4-byte id and 32 bits of the hash, and compares against
//! the arena only when those match. Growing the index rehashes from the stored bits without
//! touching the arena. A `HashMap<(kind, Box<str>), u32>` would cost a 24-byte key and an
//! allocation per identity.
//! Each record also carries the identity's (first) holding profile, so finding an identity and
//! its holder touch the same cache line: at ten million identities stitching is bound by memory
//! latency, not by instructions (measured in `examples/stitch_bench.rs`).

use hashbrown::hash_table::Entry;
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use std::hash::BuildHasher;

use crate::kind::IdentityKind;
use crate::value::Identity;

/// Dense id of an interned identity.
pub(crate) type IdentId = u32;
/// Dense id of an interned kind.
pub(crate) type KindId = u32;

/// Where one identity's value starts in the arena, its kind and its first holder.
#[derive(Clone, Copy)]
struct Rec {
    start: u64,
    kind: KindId,
    holder: u32,
}

/// The tenant's identities and kinds, each stored once.
#[derive(Default, Clone)]
pub(crate) struct Interner {
    kinds: Vec<IdentityKind>,
    kind_ids: HashMap<IdentityKind, KindId>,
    arena: Vec<u8>,
    recs: Vec<Rec>,
    index: HashTable<Slot>,
    hasher: DefaultHashBuilder,
}

/// An index entry: the identity and the high half of its hash.
#[derive(Clone, Copy)]
struct Slot {
    id: IdentId,
    hash: u32,
}

/// The index's 64-bit hash from the stored 32 bits; the multiplication spreads them over the
/// bits the table uses for the bucket (low) and for the tag (high).
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The length-prefixed value starting at `start`.
fn value_at(arena: &[u8], start: u64) -> &[u8] {
    let start = start as usize;
    let len = usize::from(arena[start]);
    &arena[start + 1..start + 1 + len]
}

impl Interner {
    /// An interner with room for `identities` identities of `bytes` total value length.
    pub(crate) fn with_capacity(identities: usize, bytes: usize) -> Self {
        Self {
            arena: Vec::with_capacity(bytes),
            recs: Vec::with_capacity(identities),
            index: HashTable::with_capacity(identities),
            ..Self::default()
        }
    }

    /// Number of interned identities (ids are `0..len`).
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// The value's bytes (UTF-8: they were copied from a `str`).
    pub(crate) fn value_of(&self, id: IdentId) -> &[u8] {
        value_at(&self.arena, self.recs[id as usize].start)
    }

    /// The first profile holding an identity, or `u32::MAX`.
    pub(crate) fn holder(&self, id: IdentId) -> u32 {
        self.recs[id as usize].holder
    }

    /// Sets the first holding profile.
    pub(crate) fn set_holder(&mut self, id: IdentId, profile: u32) {
        self.recs[id as usize].holder = profile;
    }

    /// The id of a known kind.
    pub(crate) fn find_kind(&self, kind: &IdentityKind) -> Option<KindId> {
        self.kind_ids.get(kind).copied()
    }

    fn intern_kind(&mut self, kind: &IdentityKind) -> KindId {
        if let Some(k) = self.find_kind(kind) {
            return k;
        }
        let k = self.kinds.len() as KindId;
        self.kinds.push(kind.clone());
        self.kind_ids.insert(kind.clone(), k);
        k
    }

    /// The id of an identity already interned.
    pub(crate) fn find(&self, identity: &Identity) -> Option<IdentId> {
        let kind = self.find_kind(identity.kind())?;
        let value = identity.value().as_str().as_bytes();
        let hash = (self.hasher.hash_one((kind, value)) >> 32) as u32;
        let eq = |s: &Slot| {
            let r = self.recs[s.id as usize];
            s.hash == hash && r.kind == kind && value_at(&self.arena, r.start) == value
        };
        self.index.find(spread(hash), eq).map(|s| s.id)
    }

    /// The id of an identity, interning it if new (one probe of the index either way).
    pub(crate) fn intern(&mut self, identity: &Identity) -> IdentId {
        let kind = self.intern_kind(identity.kind());
        // Parsed values are at most 254 bytes; the cut only keeps the length byte honest.
        let value = identity.value().as_str().as_bytes();
        let value = &value[..value.len().min(255)];
        let hash = (self.hasher.hash_one((kind, value)) >> 32) as u32;
        let Self {
            index, recs, arena, ..
        } = self;
        let eq = |s: &Slot| {
            let r = recs[s.id as usize];
            s.hash == hash && r.kind == kind && value_at(arena, r.start) == value
        };
        match index.entry(spread(hash), eq, |s| spread(s.hash)) {
            Entry::Occupied(found) => found.get().id,
            Entry::Vacant(slot) => {
                let id = recs.len() as IdentId;
                recs.push(Rec {
                    start: arena.len() as u64,
                    kind,
                    holder: u32::MAX,
                });
                arena.push(value.len() as u8);
                arena.extend_from_slice(value);
                slot.insert(Slot { id, hash });
                id
            }
        }
    }

    /// The kind id of an interned identity.
    pub(crate) fn kind_id(&self, id: IdentId) -> KindId {
        self.recs[id as usize].kind
    }

    /// Orders two interned identities as their [`Identity`] values order, without allocating.
    pub(crate) fn cmp(&self, a: IdentId, b: IdentId) -> std::cmp::Ordering {
        let kinds = self.kind(a).cmp(self.kind(b));
        kinds.then_with(|| self.value_of(a).cmp(self.value_of(b)))
    }

    /// The kind of an interned identity.
    pub(crate) fn kind(&self, id: IdentId) -> &IdentityKind {
        &self.kinds[self.kind_id(id) as usize]
    }

    /// The identity behind an id, as an owned value for the API.
    pub(crate) fn identity(&self, id: IdentId) -> Identity {
        let value = String::from_utf8_lossy(self.value_of(id));
        Identity::from_trusted(self.kind(id).clone(), &value)
    }

    /// Bytes held by the arena, the records and the index (for the benchmark report).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.arena.capacity()
            + self.recs.capacity() * std::mem::size_of::<Rec>()
            + self.index.capacity() * (std::mem::size_of::<Slot>() + 1)
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Interner({} identities, {} kinds)",
            self.recs.len(),
            self.kinds.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_identity_once_per_kind() {
        let mut i = Interner::default();
        let phone = Identity::parse(IdentityKind::Phone, "13812345678").unwrap();
        let nick = Identity::parse(IdentityKind::Taobao, "+8613812345678").unwrap();
        let a = i.intern(&phone);
        let b = i.intern(&nick);
        assert_ne!(a, b, "same text, different kinds");
        assert_eq!(i.intern(&phone), a);
        assert_eq!(i.find(&nick), Some(b));
        assert_eq!(i.identity(a), phone);
        assert_eq!(i.kind(b), &IdentityKind::Taobao);
        for n in 0..10_000 {
            let x = Identity::parse(IdentityKind::Weibo, &n.to_string()).unwrap();
            assert_eq!(i.intern(&x), 2 + n);
        }
        assert_eq!(
            i.find(&Identity::parse(IdentityKind::Weibo, "77").unwrap()),
            Some(79)
        );
        assert_eq!(i.len(), 10_002);
    }
}
