//! Pushes: content for a segment's fans, sent through the outbox and measured.
//!
//! A push is a row and a `push.send` job due at its send time. When the job runs it fixes the
//! audience (the segment's following fans with an OpenID on the account, evaluated then), and
//! delivers:
//! - **custom**: every recipient interacted within WeChat's 48-hour window, so each gets a
//!   customer-service message (template pushes always go one by one). A recipient is claimed
//!   (committed) before its message goes out, so a resumed job never sends to one fan twice;
//! - **mass**: otherwise, the segment's WeChat tag is brought in line with the audience (tag the
//!   new members, untag the departed) and one mass send goes to the tag, with the push id as
//!   `clientmsgid`, so a retried submission is recognised by WeChat (45065) and not sent again.
//!   The result arrives later as `MASSSENDJOBFINISH`.
//!
//! Mass sends are limited per account: a service account's fans receive at most
//! [`MASS_PER_MONTH`] a month, so siyu refuses a push that would need a fifth.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use siyu_domain::segment::{Expr, Pred};
use siyu_domain::TenantId;
use siyu_store::pushes::{self, Push, PushUpdate};
use siyu_store::wechat_accounts::Account;
use siyu_wechat::client::{CustomArticle, CustomMessage, MassContent, MassOptions};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::jobs::{self, Job};
use crate::services::Actor;
use crate::state::AppState;

/// Mass sends a service account's fans may receive per calendar month (WECHAT.md 2.5).
pub const MASS_PER_MONTH: i64 = 4;
/// The customer-service window: a fan can be messaged this long after their last interaction.
pub const WINDOW_MS: i64 = 48 * 3_600_000;
/// Days after delivery in which a recipient's order is attributed to the push.
pub const ORDER_DAYS: i64 = 7;
/// WeChat's batch tagging limit.
const TAG_BATCH: usize = 50;
const HOUR: i64 = 3_600_000;

/// What a push says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// A text message.
    Text {
        /// The text (≤ 600 characters).
        text: String,
    },
    /// An image already uploaded to WeChat.
    Image {
        /// WeChat media id.
        media_id: String,
    },
    /// A news article: title, cover, digest and link (the link is tracked).
    News {
        /// Title (≤ 64 characters).
        title: String,
        /// Cover image URL.
        #[serde(default)]
        cover_url: Option<String>,
        /// Digest (≤ 120 characters).
        #[serde(default)]
        digest: Option<String>,
        /// Where the article leads.
        url: String,
    },
    /// A template message, for transactional notices (sent one by one, any time).
    Template {
        /// WeChat template id.
        template_id: String,
        /// Field values by key.
        #[serde(default)]
        #[schema(value_type = Object)]
        data: std::collections::BTreeMap<String, String>,
        /// Link (tracked).
        #[serde(default)]
        url: Option<String>,
    },
}

impl Content {
    /// Checks lengths and links.
    pub fn check(&self) -> Result<(), ApiError> {
        let chars = |s: &str| s.chars().count();
        let url_ok = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        match self {
            Content::Text { text } if text.trim().is_empty() || chars(text) > 600 => Err(
                ApiError::invalid("content.text", "write 1 to 600 characters"),
            ),
            Content::Image { media_id } if media_id.trim().is_empty() => Err(ApiError::invalid(
                "content.media_id",
                "give the WeChat media id of an uploaded image",
            )),
            Content::News { title, .. } if title.trim().is_empty() || chars(title) > 64 => Err(
                ApiError::invalid("content.title", "write a title of 1 to 64 characters"),
            ),
            Content::News {
                digest: Some(d), ..
            } if chars(d) > 120 => Err(ApiError::invalid(
                "content.digest",
                "keep the digest to 120 characters",
            )),
            Content::News { url, .. } if !url_ok(url) => Err(ApiError::invalid(
                "content.url",
                "the article link must start with https:// or http://",
            )),
            Content::News {
                cover_url: Some(c), ..
            } if !url_ok(c) => Err(ApiError::invalid(
                "content.cover_url",
                "the cover must be an https:// or http:// image URL",
            )),
            Content::Template { template_id, .. } if template_id.trim().is_empty() => Err(
                ApiError::invalid("content.template_id", "give the WeChat template id"),
            ),
            Content::Template { url: Some(u), .. } if !url_ok(u) => Err(ApiError::invalid(
                "content.url",
                "the link must start with https:// or http://",
            )),
            _ => Ok(()),
        }
    }

    /// A one-line summary for lists.
    pub fn summary(&self) -> String {
        let s = match self {
            Content::Text { text } => text.clone(),
            Content::Image { media_id } => format!("[图片] {media_id}"),
            Content::News { title, .. } => format!("[图文] {title}"),
            Content::Template { template_id, .. } => format!("[模板] {template_id}"),
        };
        s.chars().take(40).collect()
    }

    fn link(&self) -> Option<&str> {
        match self {
            Content::News { url, .. } => Some(url),
            Content::Template { url, .. } => url.as_deref(),
            _ => None,
        }
    }
}

/// A new push.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPush {
    /// The segment whose fans get it (evaluated when it is sent).
    #[serde(default)]
    pub segment_id: Option<String>,
    /// Or the fans carrying this WeChat tag.
    #[serde(default)]
    pub wechat_tag_id: Option<i64>,
    /// What it says.
    pub content: Content,
    /// When to send, Unix ms (default now).
    #[serde(default)]
    pub send_at: Option<i64>,
    /// The Official Account (default the tenant's first).
    #[serde(default)]
    pub account_id: Option<String>,
}

/// Sends a push when it is due.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendPush {
    /// The push.
    pub push_id: String,
}

impl Job for SendPush {
    const KIND: &'static str = "push.send";
    const MAX_ATTEMPTS: i64 = 6;
}

/// Mass sends left on the account this month.
pub async fn mass_remaining(state: &AppState, account: &str) -> Result<i64, ApiError> {
    let used = pushes::mass_sends_since(
        &state.store,
        account,
        siyu_domain::calendar::china_month_start(state.now()),
    )
    .await?;
    Ok((MASS_PER_MONTH - used).max(0))
}

async fn account_for(
    state: &AppState,
    tenant: &TenantId,
    id: Option<&str>,
) -> Result<Account, ApiError> {
    let accounts = siyu_store::wechat_accounts::list(&state.store, tenant).await?;
    match id {
        Some(id) => accounts
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ApiError::invalid("account_id", "no such Official Account")),
        None => accounts.into_iter().next().ok_or_else(|| {
            ApiError::invalid(
                "account_id",
                "connect a WeChat Official Account before sending pushes",
            )
        }),
    }
}

/// Creates a push (and its send job, due at `send_at`).
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    input: NewPush,
    actor: &Actor,
) -> Result<Push, ApiError> {
    input.content.check()?;
    let now = state.now();
    let account = account_for(state, tenant, input.account_id.as_deref()).await?;
    match (&input.segment_id, input.wechat_tag_id) {
        (Some(id), None) => {
            let seg = pushes::segment(&state.store, tenant, id)
                .await
                .map_err(|e| match e {
                    siyu_store::StoreError::NotFound => {
                        ApiError::invalid("segment_id", "no such segment")
                    }
                    other => other.into(),
                })?;
            // The segment must still evaluate (names it uses may have gone).
            crate::audience::segments::count_of(state, tenant, &seg).await?;
        }
        (None, Some(tag)) if tag > 0 => {}
        _ => {
            return Err(ApiError::invalid(
                "segment_id",
                "give either segment_id or wechat_tag_id",
            ))
        }
    }
    let send_at = input.send_at.unwrap_or(now).max(now);
    if matches!(
        input.content,
        Content::Text { .. } | Content::Image { .. } | Content::News { .. }
    ) && mass_remaining(state, &account.id).await? == 0
        && !fits_window(state, tenant, &account, &input).await?
    {
        return Err(ApiError::Conflict {
            code: "mass_quota_exhausted",
            message: format!(
                "this account has used its {MASS_PER_MONTH} mass sends this month; fans outside the 48-hour window cannot be reached until next month"
            ),
        });
    }
    let push = Push {
        id: format!("pu_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.as_str().to_owned(),
        account_id: account.id.clone(),
        segment_id: input.segment_id.clone(),
        wechat_tag_id: input.wechat_tag_id,
        content: serde_json::to_string(&input.content).map_err(|_| ApiError::Internal)?,
        status: "scheduled".into(),
        mode: None,
        send_at,
        audience_size: None,
        msg_id: None,
        total_count: None,
        sent_count: None,
        error_count: None,
        error: None,
        created_by: Some(actor.to_string()),
        created_at: now,
        started_at: None,
        delivered_at: None,
        finished_at: None,
    };
    let mut tx = state.store.begin().await?;
    pushes::insert_push(&mut tx, &push).await?;
    jobs::enqueue(
        &mut tx,
        Some(tenant),
        &SendPush {
            push_id: push.id.clone(),
        },
        Some(&push.id),
        send_at,
        now,
    )
    .await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "push.create",
        Some(&push.id),
        Some(serde_json::json!({"segment_id": push.segment_id, "send_at": send_at})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(push)
}

/// Whether every fan the push would reach now is inside the 48-hour window.
async fn fits_window(
    state: &AppState,
    tenant: &TenantId,
    account: &Account,
    input: &NewPush,
) -> Result<bool, ApiError> {
    let Some(seg) = &input.segment_id else {
        return Ok(false);
    };
    let seg = pushes::segment(&state.store, tenant, seg).await?;
    let audience = audience(state, tenant, account, &seg).await?;
    Ok(audience.iter().all(|a| a.in_window))
}

/// Cancels a push that has not started.
pub async fn cancel(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    actor: &Actor,
) -> Result<Push, ApiError> {
    pushes::push(&state.store, tenant, id).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    let p = pushes::lock_push(&mut tx, id).await?;
    if p.status != "scheduled" {
        return Err(ApiError::Conflict {
            code: "push_already_started",
            message: format!("this push is {} and can no longer be cancelled", p.status),
        });
    }
    pushes::update_push(
        &mut tx,
        id,
        &PushUpdate {
            status: Some("cancelled"),
            finished_at: Some(now),
            ..PushUpdate::default()
        },
    )
    .await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "push.cancel",
        Some(id),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(pushes::push(&state.store, tenant, id).await?)
}

/// One fan a push would reach.
#[derive(Debug, Clone)]
pub struct Reach {
    /// Live profile.
    pub customer_id: String,
    /// OpenID on the account.
    pub openid: String,
    /// Interacted within 48 hours.
    pub in_window: bool,
}

/// The segment's following fans with an OpenID on the account, now.
pub async fn audience(
    state: &AppState,
    tenant: &TenantId,
    account: &Account,
    seg: &siyu_store::pushes::Segment,
) -> Result<Vec<Reach>, ApiError> {
    let expr = crate::audience::resolve::parse(&serde_json::Value::String(seg.query.clone()))?;
    let expr = Expr::And(vec![expr, Expr::Pred(Pred::Following)]);
    let members =
        crate::audience::segments::evaluate_expr(state, tenant, &expr, true, Some(&seg.name))
            .await?
            .members
            .unwrap_or_default();
    let since = state.now() - WINDOW_MS;
    let mut out = Vec::new();
    for chunk in members.chunks(500) {
        for (customer_id, openid, last) in
            siyu_store::pushes::openids(&state.store, tenant, &account.app_id, chunk).await?
        {
            if out
                .last()
                .is_some_and(|r: &Reach| r.customer_id == customer_id)
            {
                continue;
            }
            out.push(Reach {
                customer_id,
                openid,
                in_window: last.is_some_and(|l| l >= since),
            });
        }
    }
    Ok(out)
}

/// The job: fix the audience, then deliver; safe to run again at any point.
pub async fn run(state: AppState, job: SendPush) -> Result<(), String> {
    run_inner(&state, &job.push_id)
        .await
        .map_err(|e| e.to_string())
}

async fn run_inner(state: &AppState, id: &str) -> Result<(), ApiError> {
    let now = state.now();
    // A plain read: `start` locks the push itself before it changes anything.
    let p = pushes::push_any(&state.store, id).await?;
    let tenant = TenantId::parse(&p.tenant_id).map_err(|_| ApiError::Internal)?;
    let account = siyu_store::wechat_accounts::get(&state.store, &tenant, &p.account_id).await?;
    let content: Content = serde_json::from_str(&p.content).map_err(|_| ApiError::Internal)?;
    match p.status.as_str() {
        "scheduled" => start(state, &tenant, &account, &p, &content, now).await?,
        "sending" => {}
        _ => return Ok(()),
    }
    let p = pushes::push(&state.store, &tenant, id).await?;
    match p.mode.as_deref() {
        Some("mass") => deliver_mass(state, &tenant, &account, &p, &content).await,
        Some("custom") => deliver_each(state, &account, &p, &content).await,
        _ => Ok(()),
    }
}

/// Fixes the audience and the mode (one transaction; a second runner finds it started).
async fn start(
    state: &AppState,
    tenant: &TenantId,
    account: &Account,
    p: &Push,
    content: &Content,
    now: i64,
) -> Result<(), ApiError> {
    let reach = match &p.segment_id {
        Some(seg) => {
            let seg = pushes::segment(&state.store, tenant, seg).await?;
            audience(state, tenant, account, &seg).await?
        }
        None => Vec::new(),
    };
    let one_by_one = matches!(content, Content::Template { .. })
        || (p.segment_id.is_some() && reach.iter().all(|r| r.in_window));
    let mode = if one_by_one { "custom" } else { "mass" };
    let mut failure = None;
    if mode == "mass" && mass_remaining(state, &account.id).await? == 0 {
        failure = Some(format!(
            "the account has used its {MASS_PER_MONTH} mass sends this month"
        ));
    }
    let mut tx = state.store.begin().await?;
    let locked = pushes::lock_push(&mut tx, &p.id).await?;
    if locked.status != "scheduled" {
        return Ok(());
    }
    for r in &reach {
        let token = state
            .keys
            .tag("push-recipient", &format!("{}:{}", p.id, r.customer_id), 16);
        pushes::add_recipient(&mut tx, &p.id, &r.customer_id, &r.openid, &token).await?;
    }
    let size = if p.segment_id.is_some() {
        Some(reach.len() as i64)
    } else {
        None
    };
    pushes::update_push(
        &mut tx,
        &p.id,
        &PushUpdate {
            status: Some(if failure.is_some() {
                "failed"
            } else {
                "sending"
            }),
            mode: Some(mode),
            audience_size: size,
            started_at: Some(now),
            error: failure.as_deref(),
            finished_at: failure.as_ref().map(|_| now),
            ..PushUpdate::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The link a recipient gets: `/p/{token}` redirects to the content's link and counts the read.
pub fn tracked_link(state: &AppState, token: &str) -> String {
    format!("{}/p/{token}", state.config.base_url())
}

/// The shared tracked link of a mass send (one content for everyone).
pub fn shared_token(state: &AppState, push: &str) -> String {
    format!("{push}.{}", state.keys.tag("push-link", push, 10))
}

fn mass_content(state: &AppState, p: &Push, content: &Content) -> MassContent {
    match content {
        Content::Text { text } => MassContent::text(text.clone()),
        Content::Image { media_id } => MassContent::Image {
            images: serde_json::json!({"media_ids": [media_id], "recommend": "", "need_open_comment": 0}),
        },
        Content::News { title, digest, .. } => {
            // A mass-sent article needs WeChat's own article editor; the same news goes out as
            // a text with the tracked link.
            let link = tracked_link(state, &shared_token(state, &p.id));
            let digest = digest
                .as_deref()
                .map(|d| format!("\n{d}"))
                .unwrap_or_default();
            MassContent::text(format!("{title}{digest}\n{link}"))
        }
        Content::Template { .. } => MassContent::text(String::new()),
    }
}

async fn deliver_mass(
    state: &AppState,
    tenant: &TenantId,
    account: &Account,
    p: &Push,
    content: &Content,
) -> Result<(), ApiError> {
    let client = crate::wechat::client::client_for(state, account)?;
    let upstream = |e: siyu_wechat::WechatError| ApiError::Upstream(e.to_string());
    let tag_id = match (&p.segment_id, p.wechat_tag_id) {
        (_, Some(tag)) => tag,
        (Some(seg), None) => {
            let seg = pushes::segment(&state.store, tenant, seg).await?;
            let tag = match seg.wechat_tag_id {
                Some(t) => t,
                None => {
                    let name = tag_name(&seg.name, &seg.id);
                    let t = match client.create_tag(&name).await {
                        Ok(t) => t.id,
                        Err(e) if e.errcode() == Some(45157) => client
                            .get_tags()
                            .await
                            .map_err(upstream)?
                            .into_iter()
                            .find(|t| t.name == name)
                            .map(|t| t.id)
                            .ok_or_else(|| upstream(e))?,
                        Err(e) => return Err(upstream(e)),
                    };
                    pushes::set_segment_tag(&state.store, &seg.id, t).await?;
                    t
                }
            };
            sync_tag(state, &client, &seg.id, tag, p).await?;
            tag
        }
        (None, None) => return Err(ApiError::Internal),
    };
    let opts = MassOptions {
        client_msg_id: Some(p.id.clone()),
        send_ignore_reprint: false,
    };
    let now = state.now();
    let sent = client
        .mass_send_by_tag(Some(tag_id), &mass_content(state, p, content), &opts)
        .await;
    let mut tx = state.store.begin().await?;
    match sent {
        Ok(r) => {
            pushes::update_push(
                &mut tx,
                &p.id,
                &PushUpdate {
                    status: Some("submitted"),
                    msg_id: i64::try_from(r.msg_id).ok(),
                    delivered_at: Some(now),
                    wechat_tag_id: Some(tag_id),
                    ..PushUpdate::default()
                },
            )
            .await?;
            pushes::mark_all_sent(&mut tx, &p.id, now).await?;
        }
        Err(e) if matches!(e.errcode(), Some(45028 | 45009 | 48001 | 40007)) => {
            let msg = format!("WeChat refused the mass send: {e}");
            pushes::update_push(
                &mut tx,
                &p.id,
                &PushUpdate {
                    status: Some("failed"),
                    error: Some(&msg),
                    finished_at: Some(now),
                    ..PushUpdate::default()
                },
            )
            .await?;
        }
        Err(e) => return Err(upstream(e)),
    }
    tx.commit().await?;
    Ok(())
}

/// A WeChat tag name for a segment (≤ 30 bytes, unique by the id's tail).
fn tag_name(name: &str, id: &str) -> String {
    let suffix = format!("·{}", &id[id.len().saturating_sub(4)..]);
    let mut out = String::new();
    for c in name.chars() {
        if out.len() + c.len_utf8() + suffix.len() > 30 {
            break;
        }
        out.push(c);
    }
    out + &suffix
}

/// Tags the audience's new members and untags those who left (50 at a time, as WeChat allows).
async fn sync_tag(
    state: &AppState,
    client: &siyu_wechat::client::WechatClient,
    segment: &str,
    tag: i64,
    p: &Push,
) -> Result<(), ApiError> {
    let upstream = |e: siyu_wechat::WechatError| ApiError::Upstream(e.to_string());
    let want: BTreeSet<String> = pushes::recipients(&state.store, &p.id, None)
        .await?
        .into_iter()
        .map(|r| r.openid)
        .collect();
    let have: BTreeSet<String> = pushes::tagged(&state.store, segment)
        .await?
        .into_iter()
        .collect();
    let add: Vec<String> = want.difference(&have).cloned().collect();
    let remove: Vec<String> = have.difference(&want).cloned().collect();
    for batch in add.chunks(TAG_BATCH) {
        client.batch_tag(batch, tag).await.map_err(upstream)?;
        pushes::set_tagged(&state.store, segment, batch, true).await?;
    }
    for batch in remove.chunks(TAG_BATCH) {
        match client.batch_untag(batch, tag).await {
            Ok(()) => {}
            // Fans who unfollowed carry no tags any more.
            Err(e) if e.errcode() == Some(40003) => {}
            Err(e) => return Err(upstream(e)),
        }
        pushes::set_tagged(&state.store, segment, batch, false).await?;
    }
    Ok(())
}

fn custom_message(state: &AppState, r: &pushes::Recipient, content: &Content) -> CustomMessage {
    match content {
        Content::Text { text } => CustomMessage::text(&r.openid, text.clone()),
        Content::Image { media_id } => CustomMessage::image(&r.openid, media_id.clone()),
        Content::News {
            title,
            cover_url,
            digest,
            ..
        } => CustomMessage::news(
            &r.openid,
            CustomArticle {
                title: title.clone(),
                description: digest.clone().unwrap_or_default(),
                url: tracked_link(state, &r.token),
                picurl: cover_url.clone().unwrap_or_default(),
            },
        ),
        Content::Template { .. } => CustomMessage::text(&r.openid, String::new()),
    }
}

/// Sends to each pending recipient once.
async fn deliver_each(
    state: &AppState,
    account: &Account,
    p: &Push,
    content: &Content,
) -> Result<(), ApiError> {
    let client = crate::wechat::client::client_for(state, account)?;
    for r in pushes::recipients(&state.store, &p.id, Some("pending")).await? {
        if !pushes::move_recipient(
            &state.store,
            &p.id,
            &r.customer_id,
            "pending",
            "claimed",
            None,
            None,
        )
        .await?
        {
            continue;
        }
        let result = match content {
            Content::Template {
                template_id,
                data,
                url,
            } => {
                let mut msg = siyu_wechat::client::TemplateMessage::new(&r.openid, template_id);
                for (k, v) in data {
                    msg = msg.field(k, v);
                }
                msg.url = url.as_ref().map(|_| tracked_link(state, &r.token));
                client.send_template_message(&msg).await.map(|_| ())
            }
            _ => {
                client
                    .send_custom_message(&custom_message(state, &r, content))
                    .await
            }
        };
        let now = state.now();
        match result {
            Ok(()) => {
                pushes::move_recipient(
                    &state.store,
                    &p.id,
                    &r.customer_id,
                    "claimed",
                    "sent",
                    None,
                    Some(now),
                )
                .await?;
            }
            Err(e) => {
                let why = e.to_string();
                pushes::move_recipient(
                    &state.store,
                    &p.id,
                    &r.customer_id,
                    "claimed",
                    "failed",
                    Some(&why),
                    Some(now),
                )
                .await?;
            }
        }
    }
    let counts = pushes::recipient_counts(&state.store, &p.id).await?;
    let count = |s: &str| counts.iter().find(|c| c.0 == s).map_or(0, |c| c.1);
    let now = state.now();
    let mut tx = state.store.begin().await?;
    pushes::update_push(
        &mut tx,
        &p.id,
        &PushUpdate {
            status: Some("sent"),
            sent_count: Some(count("sent")),
            error_count: Some(count("failed") + count("claimed")),
            total_count: Some(count("sent") + count("failed") + count("claimed")),
            delivered_at: Some(now),
            finished_at: Some(now),
            ..PushUpdate::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records WeChat's `MASSSENDJOBFINISH` on the push it reports.
pub async fn record_finish(
    tx: &mut siyu_store::Tx,
    account: &str,
    f: &siyu_wechat::message::MassSendJobFinish,
    now: i64,
) -> Result<(), ApiError> {
    let Ok(msg_id) = i64::try_from(f.msg_id) else {
        return Ok(());
    };
    pushes::finish_mass(
        tx,
        account,
        msg_id,
        i64::try_from(f.total_count).unwrap_or(i64::MAX),
        i64::try_from(f.sent_count).unwrap_or(i64::MAX),
        i64::try_from(f.error_count).unwrap_or(i64::MAX),
        (!f.status.contains("success")).then_some(f.status.as_str()),
        now,
    )
    .await?;
    Ok(())
}

/// What a push did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Measures {
    /// Fans it was for.
    pub audience_size: Option<i64>,
    /// Delivered (MASSSENDJOBFINISH SentCount, or custom messages accepted).
    pub delivered: Option<i64>,
    /// Deliveries that failed.
    pub failed: Option<i64>,
    /// People who opened its tracked link.
    pub reads: i64,
    /// Opens of its tracked link.
    pub clicks: i64,
    /// Orders by recipients within [`ORDER_DAYS`] days of delivery.
    pub orders: i64,
    /// Their revenue, fen.
    pub revenue_fen: i64,
    /// Recipients who unfollowed within 24 hours of delivery.
    pub unfollows_24h: i64,
    /// Within 72 hours.
    pub unfollows_72h: i64,
    /// Unfollows expected in 24 hours from the account's rate over the 30 days before.
    pub baseline_24h: f64,
    /// Expected in 72 hours.
    pub baseline_72h: f64,
    /// Unfollows beyond the baseline in 72 hours (掉粉 attributable to the push).
    pub excess_unfollows_72h: f64,
}

/// Measures a push now.
pub async fn measures(state: &AppState, tenant: &TenantId, p: &Push) -> Result<Measures, ApiError> {
    let (clicks, reads) = pushes::clicks(&state.store, &p.id).await?;
    let mut m = Measures {
        audience_size: p.audience_size,
        delivered: p.sent_count,
        failed: p.error_count,
        reads,
        clicks,
        orders: 0,
        revenue_fen: 0,
        unfollows_24h: 0,
        unfollows_72h: 0,
        baseline_24h: 0.0,
        baseline_72h: 0.0,
        excess_unfollows_72h: 0.0,
    };
    let Some(at) = p.delivered_at else {
        return Ok(m);
    };
    let (orders, revenue) =
        pushes::attributed_orders(&state.store, &p.id, at, at + ORDER_DAYS * 24 * HOUR).await?;
    m.orders = orders;
    m.revenue_fen = revenue;
    m.unfollows_24h =
        pushes::unfollows(&state.store, &p.id, &p.account_id, at, at + 24 * HOUR).await?;
    m.unfollows_72h =
        pushes::unfollows(&state.store, &p.id, &p.account_id, at, at + 72 * HOUR).await?;
    let (churn, followers) =
        pushes::account_churn(&state.store, tenant, &p.account_id, at - 30 * 24 * HOUR, at).await?;
    let reached = p.sent_count.or(p.audience_size).unwrap_or(0) as f64;
    if followers > 0 {
        let daily = churn as f64 / 30.0 / (followers + churn) as f64;
        m.baseline_24h = round2(daily * reached);
        m.baseline_72h = round2(3.0 * daily * reached);
    }
    m.excess_unfollows_72h = round2((m.unfollows_72h as f64 - m.baseline_72h).max(0.0));
    Ok(m)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Records an open of a tracked link and returns where it leads.
pub async fn open_link(state: &AppState, token: &str, visitor: &str) -> Result<String, ApiError> {
    let (push_id, customer) = match pushes::recipient_by_token(&state.store, token).await? {
        Some((p, c)) => (p, Some(c)),
        None => {
            let (push, _) = token.split_once('.').ok_or(ApiError::NotFound)?;
            if !crate::crypto::constant_eq(shared_token(state, push).as_bytes(), token.as_bytes()) {
                return Err(ApiError::NotFound);
            }
            (push.to_owned(), None)
        }
    };
    let p = pushes::push_any(&state.store, &push_id).await?;
    let content: Content = serde_json::from_str(&p.content).map_err(|_| ApiError::Internal)?;
    let Some(link) = content.link() else {
        return Err(ApiError::NotFound);
    };
    pushes::record_click(
        &state.store,
        &push_id,
        customer.as_deref(),
        visitor,
        state.now(),
    )
    .await?;
    Ok(link.to_owned())
}

/// Sends a push's content to one test fan now.
pub async fn preview(
    state: &AppState,
    tenant: &TenantId,
    p: &Push,
    openid: &str,
) -> Result<(), ApiError> {
    let openid = openid.trim();
    if openid.is_empty() || openid.len() > 64 {
        return Err(ApiError::invalid("openid", "give the OpenID of a test fan"));
    }
    let account = siyu_store::wechat_accounts::get(&state.store, tenant, &p.account_id).await?;
    let content: Content = serde_json::from_str(&p.content).map_err(|_| ApiError::Internal)?;
    let client = crate::wechat::client::client_for(state, &account)?;
    let r = pushes::Recipient {
        customer_id: String::new(),
        openid: openid.to_owned(),
        token: shared_token(state, &p.id),
        state: "preview".into(),
        error: None,
        sent_at: None,
    };
    let sent = match &content {
        Content::Template {
            template_id,
            data,
            url,
        } => {
            let mut msg = siyu_wechat::client::TemplateMessage::new(openid, template_id);
            for (k, v) in data {
                msg = msg.field(k, v);
            }
            msg.url = url.clone();
            client.send_template_message(&msg).await.map(|_| ())
        }
        _ => {
            client
                .send_custom_message(&custom_message(state, &r, &content))
                .await
        }
    };
    sent.map_err(|e| match e.errcode() {
        Some(45015) => ApiError::invalid(
            "openid",
            "this fan has not written to the account in the last 48 hours; ask them to send a message first",
        ),
        Some(40003) => ApiError::invalid("openid", "this OpenID does not follow the account"),
        _ => ApiError::Upstream(e.to_string()),
    })
}
