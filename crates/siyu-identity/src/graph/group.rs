//! Which profiles an observation may join: candidates, and the values a group accumulates.

use smallvec::SmallVec;

use super::interner::IdentId;
use super::IdentityGraph;

/// A profile an observation points at.
pub(super) struct Candidate {
    pub(super) profile: u32,
    /// Index of the observed identity that points at it (a strong one if any).
    pub(super) via: usize,
    pub(super) strong: bool,
}

/// Values accumulated by the group: unique kinds, and platform ids for weak candidates.
#[derive(Default)]
pub(super) struct Group {
    unique: SmallVec<[IdentId; 8]>,
    platform: SmallVec<[IdentId; 8]>,
}

impl IdentityGraph {
    /// Profiles holding any observed identity: strong before weak, each oldest first.
    pub(super) fn candidates(&self, items: &[IdentId]) -> SmallVec<[Candidate; 8]> {
        let mut found: SmallVec<[Candidate; 8]> = SmallVec::new();
        for (via, &i) in items.iter().enumerate() {
            let strong = !self.is_guarded(i);
            for profile in self.holders(i) {
                match found.iter_mut().find(|c| c.profile == profile) {
                    Some(c) if strong && !c.strong => (c.via, c.strong) = (via, true),
                    Some(_) => {}
                    None => found.push(Candidate {
                        profile,
                        via,
                        strong,
                    }),
                }
            }
        }
        found.sort_by_key(|c| (!c.strong, self.age(c.profile)));
        found
    }

    pub(super) fn add_to_group(&self, group: &mut Group, i: IdentId) {
        let list = if self.is_unique(i) {
            &mut group.unique
        } else if !self.is_guarded(i) {
            &mut group.platform
        } else {
            return;
        };
        if !list.contains(&i) {
            list.push(i);
        }
    }

    /// The group's and the candidate's values of the least kind on which they disagree.
    pub(super) fn group_conflict(
        &self,
        group: &Group,
        c: &Candidate,
    ) -> Option<(IdentId, IdentId)> {
        let held = &self.profiles[c.profile as usize].idents;
        let kind = |i: IdentId| self.interner.kind_id(i);
        let mut found: Option<(IdentId, IdentId)> = None;
        let mut consider = |mine: IdentId, theirs: IdentId| {
            let better = found.is_none_or(|(f, t)| {
                (self
                    .interner
                    .cmp(mine, f)
                    .then(self.interner.cmp(theirs, t)))
                .is_lt()
            });
            if better {
                found = Some((mine, theirs));
            }
        };
        for &theirs in held.iter().filter(|&&i| self.is_unique(i)) {
            let mine = group.unique.iter().find(|&&u| kind(u) == kind(theirs));
            if let Some(&mine) = mine.filter(|&&m| m != theirs) {
                consider(mine, theirs);
            }
        }
        if !c.strong {
            let platform = held
                .iter()
                .filter(|&&i| !self.is_unique(i) && !self.is_guarded(i));
            for &theirs in platform {
                let same_kind = |&&u: &&IdentId| kind(u) == kind(theirs);
                let shares = |&&u: &&IdentId| held.contains(&u);
                let ours: SmallVec<[IdentId; 4]> =
                    group.platform.iter().filter(same_kind).copied().collect();
                if !ours.is_empty() && !ours.iter().any(|u| shares(&u)) {
                    for mine in ours {
                        consider(mine, theirs);
                    }
                }
            }
        }
        found
    }
}
