//! Identity stitching for siyu: one customer, every channel.
//!
//! A customer shows up as a WeChat openid in each Official Account and mini program, a unionid,
//! a phone number, an email, a Taobao nick, a JD pin, a Weibo uid, a member card and ids the
//! merchant defines. This crate parses and normalises those identities ([`Identity`]), keeps the
//! graph of which profile holds which ([`IdentityGraph`]), stitches profiles together as
//! identities are seen together, and logs every merge so that it can be explained and undone.
//! [`merge_attributes`] combines two profiles' attributes field by field.
//!
//! Pure: no IO, no clock (every operation takes the time), no randomness. The server persists
//! the [`Change`]s each operation returns and rebuilds the graph at startup from rows
//! ([`IdentityGraph::restore`]) or from the change log ([`IdentityGraph::replay`]). One graph is one
//! tenant; mutations of one tenant's graph must be serialised (one writer).
//!
//! ```
//! use siyu_identity::{Identity, IdentityGraph, Policy};
//!
//! let id = |kind: &str, scope: Option<&str>, raw: &str| Identity::parse_parts(kind, scope, raw);
//! let mut graph = IdentityGraph::new(Policy::default());
//! // A follow on the Official Account, then a Taobao order with a phone.
//! let fan = graph.observe(&[id("openid", Some("wx1"), "oF")?, id("unionid", None, "uF")?], 1)?;
//! let buyer = graph.observe(&[id("taobao", None, "小明")?, id("phone", None, "138 1234 5679")?], 2)?;
//! assert_ne!(fan.profile, buyer.profile);
//! // The mini program login carries unionid and phone: one customer, the older profile survives.
//! let login = graph.observe(&[id("unionid", None, "uF")?, id("phone", None, "+86 13812345679")?], 3)?;
//! assert_eq!(login.profile, fan.profile);
//! assert_eq!(graph.profiles(), 1);
//! // The merge is logged with its reason and can be undone.
//! let undone = graph.undo(login.merged[0], 4)?;
//! assert_eq!(Some(undone.restored), buyer.profile);
//! assert_eq!(graph.profiles(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod attributes;
pub mod graph;
pub mod kind;
pub mod phone;
pub mod placeholder;
pub mod synth;
pub mod value;

pub use attributes::{
    merge_attributes, split_attributes, AttributePolicy, AttributeValue, Attributes, FieldPolicy,
    Stamped,
};
pub use graph::{
    Change, Conflict, IdentityGraph, IgnoreReason, Ignored, Link, LinkError, MergeId, MergeReason,
    MergeRecord, ObserveError, Outcome, Policy, ProfileId, ProfileRow, Refusal, ReplayError,
    Snapshot, UndoError, UndoOutcome,
};
pub use kind::{IdentityKind, KindError, Scope};
pub use phone::PhoneError;
pub use placeholder::Placeholders;
pub use value::{Identity, IdentityError, IdentityValue};
