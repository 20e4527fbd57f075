//! Replaying persisted [`Change`]s. Each change is checked against the graph before it is
//! applied, so a change log that does not fit (rows edited by hand, a gap) is an error rather
//! than a corrupted graph.

use super::interner::IdentId;
use super::outcome::{LinkError, ReplayError};
use super::types::{Change, MergeReason, MergeRecord};
use super::{IdentList, IdentityGraph, Reason};
use crate::value::Identity;

impl IdentityGraph {
    /// Applies one persisted change, as the operation that produced it did. Changes must be
    /// applied in the order they were produced; placeholder and shared rules are not re-checked
    /// (the change was decided under the rules of its time). A merge record's `undone_at` is
    /// ignored: an undo is its own [`Change::Undone`].
    pub fn apply(&mut self, change: &Change) -> Result<(), ReplayError> {
        match change {
            Change::ProfileCreated { profile, at } => {
                let next = self.profiles.len() as u32;
                if profile.get() != next {
                    return Err(ReplayError::OutOfOrder {
                        what: "profile",
                        expected: next,
                        got: profile.get(),
                    });
                }
                self.create_profile(*at);
            }
            Change::Linked { profile, identity } => {
                self.link_unchecked_policy(*profile, identity)?;
            }
            Change::Unlinked { profile, identity } => {
                let p = self.live_profile(*profile)?;
                let i = self.interner.find(identity).filter(|&i| self.holds(p, i));
                self.detach(p, i.ok_or(LinkError::NotHeld)?);
            }
            Change::Merged(record) => self.apply_merge(record)?,
            Change::Undone { merge, at } => {
                self.check_undo(*merge)?;
                self.commit_undo(*merge, *at);
            }
            Change::ConflictRecorded(conflict) => {
                let [s, c] = conflict.profiles;
                if self.live_profile(s).is_err() || self.live_profile(c).is_err() {
                    return Err(ReplayError::Mismatch(
                        "a conflict names a profile that is not live".into(),
                    ));
                }
                let (mine, theirs) = (
                    self.intern(&conflict.values[0]),
                    self.intern(&conflict.values[1]),
                );
                if self.conflict_keys.insert((s.get(), c.get(), mine, theirs)) {
                    self.conflicts.push(conflict.clone());
                }
            }
        }
        Ok(())
    }

    /// Replays a whole change log onto an empty graph.
    pub fn replay<'a>(
        policy: super::Policy,
        changes: impl IntoIterator<Item = &'a Change>,
    ) -> Result<Self, ReplayError> {
        let mut graph = Self::new(policy);
        for change in changes {
            graph.apply(change)?;
        }
        Ok(graph)
    }

    fn apply_merge(&mut self, r: &MergeRecord) -> Result<(), ReplayError> {
        let next = self.merges.len() as u32;
        if r.id.get() != next {
            return Err(ReplayError::OutOfOrder {
                what: "merge",
                expected: next,
                got: r.id.get(),
            });
        }
        let s = self.live_profile(r.survivor)?;
        let a = self.live_profile(r.absorbed)?;
        self.check_merge(s, a)?;
        let reason = match &r.reason {
            MergeReason::Observed {
                survivor_via,
                absorbed_via,
            } => Reason::Observed {
                survivor_via: self.known(survivor_via)?,
                absorbed_via: self.known(absorbed_via)?,
            },
            MergeReason::Explicit { note } => Reason::Explicit(note.as_str().into()),
        };
        let rec = self.plan_merge(s, a, reason, r.at);
        let (moved, shared) = rec.idents.split_at(rec.moved as usize);
        if !self.same_set(moved, &r.moved) || !self.same_set(shared, &r.shared) {
            return Err(ReplayError::Mismatch(format!(
                "{} does not move what the graph holds: replayed out of order?",
                r.id
            )));
        }
        self.commit_merge(rec);
        Ok(())
    }

    fn known(&self, identity: &Identity) -> Result<IdentId, ReplayError> {
        self.interner.find(identity).ok_or_else(|| {
            ReplayError::Mismatch("a merge names an identity the graph never saw".into())
        })
    }

    fn same_set(&self, ids: &[IdentId], identities: &[Identity]) -> bool {
        let mut found: IdentList = IdentList::new();
        for identity in identities {
            match self.interner.find(identity) {
                Some(i) if !found.contains(&i) => found.push(i),
                _ => return false,
            }
        }
        found.len() == ids.len() && ids.iter().all(|i| found.contains(i))
    }
}
