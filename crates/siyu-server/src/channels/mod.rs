//! Channels: a named touchpoint gets a permanent (or, for events, temporary) string-scene QR
//! code from WeChat; follows and scans carrying its scene are attributed to it.

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
    let account = match &n.account_id {
        Some(id) => siyu_store::wechat_accounts::get(&state.store, tenant, id)
            .await
            .map_err(|_| {
                ApiError::invalid(
                    "account_id",
                    format!("no Official Account {id} in this tenant"),
                )
            })?,
        None => siyu_store::wechat_accounts::list(&state.store, tenant)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::invalid("account_id", "connect an Official Account first"))?,
    };
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
    let detail = serde_json::json!({"name": channel.name, "kind": channel.kind});
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
    let now = state.now();
    let json = serde_json::to_string(&tags).map_err(|_| ApiError::Internal)?;
    let mut tx = state.store.begin().await?;
    siyu_store::channels::set_welcome(&mut tx, tenant, channel_id, text.as_deref(), &json, now)
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
    })
}
