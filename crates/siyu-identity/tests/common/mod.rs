//! Helpers shared by the integration tests.
#![allow(dead_code)]

use siyu_identity::{Identity, IdentityGraph, IdentityKind, Policy, ProfileId};

/// Parses an identity or panics.
pub fn ident(kind: &str, scope: Option<&str>, value: &str) -> Identity {
    Identity::parse_parts(kind, scope, value).unwrap()
}

/// An openid of app `wx_oa`.
pub fn openid(v: &str) -> Identity {
    ident("openid", Some("wx_oa"), v)
}

/// A unionid.
pub fn unionid(v: &str) -> Identity {
    ident("unionid", None, v)
}

/// A phone.
pub fn phone(v: &str) -> Identity {
    ident("phone", None, v)
}

/// A Taobao nick.
pub fn taobao(v: &str) -> Identity {
    ident("taobao", None, v)
}

/// A member card.
pub fn card(v: &str) -> Identity {
    ident("member_card", None, v)
}

/// A graph with the default policy.
pub fn graph() -> IdentityGraph {
    IdentityGraph::new(Policy::default())
}

/// Observes and returns the profile, panicking on refusal.
pub fn see(g: &mut IdentityGraph, ids: &[Identity], at: i64) -> ProfileId {
    let out = g.observe(ids, at).unwrap();
    g.check_invariants().unwrap();
    out.profile.unwrap()
}

/// The live state of a graph (profiles, holdings, conflicts), without the merge log.
pub fn state(g: &IdentityGraph) -> impl PartialEq + std::fmt::Debug {
    let s = g.snapshot();
    (s.profiles, s.links, s.conflicts)
}

/// The openid kind used by the helpers.
pub fn openid_kind() -> IdentityKind {
    IdentityKind::openid("wx_oa").unwrap()
}
