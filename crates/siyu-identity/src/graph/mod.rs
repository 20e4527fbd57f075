//! The identity graph of one tenant: which profile holds which identity, the merge log and the
//! conflicts kept for review.
//!
//! Each identity is interned to a dense id; each profile keeps the ids it holds and each identity
//! the profiles holding it (one for unique kinds; several for a phone kept on profiles that could
//! not merge). Merges rewrite both sides at once (the index never points at a merged-away
//! profile), so lookups need no union-find walk; only a merged-away profile id resolves through
//! the log to its survivor. This direct form, rather than union-find with path compression, is what
//! makes every merge undoable: a compressed path would forget which merge joined what.
//!
//! Every operation decides, then commits [`Change`]s through the same code [`IdentityGraph::apply`]
//! uses, so persisting the changes and replaying them rebuilds the same graph.

mod apply;
mod group;
mod interner;
mod lookup;
mod observe;
mod ops;
mod outcome;
mod snapshot;
mod types;

pub use outcome::{
    IgnoreReason, Ignored, LinkError, ObserveError, Outcome, Refusal, ReplayError, UndoError,
    UndoOutcome,
};
pub use snapshot::{Link, ProfileRow, Snapshot};
pub use types::{Change, Conflict, MergeId, MergeReason, MergeRecord, Policy, ProfileId};

use hashbrown::{HashMap, HashSet};
use smallvec::SmallVec;

use crate::value::Identity;
use interner::{IdentId, Interner, KindId};

/// "No profile" / "no merge" in the dense columns.
const NONE: u32 = u32::MAX;

/// The identities a profile holds; most hold four or fewer.
type IdentList = SmallVec<[IdentId; 4]>;

/// Why a merge happened, with identities as interned ids.
#[derive(Debug, Clone)]
enum Reason {
    Observed {
        survivor_via: IdentId,
        absorbed_via: IdentId,
    },
    Explicit(Box<str>),
}

/// A merge log entry, compact: `idents[..moved]` moved, `idents[moved..]` were shared.
#[derive(Debug, Clone)]
struct MergeRec {
    survivor: u32,
    absorbed: u32,
    reason: Reason,
    at: i64,
    idents: IdentList,
    moved: u32,
    undone_at: Option<i64>,
}

/// One profile; kept in one record so that a lookup touches one cache line, not three.
#[derive(Debug, Clone)]
struct Profile {
    /// The identities it holds (empty once absorbed).
    idents: IdentList,
    /// Creation time: the survivor of a merge is the older profile.
    created_at: i64,
    /// The live merge that absorbed it, or `NONE` while it is live.
    absorbed_by: u32,
}

/// Conflicts are recorded once per pair of profiles, kind and pair of values.
type ConflictKey = (u32, u32, IdentId, IdentId);

/// One tenant's identity graph. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct IdentityGraph {
    policy: Policy,
    interner: Interner,
    /// Holding profiles beyond the interner's one holder per identity (rare: a phone kept on
    /// profiles that could not merge).
    extra: HashMap<IdentId, SmallVec<[u32; 2]>>,
    /// By profile id.
    profiles: Vec<Profile>,
    live: usize,
    merges: Vec<MergeRec>,
    conflicts: Vec<Conflict>,
    conflict_keys: HashSet<ConflictKey>,
}

impl IdentityGraph {
    /// An empty graph.
    pub fn new(policy: Policy) -> Self {
        Self::with_capacity(policy, 0, 0)
    }

    /// An empty graph with room for `identities` identities and `profiles` profiles, so that
    /// rebuilding a large tenant at startup does not grow (and briefly double) its tables.
    pub fn with_capacity(policy: Policy, identities: usize, profiles: usize) -> Self {
        Self {
            policy,
            interner: Interner::with_capacity(identities, identities.saturating_mul(24)),
            extra: HashMap::new(),
            profiles: Vec::with_capacity(profiles),
            live: 0,
            merges: Vec::new(),
            conflicts: Vec::new(),
            conflict_keys: HashSet::new(),
        }
    }

    /// The rules this graph stitches by.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Replaces the rules; they apply to later operations only.
    pub fn set_policy(&mut self, policy: Policy) {
        self.policy = policy;
    }

    // ---- primitives shared by operations and replay ----

    fn is_live(&self, p: u32) -> bool {
        self.profiles
            .get(p as usize)
            .is_some_and(|r| r.absorbed_by == NONE)
    }

    fn age(&self, p: u32) -> (i64, u32) {
        (self.profiles[p as usize].created_at, p)
    }

    fn holders(&self, id: IdentId) -> impl Iterator<Item = u32> + '_ {
        let first = Some(self.interner.holder(id)).filter(|&h| h != NONE);
        let rest = self.extra.get(&id).into_iter().flatten().copied();
        first.into_iter().chain(rest)
    }

    fn holder_count(&self, id: IdentId) -> usize {
        match self.interner.holder(id) {
            NONE => 0,
            _ => 1 + self.extra.get(&id).map_or(0, |e| e.len()),
        }
    }

    fn holds(&self, p: u32, id: IdentId) -> bool {
        self.profiles[p as usize].idents.contains(&id)
    }

    fn is_unique(&self, id: IdentId) -> bool {
        self.interner.kind(id).is_unique()
    }

    fn is_guarded(&self, id: IdentId) -> bool {
        self.interner.kind(id).is_guarded()
    }

    /// The value a profile holds of a unique kind, if any.
    fn unique_value(&self, p: u32, kind: KindId) -> Option<IdentId> {
        self.profiles[p as usize]
            .idents
            .iter()
            .copied()
            .find(|&i| self.interner.kind_id(i) == kind)
    }

    fn intern(&mut self, identity: &Identity) -> IdentId {
        self.interner.intern(identity)
    }

    fn add_holder(&mut self, id: IdentId, p: u32) {
        if self.interner.holder(id) == NONE {
            self.interner.set_holder(id, p);
        } else {
            self.extra.entry(id).or_default().push(p);
        }
    }

    fn remove_holder(&mut self, id: IdentId, p: u32) {
        if self.interner.holder(id) == p {
            let next = match self.extra.get_mut(&id) {
                Some(rest) => {
                    let next = rest.swap_remove(0);
                    if rest.is_empty() {
                        self.extra.remove(&id);
                    }
                    next
                }
                None => NONE,
            };
            self.interner.set_holder(id, next);
        } else if let Some(rest) = self.extra.get_mut(&id) {
            rest.retain(|h| *h != p);
            if rest.is_empty() {
                self.extra.remove(&id);
            }
        }
    }

    fn attach(&mut self, p: u32, id: IdentId) {
        self.add_holder(id, p);
        self.profiles[p as usize].idents.push(id);
    }

    fn detach(&mut self, p: u32, id: IdentId) {
        self.remove_holder(id, p);
        let list = &mut self.profiles[p as usize].idents;
        if let Some(pos) = list.iter().position(|&i| i == id) {
            list.swap_remove(pos);
        }
    }

    fn create_profile(&mut self, at: i64) -> u32 {
        let p = self.profiles.len() as u32;
        self.profiles.push(Profile {
            idents: IdentList::new(),
            created_at: at,
            absorbed_by: NONE,
        });
        self.live += 1;
        p
    }
}
