//! The graph as rows (profiles, links, merge log, conflicts), for storage and for rebuilding
//! at startup; and the invariants a graph must keep.

use serde::{Deserialize, Serialize};

use super::outcome::ReplayError;
use super::types::{Conflict, MergeId, MergeReason, MergeRecord, Policy, ProfileId};
use super::{IdentList, IdentityGraph, MergeRec, Reason, NONE};
use crate::value::Identity;

/// One profile row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRow {
    /// The profile's id.
    pub id: ProfileId,
    /// When it was created.
    pub created_at: i64,
    /// The live merge that absorbed it, if any.
    pub absorbed_by: Option<MergeId>,
}

/// One identity held by one profile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Link {
    /// The holding profile.
    pub profile: ProfileId,
    /// The identity.
    pub identity: Identity,
}

/// The whole graph as rows, in a canonical order: two graphs with the same state and history
/// have equal snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every profile ever created, by id.
    pub profiles: Vec<ProfileRow>,
    /// Current holdings, by profile then identity.
    pub links: Vec<Link>,
    /// The merge log, by id.
    pub merges: Vec<MergeRecord>,
    /// Conflicts kept for review, in the order first seen.
    pub conflicts: Vec<Conflict>,
}

impl IdentityGraph {
    /// The graph as rows.
    pub fn snapshot(&self) -> Snapshot {
        let profiles = (0..self.profiles.len())
            .map(|p| ProfileRow {
                id: ProfileId::new(p as u32),
                created_at: self.profiles[p].created_at,
                absorbed_by: Some(self.profiles[p].absorbed_by)
                    .filter(|&m| m != NONE)
                    .map(MergeId::new),
            })
            .collect();
        let mut links = Vec::new();
        for (p, held) in self.profiles.iter().map(|r| &r.idents).enumerate() {
            let profile = ProfileId::new(p as u32);
            links.extend(
                self.sorted_identities(held)
                    .into_iter()
                    .map(|identity| Link { profile, identity }),
            );
        }
        Snapshot {
            profiles,
            links,
            merges: self.merges().collect(),
            conflicts: self.conflicts.clone(),
        }
    }

    /// Rebuilds a graph from rows, checking that they are consistent.
    pub fn restore(policy: Policy, rows: &Snapshot) -> Result<Self, ReplayError> {
        let mismatch = |what: String| ReplayError::Mismatch(what);
        let mut g = Self::with_capacity(policy, rows.links.len(), rows.profiles.len());
        for (n, row) in rows.profiles.iter().enumerate() {
            if row.id.ix() != n {
                return Err(ReplayError::OutOfOrder {
                    what: "profile",
                    expected: n as u32,
                    got: row.id.get(),
                });
            }
            g.create_profile(row.created_at);
        }
        for (n, r) in rows.merges.iter().enumerate() {
            if r.id.ix() != n {
                return Err(ReplayError::OutOfOrder {
                    what: "merge",
                    expected: n as u32,
                    got: r.id.get(),
                });
            }
            let exists = |p: ProfileId| p.ix() < rows.profiles.len();
            if !exists(r.survivor) || !exists(r.absorbed) || r.survivor == r.absorbed {
                return Err(mismatch(format!(
                    "{} names profiles that do not exist",
                    r.id
                )));
            }
            let reason = match &r.reason {
                MergeReason::Observed {
                    survivor_via,
                    absorbed_via,
                } => Reason::Observed {
                    survivor_via: g.intern(survivor_via),
                    absorbed_via: g.intern(absorbed_via),
                },
                MergeReason::Explicit { note } => Reason::Explicit(note.as_str().into()),
            };
            let mut idents: IdentList = r.moved.iter().map(|i| g.intern(i)).collect();
            let moved = idents.len() as u32;
            idents.extend(r.shared.iter().map(|i| g.intern(i)));
            let (survivor, absorbed) = (r.survivor.get(), r.absorbed.get());
            let undone_at = r.undone_at;
            g.merges.push(MergeRec {
                survivor,
                absorbed,
                reason,
                at: r.at,
                idents,
                moved,
                undone_at,
            });
        }
        for row in &rows.profiles {
            let Some(m) = row.absorbed_by else { continue };
            let live_merge = g.merges.get(m.ix()).filter(|r| r.undone_at.is_none());
            if live_merge.is_none_or(|r| r.absorbed != row.id.get()) {
                return Err(mismatch(format!(
                    "{} is absorbed by {m}, which did not absorb it",
                    row.id
                )));
            }
            g.profiles[row.id.ix()].absorbed_by = m.get();
            g.live -= 1;
        }
        for link in &rows.links {
            g.link_unchecked_policy(link.profile, &link.identity)?;
        }
        for c in &rows.conflicts {
            let key = (
                c.profiles[0].get(),
                c.profiles[1].get(),
                g.intern(&c.values[0]),
                g.intern(&c.values[1]),
            );
            if g.conflict_keys.insert(key) {
                g.conflicts.push(c.clone());
            }
        }
        g.check_invariants().map_err(mismatch)?;
        Ok(g)
    }

    /// Checks the graph's invariants: every holding is recorded on both sides and only by live
    /// profiles; no profile holds two values of a unique kind; a unique identity has one holder;
    /// every merged-away profile is absorbed by exactly one live merge and holds nothing.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut live = 0;
        for (p, held) in self.profiles.iter().map(|r| &r.idents).enumerate() {
            let p32 = p as u32;
            let m = self.profiles[p].absorbed_by;
            if m == NONE {
                live += 1;
            } else {
                let rec = self
                    .merges
                    .get(m as usize)
                    .ok_or(format!("profile {p}: unknown merge {m}"))?;
                if rec.absorbed != p32 || rec.undone_at.is_some() {
                    return Err(format!(
                        "profile {p}: merge {m} is undone or absorbed another profile"
                    ));
                }
                if !held.is_empty() {
                    return Err(format!("profile {p} was merged away but holds identities"));
                }
            }
            for (n, &i) in held.iter().enumerate() {
                if held[..n].contains(&i) || !self.holders(i).any(|h| h == p32) {
                    return Err(format!(
                        "profile {p}: identity {i} listed twice or not indexed"
                    ));
                }
                let kind = self.interner.kind_id(i);
                if self.is_unique(i) && held[..n].iter().any(|&j| self.interner.kind_id(j) == kind)
                {
                    return Err(format!(
                        "profile {p} holds two values of {}",
                        self.interner.kind(i)
                    ));
                }
            }
        }
        if live != self.live {
            return Err(format!("live count {} but {live} live profiles", self.live));
        }
        for i in 0..self.interner.len() as u32 {
            let holders: Vec<u32> = self.holders(i).collect();
            if self.is_unique(i) && holders.len() > 1 {
                return Err(format!(
                    "unique identity {i} held by {} profiles",
                    holders.len()
                ));
            }
            for (n, &h) in holders.iter().enumerate() {
                if holders[..n].contains(&h) || !self.is_live(h) || !self.holds(h, i) {
                    return Err(format!(
                        "identity {i}: holder {h} repeated, merged away or unaware"
                    ));
                }
            }
        }
        for (m, rec) in self.merges.iter().enumerate() {
            if rec.undone_at.is_none()
                && self.profiles[rec.absorbed as usize].absorbed_by != m as u32
            {
                return Err(format!(
                    "merge {m} is live but profile {} is not absorbed by it",
                    rec.absorbed
                ));
            }
        }
        if self.extra.values().any(|e| e.is_empty()) {
            return Err("an empty extra-holder list was left behind".into());
        }
        Ok(())
    }
}
