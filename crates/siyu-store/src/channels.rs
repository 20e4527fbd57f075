//! Channels: touchpoints (a poster, a table, a package, a store associate…) each with its own
//! QR scene, and the figures that say which touchpoint brought which fans.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A channel as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Channel {
    /// Its id (`ch_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The Official Account its QR code belongs to.
    pub account_id: String,
    /// Display name.
    pub name: String,
    /// `package`, `tag`, `poster`, `table`, `store`, `associate`, `event`, `ad`, `online`.
    pub kind: String,
    /// The QR scene WeChat sends back (`EventKey` = `qrscene_{scene}` on follow, `{scene}` on scan).
    pub scene: String,
    /// What the touchpoint cost, in fen, for ROI.
    pub cost_fen: Option<i64>,
    /// WeChat's QR ticket.
    pub ticket: String,
    /// The QR code's content.
    pub qr_url: String,
    /// Expiry of a temporary code, Unix ms.
    pub expires_at: Option<i64>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// For an associate's personal channel: the staff member.
    pub staff_id: Option<String>,
}

const COLUMNS: &str = "id, tenant_id, account_id, name, kind, scene, cost_fen, ticket, qr_url, expires_at, created_at, staff_id";

/// Stores a channel; a scene already used on the account is `Conflict`.
pub async fn insert(tx: &mut Tx, c: &Channel) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO channels ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&c.id).bind(&c.tenant_id).bind(&c.account_id).bind(&c.name).bind(&c.kind).bind(&c.scene)
        .bind(c.cost_fen).bind(&c.ticket).bind(&c.qr_url).bind(c.expires_at).bind(c.created_at).bind(&c.staff_id)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A tenant's channels, newest first.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<Channel>, StoreError> {
    let sql =
        format!("SELECT {COLUMNS} FROM channels WHERE tenant_id = $1 ORDER BY created_at DESC, id");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// One of a tenant's channels.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<Channel, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// What a channel did.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Stats {
    /// Scans of its code: follows through it and scans by existing followers.
    pub scans: i64,
    /// Follows through its code.
    pub new_follows: i64,
    /// Fans first brought by it who have since unfollowed.
    pub unfollows: i64,
    /// Fans who followed through it at least 7 days ago and did not unfollow within 7 days.
    pub retained_7d: i64,
    /// Fans who followed through it at least 30 days ago and did not unfollow within 30 days.
    pub retained_30d: i64,
    /// Fans first brought by it who still follow and interacted in the last 30 days.
    pub active: i64,
    /// Fans first brought by it (first-touch attribution).
    pub attributed: i64,
}

/// The figures of a channel at `now` (Unix ms).
pub async fn stats(
    store: &Store,
    tenant: &TenantId,
    c: &Channel,
    now: i64,
) -> Result<Stats, StoreError> {
    const DAY: i64 = 86_400_000;
    let retained = "SELECT COUNT(DISTINCT f.customer_id) FROM follow_history f
         WHERE f.tenant_id = $1 AND f.scene = $2 AND f.action = 'follow' AND f.at <= $3 - $4
           AND NOT EXISTS (SELECT 1 FROM follow_history u WHERE u.customer_id = f.customer_id
                           AND u.action = 'unfollow' AND u.at > f.at AND u.at <= f.at + $4)";
    let sql = format!(
        "SELECT
           (SELECT COUNT(*) FROM wechat_inbound WHERE account_id = $5 AND
              ((event = 'subscribe' AND event_key = $6) OR (event = 'SCAN' AND event_key = $2))) AS scans,
           (SELECT COUNT(*) FROM follow_history WHERE tenant_id = $1 AND scene = $2 AND action = 'follow') AS new_follows,
           (SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND first_scene = $2 AND NOT following AND unfollowed_at IS NOT NULL) AS unfollows,
           ({retained}) AS retained_7d,
           ({}) AS retained_30d,
           (SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND first_scene = $2 AND following AND last_interaction_at > $3 - $7) AS active,
           (SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND first_scene = $2) AS attributed",
        retained.replace("$4", "$7")
    );
    Ok(on_pool!(store, p => sqlx::query_as(&sql)
        .bind(tenant.as_str()).bind(&c.scene).bind(now).bind(7 * DAY).bind(&c.account_id)
        .bind(format!("qrscene_{}", c.scene)).bind(30 * DAY).fetch_one(p).await)?)
}

/// Fans first brought by a channel, most recent first.
pub async fn fans(
    store: &Store,
    tenant: &TenantId,
    scene: &str,
    limit: i64,
) -> Result<Vec<crate::customers::Customer>, StoreError> {
    let sql = format!(
        "SELECT {} FROM customers WHERE tenant_id = $1 AND first_scene = $2 ORDER BY followed_at DESC, id LIMIT $3",
        crate::customers::COLUMNS
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(scene).bind(limit).fetch_all(p).await)?,
    )
}

/// A staff member's personal channels (store associates).
pub async fn of_staff(
    store: &Store,
    tenant: &TenantId,
    staff: &str,
) -> Result<Vec<Channel>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM channels WHERE tenant_id = $1 AND staff_id = $2 ORDER BY created_at, id");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(staff).fetch_all(p).await)?,
    )
}

/// What a fan gets on following through a channel.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct Welcome {
    /// The channel's own welcome message (the account's when absent).
    pub welcome_text: Option<String>,
    /// Tags as JSON.
    pub tags: String,
    /// The voucher template every fan who follows through it gets.
    pub voucher_template_id: Option<String>,
    /// The channel.
    pub channel_id: String,
}

/// Sets a channel's welcome message and tags.
pub async fn set_welcome(
    tx: &mut Tx,
    tenant: &TenantId,
    channel: &str,
    welcome_text: Option<&str>,
    tags_json: &str,
    voucher_template_id: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO channel_settings (channel_id, tenant_id, welcome_text, tags, voucher_template_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (channel_id) DO UPDATE SET welcome_text = excluded.welcome_text, tags = excluded.tags,
           voucher_template_id = excluded.voucher_template_id, updated_at = excluded.updated_at")
        .bind(channel).bind(tenant.as_str()).bind(welcome_text).bind(tags_json).bind(voucher_template_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A channel's welcome message and tags, if set.
pub async fn welcome(store: &Store, channel: &str) -> Result<Option<Welcome>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT welcome_text, tags, voucher_template_id, channel_id FROM channel_settings WHERE channel_id = $1")
        .bind(channel).fetch_optional(p).await)?)
}

/// The welcome of the channel behind a QR scene of an account, if set.
pub async fn welcome_for_scene(
    tx: &mut Tx,
    account: &str,
    scene: &str,
) -> Result<Option<Welcome>, StoreError> {
    Ok(on_tx!(tx, p => sqlx::query_as(
        "SELECT s.welcome_text, s.tags, s.voucher_template_id, s.channel_id FROM channel_settings s JOIN channels c ON c.id = s.channel_id
         WHERE c.account_id = $1 AND c.scene = $2")
        .bind(account).bind(scene).fetch_optional(p).await)?)
}

/// Channels made together in one action (e.g. a restaurant's 300 table codes).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Batch {
    /// Its id (`cb_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// A label such as `桌1–桌300`.
    pub name: String,
    /// The kind of every channel in it.
    pub kind: String,
    /// How many channels were asked for (a batch WeChat stopped midway holds fewer).
    pub count: i64,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

const BATCH_COLUMNS: &str = "id, tenant_id, name, kind, count, created_at";

/// Stores a batch (before its channels).
pub async fn insert_batch(tx: &mut Tx, b: &Batch) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO channel_batches ({BATCH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)");
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&b.id).bind(&b.tenant_id).bind(&b.name).bind(&b.kind).bind(b.count).bind(b.created_at)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Puts a channel into a batch as its `seq`-th code (the print order).
pub async fn set_batch(
    tx: &mut Tx,
    channel: &str,
    batch: &str,
    seq: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, x => sqlx::query("UPDATE channels SET batch_id = $1, batch_seq = $2 WHERE id = $3")
        .bind(batch).bind(seq).bind(channel)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One of a tenant's batches.
pub async fn get_batch(store: &Store, tenant: &TenantId, id: &str) -> Result<Batch, StoreError> {
    let sql =
        format!("SELECT {BATCH_COLUMNS} FROM channel_batches WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// A tenant's batches, newest first.
pub async fn list_batches(
    store: &Store,
    tenant: &TenantId,
    limit: i64,
) -> Result<Vec<Batch>, StoreError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM channel_batches WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(limit).fetch_all(p).await)?,
    )
}

/// The channels of a tenant's batch in print order.
pub async fn of_batch(
    store: &Store,
    tenant: &TenantId,
    batch: &str,
) -> Result<Vec<Channel>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM channels WHERE tenant_id = $1 AND batch_id = $2 ORDER BY batch_seq, id"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(batch).fetch_all(p).await)?,
    )
}
