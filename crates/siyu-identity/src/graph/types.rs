//! The graph's public vocabulary: ids, policy, merge records, conflicts and changes.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kind::IdentityKind;
use crate::placeholder::Placeholders;
use crate::value::Identity;

/// A customer profile within one tenant's graph. Ids are dense and given in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProfileId(u32);

impl ProfileId {
    /// The id stored in a row.
    pub const fn new(n: u32) -> Self {
        Self(n)
    }

    /// The id as a number, for storage.
    pub const fn get(self) -> u32 {
        self.0
    }

    pub(crate) fn ix(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "profile {}", self.0)
    }
}

/// A merge in one tenant's merge log. Ids are dense and given in merge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MergeId(u32);

impl MergeId {
    /// The id stored in a row.
    pub const fn new(n: u32) -> Self {
        Self(n)
    }

    /// The id as a number, for storage.
    pub const fn get(self) -> u32 {
        self.0
    }

    pub(crate) fn ix(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for MergeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "merge {}", self.0)
    }
}

/// A tenant's stitching rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// A phone or email already held by this many profiles is shared (a shop's front-desk
    /// phone): it links no further profile and merges nothing. 0 ignores phones and emails
    /// altogether; 1 attaches them but never merges through them.
    pub shared_threshold: usize,
    /// Values that never link anything.
    pub placeholders: Placeholders,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            shared_threshold: 3,
            placeholders: Placeholders::default(),
        }
    }
}

/// Why two profiles were merged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MergeReason {
    /// One observation carried `survivor_via` (held by the survivor) together with
    /// `absorbed_via` (held by the absorbed profile); both are the same identity when the two
    /// profiles already shared it.
    Observed {
        /// The observed identity the survivor held.
        survivor_via: Identity,
        /// The observed identity the absorbed profile held.
        absorbed_via: Identity,
    },
    /// Someone asked for it.
    Explicit {
        /// Who and why, as the caller put it.
        note: String,
    },
}

/// One entry of the merge log: everything needed to explain and to undo the merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRecord {
    /// The merge's id.
    pub id: MergeId,
    /// The profile that lives on.
    pub survivor: ProfileId,
    /// The profile folded into the survivor; its id resolves to the survivor from now on.
    pub absorbed: ProfileId,
    /// Why.
    pub reason: MergeReason,
    /// When (as passed in by the caller).
    pub at: i64,
    /// Identities only the absorbed profile held, now held by the survivor.
    pub moved: Vec<Identity>,
    /// Identities both profiles held; the absorbed profile's holding was dropped.
    pub shared: Vec<Identity>,
    /// When the merge was undone, if it was.
    pub undone_at: Option<i64>,
}

/// Two profiles that an observation tied together but that hold different values of one kind,
/// so they were not merged. Kept for review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The kind with two values: unique (unionid, openid, member card) or, when only a phone or
    /// email tied the profiles, a platform id (taobao, jd, weibo, external).
    pub kind: IdentityKind,
    /// `[the profile the observation went to, the profile left apart]`.
    pub profiles: [ProfileId; 2],
    /// The value of `kind` on each side, in the same order.
    pub values: [Identity; 2],
    /// The observed identity that pointed at the profile left apart.
    pub via: Identity,
    /// When it was first seen.
    pub at: i64,
}

/// A fact the graph recorded. Persist these in order; [`IdentityGraph::apply`] replays them.
///
/// [`IdentityGraph::apply`]: crate::IdentityGraph::apply
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A new profile.
    ProfileCreated {
        /// Its id (the next dense id).
        profile: ProfileId,
        /// When it was created; decides which profile is older.
        at: i64,
    },
    /// An identity now held by a profile.
    Linked {
        /// The profile.
        profile: ProfileId,
        /// The identity.
        identity: Identity,
    },
    /// An identity no longer held by a profile.
    Unlinked {
        /// The profile.
        profile: ProfileId,
        /// The identity.
        identity: Identity,
    },
    /// A merge (its record carries what moved).
    Merged(MergeRecord),
    /// A merge undone.
    Undone {
        /// The merge.
        merge: MergeId,
        /// When.
        at: i64,
    },
    /// A conflict first seen.
    ConflictRecorded(Conflict),
}
