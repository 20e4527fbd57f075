//! `observe`: the identify call. Identities seen together belong to one customer unless the
//! graph knows better; the rules are on [`IdentityGraph::observe`].

use smallvec::SmallVec;

use super::group::{Candidate, Group};
use super::interner::IdentId;
use super::outcome::{IgnoreReason, Ignored, ObserveError, Outcome};
use super::types::{Change, Conflict, ProfileId};
use super::{IdentityGraph, Reason};
use crate::value::Identity;

/// The observed identities kept by screening, and their interned ids.
type Screened<'a> = (SmallVec<[&'a Identity; 8]>, SmallVec<[IdentId; 8]>);

impl IdentityGraph {
    /// Records that `identities` were seen together at `at` (an event, an order, a login) and
    /// stitches accordingly. Refused, changing nothing, when the identities hold two values of
    /// one unique kind. The rules, in order:
    ///
    /// 1. Placeholders and shared phones/emails take no part (reported as ignored).
    /// 2. Every profile holding an observed identity is a candidate: *strong* when it holds an
    ///    observed unique or platform identity, *weak* when only a phone or email points at it.
    /// 3. Strong candidates, then weak ones, each oldest first, join the group unless they hold
    ///    a value of a unique kind different from the group's (or, for a weak candidate, a
    ///    platform id of a kind where the group has only other values: a phone is not evidence
    ///    that two Taobao nicks are one person). A candidate left out is a conflict, kept once
    ///    for review.
    /// 4. The oldest profile of the group survives and absorbs the rest, one logged merge each.
    ///    With no group a new profile is created, unless it would hold nothing (every identity
    ///    is a unique one held by a profile left out): then the oldest candidate keeps the
    ///    observation and nothing changes but the conflicts.
    /// 5. Observed identities the survivor lacks are attached, except a unique identity held by
    ///    a profile left out. A phone kept this way on several profiles becomes shared once it
    ///    is on the policy's threshold of profiles.
    pub fn observe(&mut self, identities: &[Identity], at: i64) -> Result<Outcome, ObserveError> {
        let mut out = Outcome::default();
        let (kept, items) = self.screen(identities, &mut out)?;
        if kept.is_empty() {
            return Ok(out);
        }
        let candidates = self.candidates(&items);

        let mut group = Group::default();
        for &i in &items {
            self.add_to_group(&mut group, i);
        }
        let mut accepted: SmallVec<[usize; 4]> = SmallVec::new();
        let mut rejected: SmallVec<[(usize, IdentId, IdentId); 4]> = SmallVec::new();
        for (n, c) in candidates.iter().enumerate() {
            match self.group_conflict(&group, c) {
                Some((mine, theirs)) => rejected.push((n, mine, theirs)),
                None => {
                    for &i in &self.profiles[c.profile as usize].idents {
                        self.add_to_group(&mut group, i);
                    }
                    accepted.push(n);
                }
            }
        }
        accepted.sort_by_key(|&n| self.age(candidates[n].profile));

        let attachable = |g: &Self, i: IdentId| !g.is_unique(i) || g.holder_count(i) == 0;
        let s = match accepted.first() {
            Some(&n) => candidates[n].profile,
            None if !items.iter().any(|&i| attachable(self, i)) => {
                // Every observed identity is a unique one, held by profiles that disagree: a
                // new profile would hold nothing. The oldest keeps the observation; nothing moves.
                self.contradiction(&candidates, (&kept, &items), at, &mut out);
                return Ok(out);
            }
            None => {
                let p = self.create_profile(at);
                out.created = Some(ProfileId::new(p));
                out.changes.push(Change::ProfileCreated {
                    profile: ProfileId::new(p),
                    at,
                });
                p
            }
        };
        out.profile = Some(ProfileId::new(s));
        if let Some((&first, rest)) = accepted.split_first() {
            let survivor_via = items[candidates[first].via];
            for &n in rest {
                let absorbed_via = items[candidates[n].via];
                let reason = Reason::Observed {
                    survivor_via,
                    absorbed_via,
                };
                let rec = self.plan_merge(s, candidates[n].profile, reason, at);
                let id = self.commit_merge(rec);
                out.changes.push(Change::Merged(self.record(id)));
                out.merged.push(id);
            }
        }
        for (n, mine, theirs) in rejected {
            self.record_conflict(
                s,
                &candidates[n],
                items[candidates[n].via],
                (mine, theirs),
                at,
                &mut out,
            );
        }
        self.attach_observed(s, &kept, &items, &mut out);
        Ok(out)
    }

    /// Drops duplicates, placeholders and shared values; refuses two values of a unique kind
    /// (before interning anything). Returns the identities kept and their interned ids.
    fn screen<'a>(
        &mut self,
        identities: &'a [Identity],
        out: &mut Outcome,
    ) -> Result<Screened<'a>, ObserveError> {
        let mut kept: SmallVec<[&Identity; 8]> = SmallVec::new();
        for (n, identity) in identities.iter().enumerate() {
            if identities[..n].contains(identity) {
                continue;
            }
            if self.policy.placeholders.is_placeholder(identity) {
                let reason = IgnoreReason::Placeholder;
                out.ignored.push(Ignored {
                    identity: identity.clone(),
                    reason,
                });
                continue;
            }
            let kind = identity.kind();
            if kind.is_unique() && kept.iter().any(|k| k.kind() == kind) {
                return Err(ObserveError::TwoValues(kind.clone()));
            }
            kept.push(identity);
        }
        let mut items = SmallVec::new();
        let threshold = self.policy.shared_threshold;
        kept.retain(|identity| {
            // Interning first costs one index probe instead of two; an identity interned but
            // held by no profile is invisible.
            let i = self.intern(identity);
            if identity.kind().is_guarded() && self.holder_count(i) >= threshold {
                let reason = IgnoreReason::Shared;
                out.ignored.push(Ignored {
                    identity: (*identity).clone(),
                    reason,
                });
                return false;
            }
            items.push(i);
            true
        });
        Ok((kept, items))
    }

    /// Records, for an observation that changes nothing, the conflicts between the oldest
    /// profile it points at and the others.
    fn contradiction(
        &mut self,
        candidates: &[Candidate],
        (kept, items): (&[&Identity], &[IdentId]),
        at: i64,
        out: &mut Outcome,
    ) {
        let Some(oldest) = candidates.iter().min_by_key(|c| self.age(c.profile)) else {
            return;
        };
        let s = oldest.profile;
        out.profile = Some(ProfileId::new(s));
        for c in candidates.iter().filter(|c| c.profile != s) {
            if let Some(pair) = self.unique_conflict(s, c.profile) {
                self.record_conflict(s, c, items[c.via], pair, at, out);
            }
        }
        for (identity, &i) in kept.iter().zip(items) {
            if let Some(h) = self.holders(i).find(|&h| h != s) {
                let reason = IgnoreReason::HeldElsewhere {
                    profile: ProfileId::new(h),
                };
                out.ignored.push(Ignored {
                    identity: (*identity).clone(),
                    reason,
                });
            }
        }
    }

    fn record_conflict(
        &mut self,
        s: u32,
        c: &Candidate,
        via: IdentId,
        (mine, theirs): (IdentId, IdentId),
        at: i64,
        out: &mut Outcome,
    ) {
        let conflict = Conflict {
            kind: self.interner.kind(theirs).clone(),
            profiles: [ProfileId::new(s), ProfileId::new(c.profile)],
            values: [self.interner.identity(mine), self.interner.identity(theirs)],
            via: self.interner.identity(via),
            at,
        };
        if self.conflict_keys.insert((s, c.profile, mine, theirs)) {
            self.conflicts.push(conflict.clone());
            out.changes.push(Change::ConflictRecorded(conflict.clone()));
        }
        out.conflicts.push(conflict);
    }

    fn attach_observed(
        &mut self,
        s: u32,
        kept: &[&Identity],
        items: &[IdentId],
        out: &mut Outcome,
    ) {
        for (identity, &i) in kept.iter().zip(items) {
            if self.holds(s, i) {
                continue;
            }
            if self.is_unique(i) {
                if let Some(h) = self.holders(i).next() {
                    let reason = IgnoreReason::HeldElsewhere {
                        profile: ProfileId::new(h),
                    };
                    out.ignored.push(Ignored {
                        identity: (*identity).clone(),
                        reason,
                    });
                    continue;
                }
            }
            self.attach(s, i);
            out.changes.push(Change::Linked {
                profile: ProfileId::new(s),
                identity: (*identity).clone(),
            });
            out.linked.push((*identity).clone());
            if self.is_guarded(i) && self.holder_count(i) >= self.policy.shared_threshold {
                out.became_shared.push((*identity).clone());
            }
        }
    }
}
