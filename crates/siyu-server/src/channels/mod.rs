//! Channels: a named touchpoint gets a permanent (or, for events, temporary) string-scene QR
//! code from WeChat; follows and scans carrying its scene are attributed to it.

pub mod poster;
pub mod print;
pub mod qr;

use serde::Deserialize;
use siyu_domain::TenantId;
use siyu_store::channels::{self, Channel};
use siyu_wechat::client::QrCodeRequest;

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// Touchpoint kinds.
pub const KINDS: &[&str] = &[
    "package",
    "tag",
    "poster",
    "table",
    "store",
    "associate",
    "event",
    "ad",
    "online",
];

/// A new channel.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChannel {
    /// Display name (1–50 characters), e.g. `秋季海报`.
    pub name: String,
    /// `package`, `tag`, `poster`, `table`, `store`, `associate`, `event`, `ad` or `online`.
    pub kind: String,
    /// The Official Account; defaults to the tenant's first.
    pub account_id: Option<String>,
    /// What the touchpoint cost, in fen (for ROI).
    pub cost_fen: Option<i64>,
    /// A temporary code valid this many days (1–30), for events; permanent when absent.
    pub expires_in_days: Option<u32>,
    /// For `associate` channels: the staff member (`st_…`) whose personal code this is.
    pub staff_id: Option<String>,
}

fn validate(n: &NewChannel) -> Result<(), ApiError> {
    let len = n.name.trim().chars().count();
    if len == 0 || len > 50 {
        return Err(ApiError::invalid("name", "must be 1 to 50 characters"));
    }
    if !KINDS.contains(&n.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            format!("use one of {}", KINDS.join(", ")),
        ));
    }
    if n.cost_fen.is_some_and(|c| c < 0) {
        return Err(ApiError::invalid("cost_fen", "must not be negative"));
    }
    if n.expires_in_days.is_some_and(|d| !(1..=30).contains(&d)) {
        return Err(ApiError::invalid(
            "expires_in_days",
            "must be 1 to 30 (WeChat's limit for temporary codes)",
        ));
    }
    Ok(())
}

/// Creates a channel: asks WeChat for its QR code, then stores it (audited).
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    n: NewChannel,
    actor: &Actor,
) -> Result<Channel, ApiError> {
    create_in(state, tenant, n, actor, None).await
}

/// The Official Account a channel's code belongs to: the one named, or the tenant's first.
async fn account_for(
    state: &AppState,
    tenant: &TenantId,
    account_id: Option<&str>,
) -> Result<siyu_store::wechat_accounts::Account, ApiError> {
    match account_id {
        Some(id) => siyu_store::wechat_accounts::get(&state.store, tenant, id)
            .await
            .map_err(|_| {
                ApiError::invalid(
                    "account_id",
                    format!("no Official Account {id} in this tenant"),
                )
            }),
        None => siyu_store::wechat_accounts::list(&state.store, tenant)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::invalid("account_id", "connect an Official Account first")),
    }
}

/// Creates a channel, as the `seq`-th code of a batch when `batch` is given.
async fn create_in(
    state: &AppState,
    tenant: &TenantId,
    n: NewChannel,
    actor: &Actor,
    batch: Option<(&str, i64)>,
) -> Result<Channel, ApiError> {
    validate(&n)?;
    if let Some(staff) = &n.staff_id {
        if n.kind != "associate" {
            return Err(ApiError::invalid(
                "kind",
                "a staff member's personal channel has kind associate",
            ));
        }
        let id = siyu_domain::StaffId::parse(staff)
            .map_err(|_| ApiError::invalid("staff_id", format!("no staff member {staff}")))?;
        siyu_store::staff::get(&state.store, tenant, &id)
            .await
            .map_err(|_| {
                ApiError::invalid(
                    "staff_id",
                    format!("no staff member {staff} in this tenant"),
                )
            })?;
    }
    let account = account_for(state, tenant, n.account_id.as_deref()).await?;
    let id = format!("ch_{}", &siyu_domain::JobId::generate().as_str()[3..]);
    // The channel id is its scene: unique, stable, and within WeChat's 64 characters.
    let scene = id.clone();
    let request = match n.expires_in_days {
        Some(d) => QrCodeRequest::temporary_str(&scene, d * 86_400),
        None => QrCodeRequest::permanent_str(&scene),
    };
    let client = crate::wechat::client::client_for(state, &account)?;
    let qr = client.create_qrcode(&request).await.map_err(|e| {
        tracing::warn!(wechat.account = %account.id, error = %e, "QR code creation failed");
        ApiError::Upstream(e.to_string())
    })?;
    let now = state.now();
    let channel = Channel {
        id,
        tenant_id: tenant.to_string(),
        account_id: account.id,
        name: n.name.trim().to_owned(),
        kind: n.kind,
        scene,
        cost_fen: n.cost_fen,
        ticket: qr.ticket,
        qr_url: qr.url,
        expires_at: n.expires_in_days.map(|d| now + i64::from(d) * 86_400_000),
        created_at: now,
        staff_id: n.staff_id,
    };
    let mut tx = state.store.begin().await?;
    channels::insert(&mut tx, &channel).await?;
    let mut detail = serde_json::json!({"name": channel.name, "kind": channel.kind});
    if let Some((batch, seq)) = batch {
        channels::set_batch(&mut tx, &channel.id, batch, seq).await?;
        detail["batch"] = serde_json::json!(batch);
    }
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "channel.create",
        Some(&channel.id),
        Some(detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(channel)
}

/// Most codes one batch makes.
pub const BATCH_MAX: u32 = 500;
/// Codes asked of WeChat at the same time while making a batch.
const BATCH_CONCURRENCY: usize = 4;

/// Many channels of one kind made in one action, e.g. a restaurant's table codes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// Name prefix (1–40 characters). Each channel is named `{prefix}{n}` with the prefix as
    /// given, so `桌` gives `桌12` and `Table ` (with its space) gives `Table 12`.
    pub prefix: String,
    /// The kind of every channel, as for a single channel (e.g. `table`).
    pub kind: String,
    /// How many codes (1–500).
    pub count: u32,
    /// The first number (default 1); the last is `start + count - 1`, at most 99999.
    pub start: Option<u32>,
    /// The Official Account; defaults to the tenant's first.
    pub account_id: Option<String>,
}

/// A batch and the channels made in it, in order.
#[derive(Debug, Clone)]
pub struct MadeBatch {
    /// The batch.
    pub batch: channels::Batch,
    /// Its channels, in number order.
    pub channels: Vec<Channel>,
}

fn batch_names(n: &NewBatch) -> Result<Vec<String>, ApiError> {
    let prefix = n.prefix.trim_start();
    let len = prefix.trim_end().chars().count();
    if len == 0 || len > 40 {
        return Err(ApiError::invalid("prefix", "must be 1 to 40 characters"));
    }
    if !(1..=BATCH_MAX).contains(&n.count) {
        return Err(ApiError::invalid(
            "count",
            format!("must be 1 to {BATCH_MAX}"),
        ));
    }
    let start = n.start.unwrap_or(1);
    let last = start.checked_add(n.count - 1).filter(|l| *l <= 99_999);
    let Some(last) = last else {
        return Err(ApiError::invalid(
            "start",
            "the last number (start + count - 1) must be at most 99999",
        ));
    };
    Ok((start..=last).map(|i| format!("{prefix}{i}")).collect())
}

/// Makes a batch: checks everything first (a bad request makes nothing), stores the batch,
/// then asks WeChat for each code through [`create`]'s path, a few at a time, in the batch.
///
/// When WeChat fails midway, the codes made so far stay in the batch (its `count` keeps the
/// number asked for) and the error is `Upstream`, naming how many were made and the batch;
/// asking again makes a new batch. A request abandoned midway (the server's request timeout)
/// likewise leaves the codes made so far in the batch.
pub async fn create_batch(
    state: &AppState,
    tenant: &TenantId,
    n: NewBatch,
    actor: &Actor,
) -> Result<MadeBatch, ApiError> {
    let names = batch_names(&n)?;
    let sample = NewChannel {
        name: names.last().cloned().unwrap_or_default(),
        kind: n.kind.clone(),
        account_id: None,
        cost_fen: None,
        expires_in_days: None,
        staff_id: None,
    };
    validate(&sample)?;
    let account = account_for(state, tenant, n.account_id.as_deref()).await?;
    let now = state.now();
    let batch = channels::Batch {
        id: format!("cb_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.to_string(),
        name: match (names.first(), names.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
            (Some(a), _) => a.clone(),
            _ => String::new(),
        },
        kind: n.kind.clone(),
        count: i64::from(n.count),
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    channels::insert_batch(&mut tx, &batch).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "channel_batch.create",
        Some(&batch.id),
        Some(serde_json::json!({"name": batch.name, "kind": batch.kind, "count": batch.count})),
        now,
    )
    .await?;
    tx.commit().await?;

    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut pending = names.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    let mut made: Vec<(usize, Channel)> = Vec::with_capacity(batch.count as usize);
    let mut failure: Option<ApiError> = None;
    let start = |(i, name): (usize, String)| {
        let n = NewChannel {
            name,
            kind: n.kind.clone(),
            account_id: Some(account.id.clone()),
            cost_fen: None,
            expires_in_days: None,
            staff_id: None,
        };
        let batch_id = batch.id.as_str();
        async move {
            let seq = i64::try_from(i).unwrap_or(i64::MAX) + 1;
            (
                i,
                create_in(state, tenant, n, actor, Some((batch_id, seq))).await,
            )
        }
    };
    for next in pending.by_ref().take(BATCH_CONCURRENCY) {
        running.push(start(next));
    }
    // After a failure nothing new starts, but what is under way finishes, so the count of
    // codes made is exact.
    while let Some((i, result)) = running.next().await {
        match result {
            Ok(c) => made.push((i, c)),
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
        if failure.is_none() {
            if let Some(next) = pending.next() {
                running.push(start(next));
            }
        }
    }
    drop(running);
    made.sort_by_key(|(i, _)| *i);
    let channels: Vec<Channel> = made.into_iter().map(|(_, c)| c).collect();
    match failure {
        None => Ok(MadeBatch { batch, channels }),
        Some(ApiError::Upstream(e)) => Err(ApiError::Upstream(format!(
            "{e}; {} of {} codes were made and stay in batch {}",
            channels.len(),
            batch.count,
            batch.id
        ))),
        Some(e) => Err(e),
    }
}

/// What a fan gets on following through a channel.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WelcomeInput {
    /// The channel's own welcome message (up to 600 characters); null or empty for the
    /// account's.
    #[serde(default)]
    pub welcome_text: Option<String>,
    /// Tags every fan who follows through the channel gets.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A voucher template every fan who follows through the channel gets (once per fan).
    #[serde(default)]
    pub voucher_template_id: Option<String>,
}

/// Sets a channel's welcome message and tags; audited.
pub async fn set_welcome(
    state: &AppState,
    tenant: &TenantId,
    channel_id: &str,
    input: WelcomeInput,
    actor: &Actor,
) -> Result<WelcomeInput, ApiError> {
    siyu_store::channels::get(&state.store, tenant, channel_id).await?;
    let text = input
        .welcome_text
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 600) {
        return Err(ApiError::invalid("welcome_text", "at most 600 characters"));
    }
    let tags = crate::identity::check_tags("tags", &input.tags)?;
    if tags.len() > 20 {
        return Err(ApiError::invalid("tags", "at most 20 tags"));
    }
    let voucher = input
        .voucher_template_id
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if let Some(t) = &voucher {
        siyu_store::vouchers::template(&state.store, tenant, t)
            .await
            .map_err(|_| {
                ApiError::invalid("voucher_template_id", format!("no voucher template {t}"))
            })?;
    }
    let now = state.now();
    let json = serde_json::to_string(&tags).map_err(|_| ApiError::Internal)?;
    let mut tx = state.store.begin().await?;
    siyu_store::channels::set_welcome(
        &mut tx,
        tenant,
        channel_id,
        text.as_deref(),
        &json,
        voucher.as_deref(),
        now,
    )
    .await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "channel.welcome",
        Some(channel_id),
        Some(serde_json::json!({"tags": tags, "welcome": text.is_some()})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(WelcomeInput {
        welcome_text: text,
        tags,
        voucher_template_id: voucher,
    })
}

/// A yes/no query parameter: `1`/`true`/`yes` or `0`/`false`/`no` (absent is no).
pub fn flag(field: &str, value: Option<&str>) -> Result<bool, ApiError> {
    match value.map(str::trim) {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(_) => Err(ApiError::invalid(field, "use 1 or 0")),
    }
}

/// A batch's codes as `(name, content)` in print order (404 for another tenant's batch).
pub async fn batch_codes(
    state: &AppState,
    tenant: &TenantId,
    batch_id: &str,
) -> Result<(channels::Batch, Vec<(String, String)>), ApiError> {
    let batch = channels::get_batch(&state.store, tenant, batch_id).await?;
    let codes = channels::of_batch(&state.store, tenant, batch_id)
        .await?
        .into_iter()
        .map(|c| (c.name, c.qr_url))
        .collect();
    Ok((batch, codes))
}

/// Runs an image or document render off the async workers.
pub async fn render<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::Internal)?
}
