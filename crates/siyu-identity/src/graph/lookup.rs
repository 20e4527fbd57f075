//! Read-only questions: who holds what, where a merged-away id went, what the log says.

use super::interner::IdentId;
use super::types::{Conflict, MergeId, MergeReason, MergeRecord, ProfileId};
use super::{IdentityGraph, Reason, NONE};
use crate::value::Identity;

impl IdentityGraph {
    /// The live profile an id stands for today: itself, or the survivor it was merged into
    /// (following later merges). `None` for an id the graph never gave out.
    pub fn resolve(&self, profile: ProfileId) -> Option<ProfileId> {
        let mut p = profile.get();
        loop {
            let m = self.profiles.get(p as usize)?.absorbed_by;
            if m == NONE {
                return Some(ProfileId::new(p));
            }
            p = self.merges[m as usize].survivor;
        }
    }

    /// Whether the id names a live (not merged-away) profile.
    pub fn is_live_profile(&self, profile: ProfileId) -> bool {
        self.is_live(profile.get())
    }

    /// When a profile was created (decides which of two is older).
    pub fn created_at(&self, profile: ProfileId) -> Option<i64> {
        self.profiles.get(profile.ix()).map(|r| r.created_at)
    }

    /// The profile holding an identity; for a phone kept on several profiles, the oldest.
    pub fn profile_of(&self, identity: &Identity) -> Option<ProfileId> {
        let i = self.interner.find(identity)?;
        self.holders(i)
            .min_by_key(|&p| self.age(p))
            .map(ProfileId::new)
    }

    /// Every profile holding an identity, oldest first.
    pub fn holders_of(&self, identity: &Identity) -> Vec<ProfileId> {
        let Some(i) = self.interner.find(identity) else {
            return Vec::new();
        };
        let mut out: Vec<u32> = self.holders(i).collect();
        out.sort_by_key(|&p| self.age(p));
        out.into_iter().map(ProfileId::new).collect()
    }

    /// Whether a phone or email has reached the shared threshold and links nothing more.
    pub fn is_shared(&self, identity: &Identity) -> bool {
        identity.kind().is_guarded()
            && self
                .interner
                .find(identity)
                .map_or(0, |i| self.holder_count(i))
                >= self.policy.shared_threshold
    }

    /// The identities of a profile (resolved through merges), in identity order.
    pub fn identities_of(&self, profile: ProfileId) -> Vec<Identity> {
        match self.resolve(profile) {
            Some(p) => self.sorted_identities(&self.profiles[p.ix()].idents),
            None => Vec::new(),
        }
    }

    /// Number of live profiles.
    pub fn profiles(&self) -> usize {
        self.live
    }

    /// Number of profile ids ever given out (live and merged away).
    pub fn profile_ids(&self) -> usize {
        self.profiles.len()
    }

    /// Number of identities held by at least one profile.
    pub fn identities(&self) -> usize {
        (0..self.interner.len() as u32)
            .filter(|&i| self.interner.holder(i) != NONE)
            .count()
    }

    /// One merge log entry.
    pub fn merge_record(&self, merge: MergeId) -> Option<MergeRecord> {
        (merge.ix() < self.merges.len()).then(|| self.record(merge))
    }

    /// The whole merge log, oldest first.
    pub fn merges(&self) -> impl ExactSizeIterator<Item = MergeRecord> + '_ {
        (0..self.merges.len()).map(|m| self.record(MergeId::new(m as u32)))
    }

    /// Merges an observation made through this identity, for review once a phone turns out to
    /// be shared: each can be undone.
    pub fn merges_via(&self, identity: &Identity) -> Vec<MergeId> {
        let Some(i) = self.interner.find(identity) else {
            return Vec::new();
        };
        let via = |r: &Reason| matches!(*r, Reason::Observed { survivor_via, absorbed_via } if survivor_via == i || absorbed_via == i);
        let hits = self
            .merges
            .iter()
            .enumerate()
            .filter(|(_, r)| via(&r.reason));
        hits.map(|(m, _)| MergeId::new(m as u32)).collect()
    }

    /// Conflicts kept for review, in the order first seen.
    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// The heap the graph has allocated, in bytes: an upper bound of what is resident, since
    /// grown tables keep capacity not yet touched (for capacity planning).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let spilled: usize = self
            .profiles
            .iter()
            .filter(|r| r.idents.spilled())
            .map(|r| r.idents.capacity() * 4)
            .sum();
        self.interner.heap_bytes()
            + self.profiles.capacity() * size_of::<super::Profile>()
            + spilled
            + self.merges.capacity() * size_of::<super::MergeRec>()
            + self.extra.capacity() * 32
    }

    /// The public form of a merge log entry.
    pub(super) fn record(&self, merge: MergeId) -> MergeRecord {
        let r = &self.merges[merge.ix()];
        let reason = match &r.reason {
            Reason::Observed {
                survivor_via,
                absorbed_via,
            } => MergeReason::Observed {
                survivor_via: self.interner.identity(*survivor_via),
                absorbed_via: self.interner.identity(*absorbed_via),
            },
            Reason::Explicit(note) => MergeReason::Explicit {
                note: note.to_string(),
            },
        };
        let (moved, shared) = r.idents.split_at(r.moved as usize);
        MergeRecord {
            id: merge,
            survivor: ProfileId::new(r.survivor),
            absorbed: ProfileId::new(r.absorbed),
            reason,
            at: r.at,
            moved: self.sorted_identities(moved),
            shared: self.sorted_identities(shared),
            undone_at: r.undone_at,
        }
    }

    /// Identities for ids, in identity order (so output never depends on storage order).
    pub(super) fn sorted_identities(&self, ids: &[IdentId]) -> Vec<Identity> {
        let mut out: Vec<Identity> = ids.iter().map(|&i| self.interner.identity(i)).collect();
        out.sort_unstable();
        out
    }
}
