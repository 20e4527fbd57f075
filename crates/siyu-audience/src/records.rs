//! Per-slot forward lists: which bitmaps of the large vocabularies (tags, regions, channels,
//! categories, skus) hold a slot, so replacing or removing a profile touches only those instead
//! of probing every bitmap.
//!
//! Each list is a set of posting ids, sorted and delta-coded as LEB128 varints. Up to
//! [`INLINE`] bytes live inline (16 bytes a slot in all); longer lists spill to a map.

use std::collections::HashMap;

/// Payload bytes kept inline per slot.
const INLINE: usize = 15;
/// The length byte of a spilled list.
const SPILLED: u8 = u8::MAX;

/// Posting-id lists by slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Records {
    /// Byte 0: payload length, or [`SPILLED`]; then the payload.
    inline: Vec<[u8; INLINE + 1]>,
    spilled: HashMap<u32, Box<[u8]>>,
}

fn encode(ids: &[u32], out: &mut Vec<u8>) {
    let mut prev = 0u32;
    for (i, id) in ids.iter().enumerate() {
        let mut d = if i == 0 { *id } else { id - prev };
        prev = *id;
        loop {
            // Seven bits at a time, low first; the high bit says more follow.
            let byte = (d & 0x7f) as u8;
            d >>= 7;
            if d == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
}

fn decode(bytes: &[u8], out: &mut Vec<u32>) {
    let (mut acc, mut shift, mut prev) = (0u32, 0u32, 0u32);
    for b in bytes {
        acc |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
        if b & 0x80 == 0 {
            prev = if out.is_empty() {
                acc
            } else {
                prev.wrapping_add(acc)
            };
            out.push(prev);
            (acc, shift) = (0, 0);
        } else {
            shift += 7;
        }
    }
}

impl Records {
    /// Room for `n` slots.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Records {
            inline: Vec::with_capacity(n),
            spilled: HashMap::new(),
        }
    }

    /// Stores the posting ids of `slot` (sorting and deduplicating them), replacing any.
    pub(crate) fn set(&mut self, slot: u32, ids: &mut Vec<u32>) {
        ids.sort_unstable();
        ids.dedup();
        let mut bytes = Vec::with_capacity(ids.len() * 2);
        encode(ids, &mut bytes);
        let at = slot as usize;
        if self.inline.len() <= at {
            self.inline.resize(at + 1, [0; INLINE + 1]);
        }
        let cell = &mut self.inline[at];
        if cell[0] == SPILLED {
            self.spilled.remove(&slot);
        }
        if bytes.len() <= INLINE {
            // At most INLINE (15) bytes.
            cell[0] = bytes.len() as u8;
            cell[1..=bytes.len()].copy_from_slice(&bytes);
        } else {
            cell[0] = SPILLED;
            self.spilled.insert(slot, bytes.into_boxed_slice());
        }
    }

    /// Takes the posting ids of `slot` into `out` (ascending), leaving none.
    pub(crate) fn take(&mut self, slot: u32, out: &mut Vec<u32>) {
        let Some(cell) = self.inline.get_mut(slot as usize) else {
            return;
        };
        match cell[0] {
            SPILLED => {
                if let Some(bytes) = self.spilled.remove(&slot) {
                    decode(&bytes, out);
                }
            }
            n => decode(&cell[1..=usize::from(n).min(INLINE)], out),
        }
        cell[0] = 0;
    }

    /// How many lists spilled out of line.
    #[cfg(test)]
    pub(crate) fn spilled(&self) -> usize {
        self.spilled.len()
    }

    /// Heap bytes at capacity: (inline, spilled).
    pub(crate) fn heap_bytes(&self) -> (usize, usize) {
        let spilled = self.spilled.capacity() * (std::mem::size_of::<(u32, Box<[u8]>)>() + 1)
            + self.spilled.values().map(|b| b.len()).sum::<usize>();
        (self.inline.capacity() * (INLINE + 1), spilled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_inline_and_spilled() {
        let mut r = Records::default();
        let lists: Vec<Vec<u32>> = vec![
            vec![],
            vec![0],
            vec![5, 3, 5, 1],
            vec![1, 200, 70_000, u32::MAX],
            (0..40).map(|i| i * 3).collect(),
        ];
        for (slot, list) in lists.iter().enumerate() {
            r.set(slot as u32 * 2, &mut list.clone());
        }
        assert_eq!(r.spilled(), 1);
        for (slot, list) in lists.iter().enumerate() {
            let mut want = list.clone();
            want.sort_unstable();
            want.dedup();
            let mut got = Vec::new();
            r.take(slot as u32 * 2, &mut got);
            assert_eq!(got, want);
            got.clear();
            r.take(slot as u32 * 2, &mut got);
            assert!(got.is_empty());
        }
        assert_eq!(r.spilled(), 0);
        // Replacing a spilled list with a short one drops the spill.
        r.set(1, &mut (0..40).collect());
        r.set(1, &mut vec![7]);
        assert_eq!(r.spilled(), 0);
        let mut got = Vec::new();
        r.take(1, &mut got);
        assert_eq!(got, vec![7]);
        // Slots never set have nothing.
        r.take(1_000, &mut got);
        assert_eq!(got, vec![7]);
    }
}
