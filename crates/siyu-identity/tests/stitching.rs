#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One test per stitching rule of `IdentityGraph::observe`.

mod common;

use common::*;
use siyu_identity::{
    Change, IdentityGraph, IgnoreReason, MergeReason, ObserveError, Placeholders, Policy, ProfileId,
};

#[test]
fn new_identities_make_a_profile_and_known_ones_find_it() {
    let mut g = graph();
    let out = g.observe(&[openid("oA"), unionid("uA")], 1).unwrap();
    let p = out.profile.unwrap();
    assert_eq!(out.created, Some(p));
    assert_eq!(out.linked.len(), 2);
    assert_eq!(out.changes.len(), 3, "created + two links");

    let again = g.observe(&[unionid("uA")], 2).unwrap();
    assert_eq!((again.profile, again.created), (Some(p), None));
    assert!(again.changes.is_empty());

    let more = g.observe(&[openid("oA"), phone("13912345670")], 3).unwrap();
    assert_eq!(more.profile, Some(p));
    assert_eq!(more.linked, vec![phone("13912345670")]);
    assert_eq!(g.profile_of(&phone("+86 139 1234 5670")), Some(p));
    assert_eq!(g.identities_of(p).len(), 3);
    assert_eq!(g.profiles(), 1);
}

#[test]
fn the_older_profile_survives_and_the_merge_is_logged() {
    let mut g = graph();
    let young = see(&mut g, &[openid("oA")], 100);
    let old = see(&mut g, &[taobao("nick")], 50); // created later, but says it is older
    let out = g.observe(&[openid("oA"), taobao("nick")], 200).unwrap();
    assert_eq!(out.profile, Some(old));
    assert_eq!(out.merged.len(), 1);
    let rec = g.merge_record(out.merged[0]).unwrap();
    assert_eq!((rec.survivor, rec.absorbed, rec.at), (old, young, 200));
    assert_eq!(rec.moved, vec![openid("oA")]);
    assert_eq!(
        rec.reason,
        MergeReason::Observed {
            survivor_via: taobao("nick"),
            absorbed_via: openid("oA")
        }
    );
    assert_eq!(g.resolve(young), Some(old));
    assert_eq!(g.identities_of(young), vec![openid("oA"), taobao("nick")]);
    assert!(!g.is_live_profile(young));

    // Same creation time: the smaller id is older.
    let mut g = graph();
    let a = see(&mut g, &[card("C1")], 7);
    let _b = see(&mut g, &[taobao("t")], 7);
    assert_eq!(see(&mut g, &[taobao("t"), card("C1")], 8), a);
}

#[test]
fn a_unique_kind_conflict_is_recorded_not_merged() {
    let mut g = graph();
    let p1 = see(&mut g, &[unionid("u1"), card("C1")], 1);
    let p2 = see(&mut g, &[unionid("u2"), openid("o2")], 2);
    // One observation says card C1 and openid o2 are one person: their unionids differ.
    let out = g.observe(&[card("C1"), openid("o2")], 3).unwrap();
    assert_eq!(out.profile, Some(p1), "older profile keeps the observation");
    assert!(out.merged.is_empty());
    assert_eq!(out.conflicts.len(), 1);
    let c = &out.conflicts[0];
    assert_eq!(c.kind, siyu_identity::IdentityKind::Unionid);
    assert_eq!(c.profiles, [p1, p2]);
    assert_eq!(c.values, [unionid("u1"), unionid("u2")]);
    assert_eq!(c.via, openid("o2"));
    assert_eq!(
        out.ignored[0].reason,
        IgnoreReason::HeldElsewhere { profile: p2 },
        "o2 stays where it is"
    );
    assert_eq!(g.profiles(), 2);
    assert_eq!(g.conflicts().len(), 1);
    // Seeing it again reports the conflict but records it once.
    let again = g.observe(&[card("C1"), openid("o2")], 4).unwrap();
    assert_eq!(again.conflicts.len(), 1);
    assert!(!again
        .changes
        .iter()
        .any(|c| matches!(c, Change::ConflictRecorded(_))));
    assert_eq!(g.conflicts().len(), 1);
}

#[test]
fn an_observation_with_two_values_of_a_unique_kind_changes_nothing() {
    let mut g = graph();
    see(&mut g, &[openid("o1")], 1);
    let before = g.snapshot();
    let err = g
        .observe(&[openid("o1"), phone("13912345670"), openid("o2")], 2)
        .unwrap_err();
    assert_eq!(err, ObserveError::TwoValues(openid_kind()));
    assert!(err.to_string().contains("openid:wx_oa"), "{err}");
    assert_eq!(g.snapshot(), before);
}

#[test]
fn a_shared_phone_stops_merging_at_the_threshold() {
    let desk = phone("13912345670");
    let mut g = IdentityGraph::new(Policy {
        shared_threshold: 3,
        ..Policy::default()
    });
    let a = see(&mut g, &[openid("oA"), desk.clone()], 1);
    // B gives the front-desk phone: openids differ, so B gets a profile that also holds it.
    let out = g.observe(&[openid("oB"), desk.clone()], 2).unwrap();
    let b = out.profile.unwrap();
    assert_ne!(a, b);
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(g.holders_of(&desk), vec![a, b]);
    let out = g.observe(&[openid("oC"), desk.clone()], 3).unwrap();
    assert_eq!(out.became_shared, vec![desk.clone()]);
    assert!(g.is_shared(&desk));
    // From now on the phone takes no part at all.
    let out = g.observe(&[openid("oD"), desk.clone()], 4).unwrap();
    assert!(out.conflicts.is_empty() && out.merged.is_empty());
    assert_eq!(out.ignored[0].reason, IgnoreReason::Shared);
    assert_eq!(g.identities_of(out.profile.unwrap()), vec![openid("oD")]);
    let out = g.observe(std::slice::from_ref(&desk), 5).unwrap();
    assert_eq!(out.profile, None);
    assert_eq!(g.holders_of(&desk).len(), 3);
    assert_eq!(g.profiles(), 4);
}

#[test]
fn a_phone_alone_does_not_join_two_nicks_of_one_platform() {
    let desk = phone("13912345670");
    let mut g = graph();
    let a = see(&mut g, &[taobao("nick-a"), desk.clone()], 1);
    let b = see(&mut g, &[taobao("nick-b"), desk.clone()], 2);
    assert_ne!(a, b, "two Taobao nicks behind one phone are two people");
    assert_eq!(g.conflicts()[0].kind, siyu_identity::IdentityKind::Taobao);
    // A strong identity, though, may bring a second nick: same WeChat user, two shops.
    let c = see(&mut g, &[openid("oC"), taobao("nick-c")], 3);
    assert_eq!(see(&mut g, &[openid("oC"), taobao("nick-d")], 4), c);
    assert_eq!(g.identities_of(c).len(), 3);
    // And a phone may link channels the profile does not have yet.
    let d = see(&mut g, &[phone("13912345671"), ident("jd", None, "pin")], 5);
    assert_eq!(see(&mut g, &[phone("13912345671"), taobao("nick-e")], 6), d);
}

#[test]
fn placeholders_never_link() {
    let mut g = graph();
    let out = g.observe(&[openid("o1"), phone("13800138000")], 1).unwrap();
    assert_eq!(out.ignored[0].reason, IgnoreReason::Placeholder);
    assert_eq!(out.linked, vec![openid("o1")]);
    let p2 = see(
        &mut g,
        &[openid("o2"), phone("13800138000"), taobao("NULL")],
        2,
    );
    assert_eq!(g.profiles(), 2);
    assert_eq!(g.identities_of(p2), vec![openid("o2")]);
    let out = g
        .observe(
            &[taobao("undefined"), ident("email", None, "TEST@test.com")],
            3,
        )
        .unwrap();
    assert_eq!(
        (out.profile, out.changes.len(), out.ignored.len()),
        (None, 0, 2)
    );
    // Configurable: with no placeholder rules the test number links like any other.
    let mut g = IdentityGraph::new(Policy {
        placeholders: Placeholders::none(),
        ..Policy::default()
    });
    let p = see(&mut g, &[openid("o1"), phone("13800138000")], 1);
    assert_eq!(see(&mut g, &[taobao("t"), phone("13800138000")], 2), p);
}

#[test]
fn several_profiles_merge_into_the_oldest_in_one_observation() {
    let mut g = graph();
    let p0 = see(&mut g, &[unionid("u")], 1);
    let p1 = see(&mut g, &[openid("o")], 2);
    let p2 = see(&mut g, &[card("c")], 3);
    let out = g
        .observe(&[card("c"), openid("o"), unionid("u"), taobao("t")], 4)
        .unwrap();
    assert_eq!(out.profile, Some(p0));
    let absorbed: Vec<ProfileId> = out
        .merged
        .iter()
        .map(|m| g.merge_record(*m).unwrap().absorbed)
        .collect();
    assert_eq!(absorbed, vec![p1, p2], "oldest first");
    assert_eq!(g.identities_of(p0).len(), 4);
    assert_eq!(g.profiles(), 1);
    assert_eq!(g.merges_via(&card("c")), vec![out.merged[1]]);
}

#[test]
fn a_contradictory_observation_creates_no_empty_profile() {
    let mut g = graph();
    let p1 = see(&mut g, &[openid("oA"), unionid("u1")], 1);
    let p2 = see(&mut g, &[unionid("u2"), openid("oB")], 2);
    // WeChat says oA belongs to u2, but the graph has oA with u1 and u2 with oB.
    let out = g.observe(&[openid("oA"), unionid("u2")], 3).unwrap();
    assert_eq!((out.profile, out.created), (Some(p1), None));
    assert!(out
        .changes
        .iter()
        .all(|c| matches!(c, Change::ConflictRecorded(_))));
    assert_eq!(out.conflicts.len(), 1);
    assert_eq!(out.conflicts[0].profiles, [p1, p2]);
    assert_eq!(
        out.ignored[0].reason,
        IgnoreReason::HeldElsewhere { profile: p2 }
    );
    assert_eq!(g.profiles(), 2);
    g.check_invariants().unwrap();
}

#[test]
fn the_graph_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<IdentityGraph>();
}
