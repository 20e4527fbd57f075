//! Sparse `i64` columns: one value per slot for a minority of slots (the latest purchase
//! minute of one sku or category), kept sorted by slot in chunks.
//!
//! A bit-sliced index over a sparse set is all array containers of a few thousand entries,
//! and Roaring intersects those by merging, so each of its ~20 slice operations costs as much
//! as the whole set. A sorted column instead answers "value ≥ m" with one tight scan of the
//! column, or, within a small scope, a galloping look-up per candidate. Chunks of 2^14 slots
//! keep an insert or removal to a short move.

use roaring::RoaringBitmap;

use crate::bsi::{add, Scope};

const CHUNK_BITS: u32 = 14;
const LOW_MASK: u32 = (1 << CHUNK_BITS) - 1;

#[derive(Debug, Clone, Default)]
struct Chunk {
    /// Slot offsets within the chunk, ascending.
    lows: Vec<u16>,
    /// The value of each.
    values: Vec<i64>,
}

/// A sparse column of `i64` values by slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Latest {
    exists: RoaringBitmap,
    chunks: Vec<Chunk>,
}

fn split(slot: u32) -> (usize, u16) {
    // The mask keeps 14 bits, which fit.
    ((slot >> CHUNK_BITS) as usize, (slot & LOW_MASK) as u16)
}

/// The first index at or after `from` whose entry is at least `target` (`xs` ascending).
fn gallop(xs: &[u16], from: usize, target: u16) -> usize {
    let (mut lo, mut hi, mut step) = (from, from, 1);
    while hi < xs.len() && xs[hi] < target {
        lo = hi + 1;
        hi += step;
        step *= 2;
    }
    let hi = hi.min(xs.len());
    lo + xs[lo..hi].partition_point(|x| *x < target)
}

impl Latest {
    /// Slots that hold a value.
    pub(crate) fn exists(&self) -> &RoaringBitmap {
        &self.exists
    }

    /// Stores `value` for `slot` (replacing any).
    pub(crate) fn insert(&mut self, slot: u32, value: i64) {
        let (c, low) = split(slot);
        if self.chunks.len() <= c {
            self.chunks.resize_with(c + 1, Chunk::default);
        }
        let chunk = &mut self.chunks[c];
        let at = chunk.lows.partition_point(|x| *x < low);
        if chunk.lows.get(at) == Some(&low) {
            chunk.values[at] = value;
        } else {
            chunk.lows.insert(at, low);
            chunk.values.insert(at, value);
        }
        add(&mut self.exists, slot);
    }

    /// Forgets the value of `slot`; whether it had one.
    pub(crate) fn remove(&mut self, slot: u32) -> bool {
        if !self.exists.remove(slot) {
            return false;
        }
        let (c, low) = split(slot);
        if let Some(chunk) = self.chunks.get_mut(c) {
            let at = chunk.lows.partition_point(|x| *x < low);
            if chunk.lows.get(at) == Some(&low) {
                chunk.lows.remove(at);
                chunk.values.remove(at);
            }
        }
        true
    }

    /// Whether nothing at all is stored.
    #[cfg(test)]
    pub(crate) fn is_blank(&self) -> bool {
        self.exists.is_empty()
            && self
                .chunks
                .iter()
                .all(|c| c.lows.is_empty() && c.values.is_empty())
    }

    /// Slots of the scope that hold a value.
    pub(crate) fn scoped(&self, scope: Scope<'_>) -> RoaringBitmap {
        scope.restrict(&self.exists)
    }

    /// Slots of the scope whose value is at least `min`.
    pub(crate) fn ge(&self, scope: Scope<'_>, min: i64) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        match scope {
            Scope::All => {
                for (c, chunk) in self.chunks.iter().enumerate() {
                    let high = (c as u32) << CHUNK_BITS;
                    for (low, value) in chunk.lows.iter().zip(&chunk.values) {
                        if *value >= min {
                            add(&mut out, high | u32::from(*low));
                        }
                    }
                }
            }
            Scope::In(scope) => {
                let cands = scope & &self.exists;
                let (mut current, mut from) = (usize::MAX, 0);
                for slot in &cands {
                    let (c, low) = split(slot);
                    if c != current {
                        (current, from) = (c, 0);
                    }
                    let Some(chunk) = self.chunks.get(c) else {
                        continue;
                    };
                    from = gallop(&chunk.lows, from, low);
                    if chunk.lows.get(from) == Some(&low) && chunk.values[from] >= min {
                        add(&mut out, slot);
                    }
                }
            }
        }
        out
    }

    /// Heap bytes: the existence bitmap at its serialized size, chunks at capacity.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.exists.serialized_size()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self
                .chunks
                .iter()
                .map(|c| c.lows.capacity() * 2 + c.values.capacity() * 8)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn agrees_with_a_plain_map() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let mut col = Latest::default();
        let mut plain = std::collections::BTreeMap::new();
        for _ in 0..20_000 {
            let slot = rng.gen_range(0..100_000u32);
            if rng.gen_bool(0.3) {
                assert_eq!(col.remove(slot), plain.remove(&slot).is_some());
            } else {
                let v = rng.gen_range(-50..50);
                col.insert(slot, v);
                plain.insert(slot, v);
            }
        }
        assert_eq!(col.exists().len(), plain.len() as u64);
        let scope: RoaringBitmap = (0..100_000).filter(|s| s % 5 == 0).collect();
        for min in [-51, -50, -1, 0, 1, 49, 50] {
            let want: RoaringBitmap = plain
                .iter()
                .filter(|(_, v)| **v >= min)
                .map(|(s, _)| *s)
                .collect();
            assert_eq!(col.ge(Scope::All, min), want);
            assert_eq!(col.ge(Scope::In(&scope), min), &want & &scope);
        }
    }

    #[test]
    fn gallop_finds_the_first_not_less() {
        let xs = [1u16, 3, 3, 5, 8, 13, 21, 34, 55];
        for from in 0..xs.len() {
            for target in 0..60 {
                let want = from + xs[from..].partition_point(|x| *x < target);
                assert_eq!(gallop(&xs, from, target), want);
            }
        }
    }
}
