#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Explicit merges, undo, link/unlink, and rebuilding the graph from what the server stored.

mod common;

use common::*;
use siyu_identity::{
    Change, IdentityGraph, LinkError, MergeId, MergeReason, Policy, ProfileId, Refusal,
    ReplayError, Snapshot, UndoError,
};

#[test]
fn explicit_merge_moves_everything_and_is_refused_on_a_unique_conflict() {
    let mut g = graph();
    let a = see(&mut g, &[openid("oA"), phone("13912345670")], 1);
    let b = see(&mut g, &[taobao("tB"), card("C1")], 2);
    let c = see(&mut g, &[card("C2")], 3);
    let rec = g.merge(a, b, "operator li: same customer", 10).unwrap();
    assert_eq!(
        (rec.survivor, rec.absorbed, rec.id),
        (a, b, MergeId::new(0))
    );
    assert_eq!(rec.moved, vec![taobao("tB"), card("C1")]);
    assert_eq!(
        rec.reason,
        MergeReason::Explicit {
            note: "operator li: same customer".into()
        }
    );
    assert_eq!(g.profile_of(&card("C1")), Some(a));
    let err = g.merge(c, b, "x", 11).unwrap_err();
    assert_eq!(
        err,
        Refusal::UniqueConflict {
            kind: card("x").kind().clone(),
            values: Box::new([card("C2"), card("C1")])
        }
    );
    assert_eq!(
        g.merge(a, b, "again", 12).unwrap_err(),
        Refusal::SameProfile(a)
    );
    let ghost = ProfileId::new(99);
    assert_eq!(
        g.merge(a, ghost, "x", 12).unwrap_err(),
        Refusal::UnknownProfile(ghost)
    );
    g.check_invariants().unwrap();
}

#[test]
fn undo_restores_the_exact_previous_state() {
    let mut g = graph();
    let desk = phone("13912345670");
    let a = see(&mut g, &[openid("oA"), desk.clone()], 1);
    let b = see(&mut g, &[openid("oB"), desk.clone(), taobao("tB")], 2); // kept apart
    g.unlink(b, &openid("oB")).unwrap();
    let before = state(&g);
    let rec = g.merge(a, b, "", 5).unwrap();
    assert_eq!(
        (rec.moved.clone(), rec.shared.clone()),
        (vec![taobao("tB")], vec![desk.clone()])
    );
    assert_eq!(g.holders_of(&desk), vec![a]);

    let undone = g.undo(rec.id, 6).unwrap();
    assert_eq!((undone.survivor, undone.restored), (a, b));
    assert_eq!(undone.returned, vec![taobao("tB")]);
    assert_eq!(undone.reattached, vec![desk.clone()]);
    assert!(undone.skipped.is_empty());
    assert_eq!(
        undone.change,
        Change::Undone {
            merge: rec.id,
            at: 6
        }
    );
    assert_eq!(state(&g), before);
    assert_eq!(g.merge_record(rec.id).unwrap().undone_at, Some(6));
    assert_eq!(
        g.undo(rec.id, 7).unwrap_err(),
        UndoError::AlreadyUndone {
            merge: rec.id,
            at: 6
        }
    );
    assert!(matches!(
        g.undo(MergeId::new(5), 7),
        Err(UndoError::UnknownMerge(_))
    ));
    g.check_invariants().unwrap();
}

#[test]
fn undo_under_a_later_merge_is_refused_naming_it() {
    let mut g = graph();
    let a = see(&mut g, &[card("A")], 1);
    let b = see(&mut g, &[taobao("b")], 2);
    let c = see(&mut g, &[ident("weibo", None, "c")], 3);
    let m0 = g.merge(b, c, "", 4).unwrap().id;
    let m1 = g.merge(a, b, "", 5).unwrap().id;
    assert_eq!(g.resolve(c), Some(a), "resolution follows both merges");
    let err = g.undo(m0, 6).unwrap_err();
    assert_eq!(
        err,
        UndoError::Blocked {
            merge: m0,
            later: m1,
            survivor: b
        }
    );
    assert!(err.to_string().contains("undo merge 1 first"), "{err}");
    g.undo(m1, 7).unwrap();
    g.undo(m0, 8).unwrap();
    assert_eq!(g.profiles(), 3);
    assert_eq!(g.identities_of(c), vec![ident("weibo", None, "c")]);
}

#[test]
fn undo_after_later_changes_keeps_them_on_the_survivor() {
    let mut g = graph();
    let a = see(&mut g, &[card("A")], 1);
    let b = see(&mut g, &[taobao("b"), ident("jd", None, "b")], 2);
    let d = see(&mut g, &[ident("weibo", None, "d")], 2);
    let m = g.merge(a, b, "", 3).unwrap().id;
    see(&mut g, &[card("A"), phone("13912345670")], 4); // linked after the merge
    g.unlink(b, &ident("jd", None, "b")).unwrap(); // a merged-away id resolves
    g.merge(a, d, "", 5).unwrap(); // a later merge *into* the survivor does not block
    let out = g.undo(m, 6).unwrap();
    assert_eq!(out.returned, vec![taobao("b")]);
    assert_eq!(out.skipped, vec![ident("jd", None, "b")]);
    assert_eq!(g.identities_of(b), vec![taobao("b")]);
    assert_eq!(
        g.identities_of(a),
        vec![phone("13912345670"), ident("weibo", None, "d"), card("A")]
    );
    g.check_invariants().unwrap();
}

#[test]
fn link_and_unlink_by_hand() {
    let mut g = graph();
    let a = see(&mut g, &[card("A")], 1);
    let b = see(&mut g, &[openid("oB")], 2);
    assert_eq!(g.link(a, &openid("oB")).unwrap_err(), LinkError::HeldBy(b));
    assert_eq!(
        g.link(a, &card("A2")).unwrap_err(),
        LinkError::Conflict(card("A2").kind().clone())
    );
    assert_eq!(
        g.link(a, &phone("13800138000")).unwrap_err(),
        LinkError::Placeholder
    );
    assert_eq!(g.link(a, &card("A")).unwrap_err(), LinkError::AlreadyHeld);
    let change = g.link(a, &taobao("t")).unwrap();
    assert_eq!(
        change,
        Change::Linked {
            profile: a,
            identity: taobao("t")
        }
    );
    assert_eq!(g.unlink(b, &taobao("t")).unwrap_err(), LinkError::NotHeld);
    g.unlink(a, &taobao("t")).unwrap();
    assert_eq!(g.profile_of(&taobao("t")), None);
    assert_eq!(g.identities(), 2);
    g.merge(a, b, "", 3).unwrap();
    let change = g.link(b, &taobao("t")).unwrap();
    assert_eq!(
        change,
        Change::Linked {
            profile: a,
            identity: taobao("t")
        },
        "b resolves to a"
    );
    let stale = Change::Linked {
        profile: b,
        identity: taobao("t2"),
    };
    assert_eq!(
        g.apply(&stale).unwrap_err(),
        ReplayError::Link(LinkError::NotLive(b))
    );
}

/// Runs a little history and returns the graph with every change it produced.
fn history() -> (IdentityGraph, Vec<Change>) {
    let mut g = graph();
    let mut log = Vec::new();
    let mut run = |g: &mut IdentityGraph, ids: &[siyu_identity::Identity], at| {
        log.extend(g.observe(ids, at).unwrap().changes);
    };
    run(&mut g, &[openid("oA"), phone("13912345670")], 1);
    run(&mut g, &[openid("oB"), phone("13912345670")], 2);
    run(&mut g, &[taobao("t"), card("C")], 3);
    run(&mut g, &[card("C"), openid("oA"), unionid("u")], 4);
    let (a, b) = (
        g.profile_of(&openid("oA")).unwrap(),
        g.profile_of(&openid("oB")).unwrap(),
    );
    log.push(g.unlink(b, &openid("oB")).unwrap());
    log.push(Change::Merged(g.merge(a, b, "same", 5).unwrap()));
    log.push(g.undo(MergeId::new(1), 6).unwrap().change);
    (g, log)
}

#[test]
fn replaying_the_changes_or_restoring_the_rows_rebuilds_the_same_graph() {
    let (g, log) = history();
    let snapshot = g.snapshot();
    let replayed = IdentityGraph::replay(Policy::default(), &log).unwrap();
    assert_eq!(replayed.snapshot(), snapshot);
    let restored = IdentityGraph::restore(Policy::default(), &snapshot).unwrap();
    assert_eq!(restored.snapshot(), snapshot);
    let json = serde_json::to_string(&snapshot).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snapshot);
    let log_json = serde_json::to_string(&log).unwrap();
    assert_eq!(serde_json::from_str::<Vec<Change>>(&log_json).unwrap(), log);
}

#[test]
fn changes_that_do_not_fit_are_refused() {
    let (_, log) = history();
    let mut skipped = log.clone();
    skipped.remove(0);
    assert!(matches!(
        IdentityGraph::replay(Policy::default(), &skipped),
        Err(ReplayError::Link(LinkError::UnknownProfile(_)))
    ));
    let mut g = graph();
    let wrong = Change::ProfileCreated {
        profile: ProfileId::new(3),
        at: 0,
    };
    assert!(matches!(
        g.apply(&wrong),
        Err(ReplayError::OutOfOrder {
            expected: 0,
            got: 3,
            ..
        })
    ));

    let (g, _) = history();
    let mut rows = g.snapshot();
    rows.links.push(siyu_identity::Link {
        profile: ProfileId::new(2),
        identity: openid("oA"),
    });
    assert!(
        IdentityGraph::restore(Policy::default(), &rows).is_err(),
        "oA twice"
    );
    let mut rows = g.snapshot();
    rows.profiles[1].absorbed_by = Some(MergeId::new(0));
    assert!(IdentityGraph::restore(Policy::default(), &rows).is_err());
}
