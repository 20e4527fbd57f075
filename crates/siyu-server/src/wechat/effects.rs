//! What a callback does to siyu's state: the fan's profile, the follow history, the
//! conversation, and the reply. All of it commits in one transaction keyed by the delivery's
//! dedupe key, so a retry (to any node) repeats the first reply and nothing else.

use std::sync::Arc;

use siyu_domain::TenantId;
use siyu_store::inbound::{self, NewInbound};
use siyu_store::wechat_accounts::Account;
use siyu_store::{customers, StoreError};
use siyu_wechat::{Event, Inbound, Message, MessageKind, PassiveReply, Reply, XmlLimits};

use crate::error::ApiError;
use crate::state::AppState;

/// Events WeChat sends about the account's own jobs, not from a fan.
fn is_job_report(e: &Event) -> bool {
    matches!(
        e,
        Event::TemplateSendJobFinish { .. }
            | Event::MassSendJobFinish(_)
            | Event::PublishJobFinish { .. }
    )
}

/// A follow, unfollow or scan: it decides nothing before its transaction, and needs nothing of
/// its account that can change (the welcome text is read in the transaction).
pub(super) fn is_fan_event(m: &Message) -> bool {
    matches!(
        m.event(),
        Some(Event::Subscribe { .. } | Event::Unsubscribe | Event::Scan { .. })
    )
}

/// The text worth showing in the conversation.
pub(super) fn content(m: &Message) -> Option<String> {
    match &m.kind {
        MessageKind::Text { content } => Some(content.clone()),
        MessageKind::Voice { recognition, .. } => recognition.clone(),
        MessageKind::Link { title, url, .. } => Some(format!("{title} {url}")),
        MessageKind::Location { label, .. } => Some(label.clone()),
        MessageKind::Image { pic_url, .. } => Some(pic_url.clone()),
        _ => None,
    }
}

pub(super) fn stored_reply(xml: Option<String>) -> PassiveReply {
    match xml.and_then(|x| Reply::parse(x.as_bytes(), &XmlLimits::default()).ok()) {
        Some(r) => PassiveReply::Reply(r),
        None => PassiveReply::Success,
    }
}

/// The keyword rule, FAQ answer or fallback for `text`, if any.
async fn auto_reply(
    state: &AppState,
    a: &Account,
    m: &Message,
    text: &str,
    now: i64,
) -> Result<PassiveReply, ApiError> {
    let responder = state.responders.get(state, a).await?;
    let response = responder.respond(text, now);
    tracing::debug!(wechat.account = %a.id, source = ?response.source, "auto-reply decided");
    Ok(match &response.action {
        Some(action) => super::replies::passive(m, now / 1000, action),
        None => PassiveReply::Success,
    })
}

/// What a fan sends (or the menu key) to get their member card.
const CARD_WORDS: &[&str] = &[
    "会员卡",
    "我的会员卡",
    "会员",
    "积分",
    "我的积分",
    "MEMBER_CARD",
];

/// The profile of the fan writing, created (and committed) if this is their first contact, for
/// replies that act on it before the callback's own transaction.
async fn fan_profile(
    state: &AppState,
    a: &Account,
    tenant: &TenantId,
    openid: &str,
    now: i64,
) -> Result<String, ApiError> {
    let mut tx = state.store.begin().await?;
    let fan = crate::identity::Fan {
        app_id: &a.app_id,
        openid,
        unionid: None,
        source: "wechat.callback",
    };
    let home = crate::identity::wechat_fan(state, &mut tx, tenant, &fan, now).await?;
    tx.commit().await?;
    Ok(home)
}

/// A fan asking for their member card gets it (issued on first ask) with a link to its page,
/// when the tenant runs a membership program. Written in its own transactions, before the
/// callback's.
async fn member_card_reply(
    state: &AppState,
    a: &Account,
    tenant: &TenantId,
    openid: &str,
    m: &Message,
    text: &str,
    now: i64,
) -> Result<Option<PassiveReply>, ApiError> {
    let text = text.trim();
    if !CARD_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return Ok(None);
    }
    if crate::membership::program(state, tenant).await?.is_none() {
        return Ok(None);
    }
    let home = fan_profile(state, a, tenant, openid, now).await?;
    let (card, _) =
        crate::membership::issue_card(state, tenant, &home, &crate::services::Actor::System)
            .await?;
    let v = crate::membership::view(state, tenant, card, false).await?;
    let url = format!("{}{}", state.config.base_url(), v.h5_path);
    let level = v.level.map(|l| format!("{l}，")).unwrap_or_default();
    let body = format!(
        "{}：{level}{} 积分\n打开会员卡，结账时出示给店员扫码：{url}",
        v.program, v.points
    );
    Ok(Some(PassiveReply::Reply(Reply::text(m, now / 1000, body))))
}

/// A fan enters a prize draw by sending its keyword, or by a menu click `DRAW:<campaign id>`;
/// the reply says what they won and links to their draw page.
async fn draw_reply(
    state: &AppState,
    a: &Account,
    tenant: &TenantId,
    openid: &str,
    m: &Message,
    text: &str,
    now: i64,
) -> Result<Option<PassiveReply>, ApiError> {
    let text = text.trim();
    let campaign = match text.strip_prefix("DRAW:") {
        Some(id) => siyu_store::draws::get(&state.store, tenant, id)
            .await
            .ok()
            .map(|c| c.id),
        None if !text.is_empty() && text.chars().count() <= 20 => {
            siyu_store::draws::by_keyword(&state.store, tenant, text)
                .await?
                .into_iter()
                .next()
        }
        None => None,
    };
    let Some(campaign) = campaign else {
        return Ok(None);
    };
    let home = fan_profile(state, a, tenant, openid, now).await?;
    let result = crate::draws::enter(state, tenant, &campaign, &home).await;
    let link = format!(
        "{}{}",
        state.config.base_url(),
        crate::draws::h5_path(state, tenant, &campaign, &home)
    );
    let body = crate::draws::reply_text(&result, &link);
    Ok(Some(PassiveReply::Reply(Reply::text(m, now / 1000, body))))
}

/// Records the callback once and returns the reply to give.
pub(super) async fn apply(
    state: &AppState,
    a: &Arc<Account>,
    inbound: &Inbound,
) -> Result<PassiveReply, ApiError> {
    let m = &inbound.message;
    let key = m.dedupe_key();
    // A repeated delivery gets the first one's reply without deciding anything again. Follows,
    // unfollows and scans decide nothing before their transaction, which finds a repeat itself.
    if !is_fan_event(m) {
        if let Some(earlier) = inbound::earlier_reply(&state.store, &a.id, &key).await? {
            metrics::counter!("siyu_wechat_callbacks_total", "outcome" => "duplicate").increment(1);
            return Ok(stored_reply(earlier));
        }
    }
    let tenant = TenantId::parse(&a.tenant_id).map_err(|_| ApiError::Internal)?;
    let now = state.now();
    let openid = m.header.from_user_name.as_str();
    let event = m.event();
    // Decide any auto-reply before taking the write transaction: compiling a knowledge base
    // must not hold the database's write lock.
    let asked = match (&m.kind, event) {
        (_, Some(Event::Click { key })) => Some(key.as_str()),
        (MessageKind::Text { content }, _) => Some(content.as_str()),
        (
            MessageKind::Voice {
                recognition: Some(r),
                ..
            },
            _,
        ) => Some(r.as_str()),
        _ => None,
    };
    let decided = match asked {
        Some(text) => match member_card_reply(state, a, &tenant, openid, m, text, now).await? {
            Some(reply) => Some(reply),
            None => match draw_reply(state, a, &tenant, openid, m, text, now).await? {
                Some(reply) => Some(reply),
                None => Some(auto_reply(state, a, m, text, now).await?),
            },
        },
        None => None,
    };
    // A location inside a store's geofence earns that store's offer.
    let point = match (&m.kind, event) {
        (
            _,
            Some(Event::Location {
                latitude,
                longitude,
                ..
            }),
        ) => Some((*latitude, *longitude)),
        (
            MessageKind::Location {
                latitude,
                longitude,
                ..
            },
            _,
        ) => Some((*latitude, *longitude)),
        _ => None,
    };
    let offer_store = match point {
        Some((lat, lon)) => {
            let stores = siyu_store::stores::list(&state.store, &tenant).await?;
            crate::stores::store_at(&stores, lat, lon).map(|s| s.id.clone())
        }
        None => None,
    };
    let work = Work {
        account: a.clone(),
        inbound: inbound.clone(),
        tenant,
        now,
        decided,
        offer_store,
    };
    let recorded = state.callbacks.record(state, work).await?;
    let outcome = if recorded.duplicate {
        "duplicate"
    } else {
        "recorded"
    };
    metrics::counter!("siyu_wechat_callbacks_total", "outcome" => outcome).increment(1);
    Ok(recorded.reply)
}

/// A callback's writes, decided before its transaction: everything [`record`] needs.
pub(super) struct Work {
    pub account: Arc<Account>,
    pub inbound: Inbound,
    pub tenant: TenantId,
    pub now: i64,
    /// The reply decided for a message (keyword rule, member card, draw).
    pub decided: Option<PassiveReply>,
    /// The store whose geofence the fan is in.
    pub offer_store: Option<String>,
}

/// What recording a callback gave.
pub(super) struct Recorded {
    /// The reply to send.
    pub reply: PassiveReply,
    /// An earlier delivery of the same callback was recorded instead.
    pub duplicate: bool,
}

/// Records one callback in `tx` (possibly with others: see [`super::group`]). Changes nothing
/// outside `tx`, so a batch that rolls back can record it again.
pub(super) async fn record(
    state: &AppState,
    tx: &mut siyu_store::Tx,
    work: &Work,
) -> Result<Recorded, ApiError> {
    let Work {
        account: a,
        inbound,
        tenant,
        now,
        decided,
        offer_store,
    } = work;
    let now = *now;
    let m = &inbound.message;
    let key = m.dedupe_key();
    let at = m.header.create_time.saturating_mul(1000);
    let openid = m.header.from_user_name.as_str();
    let event = m.event();
    let customer = match event {
        Some(e) if is_job_report(e) => None,
        _ => {
            let id = crate::identity::wechat_fan(
                state,
                tx,
                tenant,
                &crate::identity::Fan {
                    app_id: &a.app_id,
                    openid,
                    unionid: None,
                    source: "wechat.callback",
                },
                now,
            )
            .await?;
            Some(id)
        }
    };
    let content = content(m);
    let record = inbound_row(work, customer.as_deref(), &key, content.as_deref());
    let Some(row) = inbound::insert(tx, &record, now).await? else {
        // Recorded meanwhile (by another node, or earlier in this batch): answer as it was.
        let earlier = inbound::earlier_reply_tx(tx, &a.id, &key)
            .await?
            .ok_or(StoreError::NotFound)?;
        return Ok(Recorded {
            reply: stored_reply(earlier),
            duplicate: true,
        });
    };

    if let Some(Event::MassSendJobFinish(f)) = event {
        crate::pushes::record_finish(tx, &a.id, f, now).await?;
    }
    let mut reply = PassiveReply::Success;
    if let Some(c) = &customer {
        match event {
            Some(Event::Subscribe { scene, .. }) => {
                let scene = scene.as_deref().filter(|s| !s.is_empty());
                customers::record_follow(
                    tx,
                    tenant,
                    c,
                    &a.id,
                    true,
                    scene,
                    "wechat.callback",
                    at,
                    now,
                )
                .await?;
                customers::touch(tx, c, at, now).await?;
                // A follow through a channel that has its own welcome, tags and voucher.
                let channel = match scene {
                    Some(scene) => {
                        siyu_store::channels::welcome_for_scene(tx, &a.id, scene).await?
                    }
                    None => None,
                };
                if let Some(ch) = &channel {
                    welcome_fan(tx, tenant, c, ch, now).await?;
                }
                let welcome = siyu_store::wechat_accounts::welcome_text(tx, &a.id).await?;
                reply = welcome_reply(m, welcome.as_deref(), channel.as_ref(), now);
            }
            Some(Event::Unsubscribe) => {
                customers::record_follow(
                    tx,
                    tenant,
                    c,
                    &a.id,
                    false,
                    None,
                    "wechat.callback",
                    at,
                    now,
                )
                .await?;
            }
            Some(Event::Scan { scene, .. }) => {
                customers::record_scan(tx, c, scene, now).await?;
                customers::touch(tx, c, at, now).await?;
            }
            Some(Event::Location {
                latitude,
                longitude,
                ..
            }) => {
                customers::record_location(tx, c, *latitude, *longitude, at).await?;
            }
            _ => {
                if let Some(r) = decided {
                    reply = r.clone();
                }
                if let MessageKind::Location {
                    latitude,
                    longitude,
                    ..
                } = &m.kind
                {
                    customers::record_location(tx, c, *latitude, *longitude, at).await?;
                }
                customers::touch(tx, c, at, now).await?;
            }
        }
    }
    if let (Some(c), Some(store_id)) = (&customer, &offer_store) {
        crate::stores::enqueue_offer(tx, tenant, &a.id, openid, c, store_id, now).await?;
    }
    inbound::set_reply(tx, row, reply_xml(&reply)?.as_deref()).await?;
    Ok(Recorded {
        reply,
        duplicate: false,
    })
}

/// The XML stored for `reply`, so a repeated delivery is answered the same.
pub(super) fn reply_xml(reply: &PassiveReply) -> Result<Option<String>, ApiError> {
    match reply {
        PassiveReply::Reply(r) => Ok(Some(r.to_xml().map_err(|_| ApiError::Internal)?)),
        PassiveReply::Success => Ok(None),
    }
}

/// The inbound record of `work`'s delivery.
pub(super) fn inbound_row<'a>(
    work: &'a Work,
    customer: Option<&'a str>,
    dedupe_key: &'a str,
    content: Option<&'a str>,
) -> NewInbound<'a> {
    let m = &work.inbound.message;
    NewInbound {
        tenant_id: &work.tenant,
        account_id: &work.account.id,
        customer_id: customer,
        dedupe_key,
        openid: &m.header.from_user_name,
        msg_type: &m.header.msg_type,
        event: m.field("Event"),
        event_key: m.field("EventKey"),
        content,
        xml: &work.inbound.xml,
        created_at: m.header.create_time.saturating_mul(1000),
    }
}

/// What following through a channel gives the fan: the channel's tags, and its voucher once
/// per fan however often they re-follow.
pub(super) async fn welcome_fan(
    tx: &mut siyu_store::Tx,
    tenant: &TenantId,
    customer: &str,
    channel: &siyu_store::channels::Welcome,
    now: i64,
) -> Result<(), ApiError> {
    let tags: Vec<String> = serde_json::from_str(&channel.tags).unwrap_or_default();
    if !tags.is_empty() {
        siyu_store::profiles::retag(tx, tenant, customer, &tags, &[], now).await?;
    }
    if let Some(t) = &channel.voucher_template_id {
        let source = format!("channel:{}:{customer}", channel.channel_id);
        crate::vouchers::enqueue_issue(tx, tenant, t, customer, &source, now).await?;
    }
    Ok(())
}

/// The reply to a follow: the channel's welcome, else the account's (`account_welcome`),
/// else none.
pub(super) fn welcome_reply(
    m: &Message,
    account_welcome: Option<&str>,
    channel: Option<&siyu_store::channels::Welcome>,
    now: i64,
) -> PassiveReply {
    match channel
        .and_then(|ch| ch.welcome_text.clone())
        .or_else(|| account_welcome.map(str::to_owned))
    {
        Some(text) => PassiveReply::Reply(Reply::text(m, now / 1000, text)),
        None => PassiveReply::Success,
    }
}
