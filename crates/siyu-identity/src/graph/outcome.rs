//! What each graph operation did, and why it refused.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::types::{Change, Conflict, MergeId, ProfileId};
use crate::kind::IdentityKind;
use crate::value::Identity;

/// What [`observe`](crate::IdentityGraph::observe) did, in enough detail to explain it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The profile the observation belongs to (attach the event here); `None` when every
    /// identity was ignored.
    pub profile: Option<ProfileId>,
    /// The profile created for it, if no existing profile fitted.
    pub created: Option<ProfileId>,
    /// Identities newly attached to `profile`.
    pub linked: Vec<Identity>,
    /// Merges made, oldest profile surviving; move the absorbed profiles' events and counters.
    pub merged: Vec<MergeId>,
    /// Profiles the observation pointed at but that could not be merged.
    pub conflicts: Vec<Conflict>,
    /// Identities that took no part, and why.
    pub ignored: Vec<Ignored>,
    /// Phones or emails that reached the shared threshold with this observation.
    pub became_shared: Vec<Identity>,
    /// The facts to persist, in order.
    pub changes: Vec<Change>,
}

/// An observed identity that linked nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    /// The identity.
    pub identity: Identity,
    /// Why it linked nothing.
    pub reason: IgnoreReason,
}

/// Why an observed identity linked nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IgnoreReason {
    /// A placeholder value such as "null" or 13800138000.
    Placeholder,
    /// A phone or email already on as many profiles as the shared threshold.
    Shared,
    /// A unique identity held by a profile that could not be merged (see the conflicts).
    HeldElsewhere {
        /// The profile holding it.
        profile: ProfileId,
    },
}

/// What [`undo`](crate::IdentityGraph::undo) gave back: move the events that arrived through
/// `returned` and `reattached` identities from `survivor` back to `restored`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoOutcome {
    /// The merge undone.
    pub merge: MergeId,
    /// The profile that had survived the merge.
    pub survivor: ProfileId,
    /// The absorbed profile, live again.
    pub restored: ProfileId,
    /// Identities moved back from the survivor to the restored profile.
    pub returned: Vec<Identity>,
    /// Identities both held before the merge; the restored profile holds them again.
    pub reattached: Vec<Identity>,
    /// Identities the merge moved that the survivor no longer holds (unlinked since), so they
    /// stay where they are.
    pub skipped: Vec<Identity>,
    /// The fact to persist.
    pub change: Change,
}

/// An observation the graph refuses to act on; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ObserveError {
    /// Two values of a kind a profile can hold only once.
    #[error(
        "the observation carries two different values of {0}, which a profile holds only once"
    )]
    TwoValues(IdentityKind),
}

/// Why an explicit merge was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    /// No such profile.
    #[error("{0} does not exist")]
    UnknownProfile(ProfileId),
    /// Both ids resolve to the same live profile.
    #[error("both ids resolve to {0}; there is nothing to merge")]
    SameProfile(ProfileId),
    /// The profiles hold different values of a unique kind.
    #[error("the profiles hold different values of {kind}, which a profile holds only once")]
    UniqueConflict {
        /// The kind.
        kind: IdentityKind,
        /// `[survivor's value, absorbed profile's value]`.
        values: Box<[Identity; 2]>,
    },
}

/// Why a merge cannot be undone; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UndoError {
    /// No such merge.
    #[error("{0} does not exist")]
    UnknownMerge(MergeId),
    /// Already undone.
    #[error("{merge} was already undone (at {at})")]
    AlreadyUndone {
        /// The merge.
        merge: MergeId,
        /// When it was undone.
        at: i64,
    },
    /// The merge's survivor was itself merged away later.
    #[error("{merge} cannot be undone before {later}, which folded its survivor ({survivor}) into another profile; undo {later} first")]
    Blocked {
        /// The merge asked for.
        merge: MergeId,
        /// The later merge to undo first.
        later: MergeId,
        /// The survivor of `merge`, absorbed by `later`.
        survivor: ProfileId,
    },
}

/// Why an identity could not be attached to or detached from a profile; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    /// No such profile.
    #[error("{0} does not exist")]
    UnknownProfile(ProfileId),
    /// The profile was merged away (an explicit link names a live profile).
    #[error("{0} was merged into another profile")]
    NotLive(ProfileId),
    /// A placeholder never links.
    #[error("a placeholder value never links")]
    Placeholder,
    /// A phone or email at the shared threshold links no further profile.
    #[error("the value is shared by too many profiles to link another")]
    Shared,
    /// A unique identity already held by another profile; merge the profiles instead.
    #[error("the identity is held by {0}; merge the profiles instead")]
    HeldBy(ProfileId),
    /// The profile holds another value of this unique kind.
    #[error("the profile already holds another value of {0}")]
    Conflict(IdentityKind),
    /// The profile already holds the identity.
    #[error("the profile already holds the identity")]
    AlreadyHeld,
    /// The profile does not hold the identity.
    #[error("the profile does not hold the identity")]
    NotHeld,
}

/// A persisted change or snapshot that does not fit the graph; the graph is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplayError {
    /// Ids must be replayed densely, in order.
    #[error("expected {what} {expected} next, got {got}")]
    OutOfOrder {
        /// "profile" or "merge".
        what: &'static str,
        /// The id the graph would give next.
        expected: u32,
        /// The id found.
        got: u32,
    },
    /// A link or unlink that does not fit.
    #[error(transparent)]
    Link(#[from] LinkError),
    /// A merge that does not fit.
    #[error(transparent)]
    Merge(#[from] Refusal),
    /// An undo that does not fit.
    #[error(transparent)]
    Undo(#[from] UndoError),
    /// A record that disagrees with the graph it is applied to.
    #[error("{0}")]
    Mismatch(String),
}
