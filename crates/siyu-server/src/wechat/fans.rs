//! Fans coming and going in bulk: the follows, unfollows and scans of a batch (see
//! [`super::group`]) recorded in a few statements for all of them, where one at a time takes
//! a dozen each. A live event's burst is thousands of these.
//!
//! The result is what [`super::effects::record`] gives for each: the same profile, the same
//! inbound record and reply, the same follow history and attribution, the channel's tags and
//! voucher.

use std::collections::{HashMap, HashSet};

use siyu_domain::TenantId;
use siyu_store::customers::{self, FanAction, FanEvent};
use siyu_store::inbound;
use siyu_store::{StoreError, Tx};
use siyu_wechat::{Event, PassiveReply};

use super::effects::{
    inbound_row, reply_xml, stored_reply, welcome_fan, welcome_reply, Recorded, Work,
};
use crate::error::ApiError;
use crate::state::AppState;

/// What a fan did, if the work is a follow, unfollow or scan that [`record`] takes.
fn action(w: &Work) -> Option<FanAction<'_>> {
    if w.decided.is_some() || w.offer_store.is_some() {
        return None;
    }
    let m = &w.inbound.message;
    Some(match m.event()? {
        Event::Subscribe { scene, .. } => {
            FanAction::Follow(scene.as_deref().filter(|s| !s.is_empty()))
        }
        Event::Unsubscribe => FanAction::Unfollow,
        Event::Scan { scene, .. } => FanAction::Scan(scene.as_str()),
        _ => return None,
    })
}

/// Splits a batch (ordered by tenant) into runs of one tenant's fan events that [`record`]
/// takes, each fan and delivery at most once in all of them, and the rest.
pub(super) fn split(works: &[&Work]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut rest = Vec::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut keys: HashSet<(&str, String)> = HashSet::new();
    for (i, w) in works.iter().enumerate() {
        let m = &w.inbound.message;
        let fan = (w.account.id.as_str(), m.header.from_user_name.as_str());
        let fresh = action(w).is_some()
            && seen.insert(fan)
            && keys.insert((w.account.id.as_str(), m.dedupe_key()));
        if !fresh {
            rest.push(i);
            continue;
        }
        match runs.last_mut() {
            Some(run) if works[run[0]].tenant == w.tenant => run.push(i),
            _ => runs.push(vec![i]),
        }
    }
    (runs, rest)
}

/// Records one tenant's fan events (a run of [`split`]) in `tx`.
pub(super) async fn record(
    state: &AppState,
    tx: &mut Tx,
    works: &[&Work],
) -> Result<Vec<Recorded>, ApiError> {
    let Some(first) = works.first() else {
        return Ok(Vec::new());
    };
    let tenant: &TenantId = &first.tenant;
    let now = first.now;
    let actions: Vec<FanAction> = works
        .iter()
        .map(|w| action(w).ok_or(ApiError::Internal))
        .collect::<Result<_, _>>()?;
    let fans: Vec<crate::identity::Fan> = works
        .iter()
        .map(|w| crate::identity::Fan {
            app_id: &w.account.app_id,
            openid: &w.inbound.message.header.from_user_name,
            unionid: None,
            source: "wechat.callback",
        })
        .collect();
    let customers = crate::identity::wechat_fans(state, tx, tenant, &fans, now).await?;
    // Read once a batch, in its transaction: the welcome, tags and voucher of each channel
    // followed through, and each account's own welcome (which may have changed since the
    // account was cached).
    let mut channels: HashMap<(&str, &str), Option<siyu_store::channels::Welcome>> = HashMap::new();
    let mut welcomes: HashMap<&str, Option<String>> = HashMap::new();
    for (w, a) in works.iter().zip(&actions) {
        let FanAction::Follow(scene) = *a else {
            continue;
        };
        let id = w.account.id.as_str();
        if let std::collections::hash_map::Entry::Vacant(slot) = welcomes.entry(id) {
            slot.insert(siyu_store::wechat_accounts::welcome_text(tx, id).await?);
        }
        if let Some(scene) = scene {
            if let std::collections::hash_map::Entry::Vacant(slot) = channels.entry((id, scene)) {
                slot.insert(siyu_store::channels::welcome_for_scene(tx, id, scene).await?);
            }
        }
    }
    let channel_of: Vec<Option<&siyu_store::channels::Welcome>> = works
        .iter()
        .zip(&actions)
        .map(|(w, a)| match *a {
            FanAction::Follow(Some(scene)) => channels
                .get(&(w.account.id.as_str(), scene))
                .and_then(Option::as_ref),
            _ => None,
        })
        .collect();

    // A profile may hold the openids of two accounts: one event each per statement.
    let mut once: HashSet<&str> = HashSet::new();
    let mut replies = Vec::with_capacity(works.len());
    let mut rows = Vec::with_capacity(works.len());
    let keys: Vec<String> = works
        .iter()
        .map(|w| w.inbound.message.dedupe_key())
        .collect();
    let contents: Vec<Option<String>> = works
        .iter()
        .map(|w| super::effects::content(&w.inbound.message))
        .collect();
    for (i, w) in works.iter().enumerate() {
        let m = &w.inbound.message;
        let reply = match actions[i] {
            FanAction::Follow(_) => {
                let own = welcomes
                    .get(w.account.id.as_str())
                    .and_then(Option::as_deref);
                welcome_reply(m, own, channel_of[i], now)
            }
            _ => PassiveReply::Success,
        };
        let xml = reply_xml(&reply)?;
        replies.push((reply, xml));
        if !once.insert(customers[i].as_str()) {
            return Err(ApiError::Conflict {
                code: "batch_profile_twice",
                message: "one profile twice in a batch of fan events".into(),
            });
        }
    }
    for (i, w) in works.iter().enumerate() {
        rows.push((
            inbound_row(w, Some(&customers[i]), &keys[i], contents[i].as_deref()),
            replies[i].1.as_deref(),
        ));
    }
    let recorded = inbound::insert_many(tx, &rows, now).await?;

    let mut events = Vec::with_capacity(works.len());
    let mut out = Vec::with_capacity(works.len());
    let mut welcomed: Vec<(usize, &siyu_store::channels::Welcome)> = Vec::new();
    for (i, (w, (reply, _))) in works.iter().zip(replies).enumerate() {
        if !recorded.contains(&keys[i]) {
            // Recorded before (by another node, or an earlier batch): answer as it was.
            let earlier = inbound::earlier_reply_tx(tx, &w.account.id, &keys[i])
                .await?
                .ok_or(StoreError::NotFound)?;
            out.push(Recorded {
                reply: stored_reply(earlier),
                duplicate: true,
            });
            continue;
        }
        let action = actions[i];
        events.push(FanEvent {
            customer: &customers[i],
            account: &w.account.id,
            action,
            at: w.inbound.message.header.create_time.saturating_mul(1000),
        });
        if let (FanAction::Follow(_), Some(ch)) = (action, channel_of[i]) {
            welcomed.push((i, ch));
        }
        out.push(Recorded {
            reply,
            duplicate: false,
        });
    }
    customers::record_fan_events(tx, tenant, &events, "wechat.callback", now).await?;
    for (i, ch) in welcomed {
        welcome_fan(tx, tenant, &customers[i], ch, now).await?;
    }
    Ok(out)
}
