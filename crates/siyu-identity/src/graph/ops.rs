//! Explicit operations: merge, undo, link and unlink, and the merge/undo mechanics that
//! `observe` and replay share.

use super::interner::IdentId;
use super::outcome::{LinkError, Refusal, UndoError, UndoOutcome};
use super::types::{Change, MergeId, MergeRecord, ProfileId};
use super::{IdentList, IdentityGraph, MergeRec, Reason, NONE};
use crate::value::Identity;

impl IdentityGraph {
    /// Merges `absorbed` into `survivor` because someone asked (`note` says who and why).
    /// Either id may be one merged away earlier; both are resolved first. The caller chooses
    /// the survivor (automatic stitching always keeps the older profile). Refused when the two
    /// hold different values of a unique kind.
    pub fn merge(
        &mut self,
        survivor: ProfileId,
        absorbed: ProfileId,
        note: &str,
        at: i64,
    ) -> Result<MergeRecord, Refusal> {
        let s = self
            .resolve(survivor)
            .ok_or(Refusal::UnknownProfile(survivor))?;
        let a = self
            .resolve(absorbed)
            .ok_or(Refusal::UnknownProfile(absorbed))?;
        self.check_merge(s.get(), a.get())?;
        let rec = self.plan_merge(s.get(), a.get(), Reason::Explicit(note.into()), at);
        let id = self.commit_merge(rec);
        Ok(self.record(id))
    }

    /// Refuses a merge of the same profile or of profiles with a unique-kind conflict.
    pub(super) fn check_merge(&self, s: u32, a: u32) -> Result<(), Refusal> {
        if s == a {
            return Err(Refusal::SameProfile(ProfileId::new(s)));
        }
        match self.unique_conflict(s, a) {
            Some((mine, theirs)) => Err(Refusal::UniqueConflict {
                kind: self.interner.kind(mine).clone(),
                values: Box::new([self.interner.identity(mine), self.interner.identity(theirs)]),
            }),
            None => Ok(()),
        }
    }

    /// The first unique kind (in identity order) where `s` and `a` hold different values.
    pub(super) fn unique_conflict(&self, s: u32, a: u32) -> Option<(IdentId, IdentId)> {
        let mut found: Option<(IdentId, IdentId)> = None;
        for &theirs in &self.profiles[a as usize].idents {
            if !self.is_unique(theirs) {
                continue;
            }
            let mine = self.unique_value(s, self.interner.kind_id(theirs));
            if let Some(mine) = mine.filter(|&m| m != theirs) {
                let better = found.is_none_or(|(f, _)| self.interner.cmp(mine, f).is_lt());
                if better {
                    found = Some((mine, theirs));
                }
            }
        }
        found
    }

    /// What merging `a` into `s` would move, without changing anything.
    pub(super) fn plan_merge(&self, s: u32, a: u32, reason: Reason, at: i64) -> MergeRec {
        let (mut idents, shared): (IdentList, IdentList) = self.profiles[a as usize]
            .idents
            .iter()
            .copied()
            .partition(|&i| !self.holds(s, i));
        let moved = idents.len() as u32;
        idents.extend(shared);
        MergeRec {
            survivor: s,
            absorbed: a,
            reason,
            at,
            idents,
            moved,
            undone_at: None,
        }
    }

    /// Applies a planned merge.
    pub(super) fn commit_merge(&mut self, rec: MergeRec) -> MergeId {
        let id = self.merges.len() as u32;
        let (s, a) = (rec.survivor, rec.absorbed);
        for (n, &i) in rec.idents.iter().enumerate() {
            self.remove_holder(i, a);
            if n < rec.moved as usize {
                self.add_holder(i, s);
                self.profiles[s as usize].idents.push(i);
            }
        }
        self.profiles[a as usize].idents = IdentList::new();
        self.profiles[a as usize].absorbed_by = id;
        self.live -= 1;
        self.merges.push(rec);
        MergeId::new(id)
    }

    /// Undoes a merge: the absorbed profile lives again with the identities it brought, and the
    /// identities both held before are held by both again.
    ///
    /// Exact when nothing touched the two profiles since. Otherwise: identities linked to the
    /// survivor since stay with it; identities the merge moved but that were unlinked since are
    /// `skipped`; later merges into the survivor stay. A merge whose survivor was itself merged
    /// away later is refused, naming that later merge, which must be undone first.
    pub fn undo(&mut self, merge: MergeId, at: i64) -> Result<UndoOutcome, UndoError> {
        self.check_undo(merge)?;
        let (returned, reattached, skipped) = self.commit_undo(merge, at);
        let rec = &self.merges[merge.ix()];
        let identities = |ids: IdentList| self.sorted_identities(&ids);
        Ok(UndoOutcome {
            merge,
            survivor: ProfileId::new(rec.survivor),
            restored: ProfileId::new(rec.absorbed),
            returned: identities(returned),
            reattached: identities(reattached),
            skipped: identities(skipped),
            change: Change::Undone { merge, at },
        })
    }

    /// Refuses an unknown, already undone or buried merge.
    pub(super) fn check_undo(&self, merge: MergeId) -> Result<(), UndoError> {
        let rec = self
            .merges
            .get(merge.ix())
            .ok_or(UndoError::UnknownMerge(merge))?;
        if let Some(at) = rec.undone_at {
            return Err(UndoError::AlreadyUndone { merge, at });
        }
        let later = self.profiles[rec.survivor as usize].absorbed_by;
        if later != NONE {
            return Err(UndoError::Blocked {
                merge,
                later: MergeId::new(later),
                survivor: ProfileId::new(rec.survivor),
            });
        }
        Ok(())
    }

    /// Applies a checked undo; returns (returned, reattached, skipped).
    pub(super) fn commit_undo(
        &mut self,
        merge: MergeId,
        at: i64,
    ) -> (IdentList, IdentList, IdentList) {
        let rec = &mut self.merges[merge.ix()];
        rec.undone_at = Some(at);
        let (s, a, moved) = (rec.survivor, rec.absorbed, rec.moved as usize);
        let idents = rec.idents.clone();
        let (mut returned, mut skipped) = (IdentList::new(), IdentList::new());
        for &i in &idents[..moved] {
            if self.holds(s, i) {
                self.detach(s, i);
                self.attach(a, i);
                returned.push(i);
            } else {
                skipped.push(i);
            }
        }
        for &i in &idents[moved..] {
            self.attach(a, i);
        }
        self.profiles[a as usize].absorbed_by = NONE;
        self.live += 1;
        (returned, IdentList::from_slice(&idents[moved..]), skipped)
    }

    /// Attaches an identity to a profile by hand (an operator adding a phone); a merged-away id
    /// resolves to its survivor. Refuses placeholders, shared values, a unique identity held
    /// elsewhere (merge instead) and a second value of a unique kind.
    pub fn link(&mut self, profile: ProfileId, identity: &Identity) -> Result<Change, LinkError> {
        let profile = self
            .resolve(profile)
            .ok_or(LinkError::UnknownProfile(profile))?;
        if self.policy.placeholders.is_placeholder(identity) {
            return Err(LinkError::Placeholder);
        }
        if identity.kind().is_guarded() {
            let count = self
                .interner
                .find(identity)
                .map_or(0, |i| self.holder_count(i));
            if count >= self.policy.shared_threshold {
                return Err(LinkError::Shared);
            }
        }
        self.link_unchecked_policy(profile, identity)
    }

    /// `link` without the policy checks (replay applies what was decided under older rules).
    pub(super) fn link_unchecked_policy(
        &mut self,
        profile: ProfileId,
        identity: &Identity,
    ) -> Result<Change, LinkError> {
        let p = self.live_profile(profile)?;
        if let Some(i) = self.interner.find(identity) {
            if self.holds(p, i) {
                return Err(LinkError::AlreadyHeld);
            }
            if let Some(h) = self.holders(i).next().filter(|_| self.is_unique(i)) {
                return Err(LinkError::HeldBy(ProfileId::new(h)));
            }
        }
        if identity.kind().is_unique() {
            if let Some(kind) = self.interner.find_kind(identity.kind()) {
                if self.unique_value(p, kind).is_some() {
                    return Err(LinkError::Conflict(identity.kind().clone()));
                }
            }
        }
        let i = self.intern(identity);
        self.attach(p, i);
        Ok(Change::Linked {
            profile,
            identity: identity.clone(),
        })
    }

    /// Detaches an identity from a profile (a merged-away id resolves to its survivor). The
    /// identity then belongs to no profile unless others hold it too.
    pub fn unlink(&mut self, profile: ProfileId, identity: &Identity) -> Result<Change, LinkError> {
        let p = self
            .resolve(profile)
            .ok_or(LinkError::UnknownProfile(profile))?;
        let i = self
            .interner
            .find(identity)
            .filter(|&i| self.holds(p.get(), i));
        let i = i.ok_or(LinkError::NotHeld)?;
        self.detach(p.get(), i);
        Ok(Change::Unlinked {
            profile: p,
            identity: identity.clone(),
        })
    }

    /// The index of a live profile, or why not.
    pub(super) fn live_profile(&self, profile: ProfileId) -> Result<u32, LinkError> {
        let p = profile.get();
        if p as usize >= self.profiles.len() {
            Err(LinkError::UnknownProfile(profile))
        } else if !self.is_live(p) {
            Err(LinkError::NotLive(profile))
        } else {
            Ok(p)
        }
    }
}
