//! Saved segments and pushes: who gets a message, what it was, and what it did.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A saved segment.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Segment {
    /// Its id (`sg_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Name (unique per tenant).
    pub name: String,
    /// The query, in its canonical text form.
    pub query: String,
    /// The WeChat user tag kept in sync with its members, once a mass send needed one.
    pub wechat_tag_id: Option<i64>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Changed, Unix ms.
    pub updated_at: i64,
}

const SEGMENT_COLUMNS: &str = "id, tenant_id, name, query, wechat_tag_id, created_at, updated_at";

/// Saves a new segment; a name already used is `Conflict`.
pub async fn insert_segment(tx: &mut Tx, s: &Segment) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO segments ({SEGMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
    on_tx!(tx, c => sqlx::query(&sql).bind(&s.id).bind(&s.tenant_id).bind(&s.name).bind(&s.query)
        .bind(s.wechat_tag_id).bind(s.created_at).bind(s.updated_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Changes a segment's name and query.
pub async fn update_segment(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &str,
    name: &str,
    query: &str,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE segments SET name = $3, query = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(id).bind(name).bind(query).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A tenant's segments by name.
pub async fn segments(store: &Store, tenant: &TenantId) -> Result<Vec<Segment>, StoreError> {
    let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE tenant_id = $1 ORDER BY name");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// One of a tenant's segments.
pub async fn segment(store: &Store, tenant: &TenantId, id: &str) -> Result<Segment, StoreError> {
    let sql = format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// Records the WeChat tag of a segment.
pub async fn set_segment_tag(store: &Store, id: &str, tag_id: i64) -> Result<(), StoreError> {
    on_pool!(store, p => sqlx::query("UPDATE segments SET wechat_tag_id = $2 WHERE id = $1")
        .bind(id).bind(tag_id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The openids carrying a segment's WeChat tag.
pub async fn tagged(store: &Store, segment: &str) -> Result<Vec<String>, StoreError> {
    Ok(
        on_pool!(store, p => sqlx::query_scalar("SELECT openid FROM segment_wechat_members WHERE segment_id = $1 ORDER BY openid")
        .bind(segment).fetch_all(p).await)?,
    )
}

/// Records that these openids now carry (or no longer carry) a segment's WeChat tag.
pub async fn set_tagged(
    store: &Store,
    segment: &str,
    openids: &[String],
    tagged: bool,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    for o in openids {
        let sql = if tagged {
            "INSERT INTO segment_wechat_members (segment_id, openid) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM segment_wechat_members WHERE segment_id = $1 AND openid = $2"
        };
        on_tx!(&mut tx, c => sqlx::query(sql).bind(segment).bind(o).execute(c).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

/// A push.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Push {
    /// Its id (`pu_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// The Official Account it goes out through.
    pub account_id: String,
    /// The segment it is for.
    pub segment_id: Option<String>,
    /// Or a WeChat tag's fans.
    pub wechat_tag_id: Option<i64>,
    /// Content (JSON).
    pub content: String,
    /// `scheduled`, `sending`, `submitted`, `sent`, `failed`, `cancelled`.
    pub status: String,
    /// `mass` or `custom`, once chosen.
    pub mode: Option<String>,
    /// When it goes out, Unix ms.
    pub send_at: i64,
    /// Fans it was for, fixed when it started.
    pub audience_size: Option<i64>,
    /// WeChat's mass-send msg_id.
    pub msg_id: Option<i64>,
    /// MASSSENDJOBFINISH TotalCount.
    pub total_count: Option<i64>,
    /// Delivered (MASSSENDJOBFINISH SentCount, or custom messages accepted).
    pub sent_count: Option<i64>,
    /// Failed deliveries.
    pub error_count: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Started, Unix ms.
    pub started_at: Option<i64>,
    /// Delivered (submission accepted / last message sent), Unix ms.
    pub delivered_at: Option<i64>,
    /// Finished (result known), Unix ms.
    pub finished_at: Option<i64>,
}

const PUSH_COLUMNS: &str = "id, tenant_id, account_id, segment_id, wechat_tag_id, content, status, mode, send_at, audience_size, msg_id, total_count, sent_count, error_count, error, created_by, created_at, started_at, delivered_at, finished_at";

/// Stores a new push.
pub async fn insert_push(tx: &mut Tx, p: &Push) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO pushes ({PUSH_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&p.id).bind(&p.tenant_id).bind(&p.account_id).bind(&p.segment_id)
        .bind(p.wechat_tag_id).bind(&p.content).bind(&p.status).bind(&p.mode).bind(p.send_at).bind(p.audience_size)
        .bind(p.msg_id).bind(p.total_count).bind(p.sent_count).bind(p.error_count).bind(&p.error).bind(&p.created_by)
        .bind(p.created_at).bind(p.started_at).bind(p.delivered_at).bind(p.finished_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One of a tenant's pushes.
pub async fn push(store: &Store, tenant: &TenantId, id: &str) -> Result<Push, StoreError> {
    let sql = format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// A push by id, locked for the rest of the transaction.
pub async fn lock_push(tx: &mut Tx, id: &str) -> Result<Push, StoreError> {
    let lock = if matches!(tx, Tx::Postgres(_)) {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql = format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE id = $1{lock}");
    Ok(on_tx!(tx, c => sqlx::query_as(&sql).bind(id).fetch_one(c).await)?)
}

/// A tenant's pushes, newest first.
pub async fn pushes(store: &Store, tenant: &TenantId, limit: i64) -> Result<Vec<Push>, StoreError> {
    let sql = format!(
        "SELECT {PUSH_COLUMNS} FROM pushes WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT $2"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(limit).fetch_all(p).await)?,
    )
}

/// The push of a mass send, by account and WeChat msg_id.
pub async fn push_by_msg(
    store: &Store,
    account: &str,
    msg_id: i64,
) -> Result<Option<Push>, StoreError> {
    let sql = format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE account_id = $1 AND msg_id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(account).bind(msg_id).fetch_optional(p).await)?,
    )
}

/// Sets a push's status (and, when given, its mode, audience, msg id, times, counts, error).
#[derive(Debug, Clone, Default)]
pub struct PushUpdate<'a> {
    /// New status.
    pub status: Option<&'a str>,
    /// Mode.
    pub mode: Option<&'a str>,
    /// Audience size.
    pub audience_size: Option<i64>,
    /// msg_id.
    pub msg_id: Option<i64>,
    /// TotalCount.
    pub total_count: Option<i64>,
    /// Delivered.
    pub sent_count: Option<i64>,
    /// Failed.
    pub error_count: Option<i64>,
    /// Error.
    pub error: Option<&'a str>,
    /// Started.
    pub started_at: Option<i64>,
    /// Delivered at.
    pub delivered_at: Option<i64>,
    /// Finished at.
    pub finished_at: Option<i64>,
    /// WeChat tag used.
    pub wechat_tag_id: Option<i64>,
}

/// Applies `u` to push `id` (fields left `None` keep their value).
pub async fn update_push(tx: &mut Tx, id: &str, u: &PushUpdate<'_>) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE pushes SET status = COALESCE($2, status), mode = COALESCE($3, mode), audience_size = COALESCE($4, audience_size),
            msg_id = COALESCE($5, msg_id), total_count = COALESCE($6, total_count), sent_count = COALESCE($7, sent_count),
            error_count = COALESCE($8, error_count), error = COALESCE($9, error), started_at = COALESCE($10, started_at),
            delivered_at = COALESCE($11, delivered_at), finished_at = COALESCE($12, finished_at),
            wechat_tag_id = COALESCE($13, wechat_tag_id)
         WHERE id = $1")
        .bind(id).bind(u.status).bind(u.mode).bind(u.audience_size).bind(u.msg_id).bind(u.total_count)
        .bind(u.sent_count).bind(u.error_count).bind(u.error).bind(u.started_at).bind(u.delivered_at)
        .bind(u.finished_at).bind(u.wechat_tag_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Mass sends of an account accepted since `since` (Unix ms).
pub async fn mass_sends_since(store: &Store, account: &str, since: i64) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM pushes WHERE account_id = $1 AND mode = 'mass' AND msg_id IS NOT NULL AND delivered_at >= $2")
        .bind(account).bind(since).fetch_one(p).await)?)
}

/// One recipient of a push.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Recipient {
    /// Live profile.
    pub customer_id: String,
    /// OpenID on the push's account.
    pub openid: String,
    /// The recipient's tracked-link token.
    pub token: String,
    /// `pending`, `claimed`, `sent`, `failed`.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Sent, Unix ms.
    pub sent_at: Option<i64>,
}

/// Adds a recipient (nothing if already there).
pub async fn add_recipient(
    tx: &mut Tx,
    push: &str,
    customer: &str,
    openid: &str,
    token: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO push_recipients (push_id, customer_id, openid, token, state) VALUES ($1, $2, $3, $4, 'pending') ON CONFLICT DO NOTHING")
        .bind(push).bind(customer).bind(openid).bind(token).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A push's recipients in a state (all when `None`).
pub async fn recipients(
    store: &Store,
    push: &str,
    state: Option<&str>,
) -> Result<Vec<Recipient>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT customer_id, openid, token, state, error, sent_at FROM push_recipients
         WHERE push_id = $1 AND ($2 IS NULL OR state = $2) ORDER BY customer_id")
        .bind(push).bind(state).fetch_all(p).await)?)
}

/// Moves a recipient from `from` to `to`; false if it was not in `from` (someone else has it).
pub async fn move_recipient(
    store: &Store,
    push: &str,
    customer: &str,
    from: &str,
    to: &str,
    error: Option<&str>,
    at: Option<i64>,
) -> Result<bool, StoreError> {
    let n = on_pool!(store, p => sqlx::query(
        "UPDATE push_recipients SET state = $4, error = COALESCE($5, error), sent_at = COALESCE($6, sent_at)
         WHERE push_id = $1 AND customer_id = $2 AND state = $3")
        .bind(push).bind(customer).bind(from).bind(to).bind(error).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Recipients per state.
pub async fn recipient_counts(store: &Store, push: &str) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT state, COUNT(*) FROM push_recipients WHERE push_id = $1 GROUP BY state ORDER BY state")
        .bind(push).fetch_all(p).await)?)
}

/// The push and recipient of a tracked-link token (`None` when unknown).
pub async fn recipient_by_token(
    store: &Store,
    token: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT push_id, customer_id FROM push_recipients WHERE token = $1")
        .bind(token).fetch_optional(p).await)?)
}

/// Records an open of a push's tracked link.
pub async fn record_click(
    store: &Store,
    push: &str,
    customer: Option<&str>,
    visitor: &str,
    at: i64,
) -> Result<(), StoreError> {
    on_pool!(store, p => sqlx::query("INSERT INTO push_clicks (push_id, customer_id, visitor, at) VALUES ($1, $2, $3, $4)")
        .bind(push).bind(customer).bind(visitor).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// `(opens, distinct readers)` of a push's links.
pub async fn clicks(store: &Store, push: &str) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT COALESCE(customer_id, visitor)) FROM push_clicks WHERE push_id = $1")
        .bind(push).fetch_one(p).await)?)
}

/// `(orders, revenue fen)` placed by a push's recipients (their whole profiles) between `from`
/// and `to` (Unix ms).
pub async fn attributed_orders(
    store: &Store,
    push: &str,
    from: i64,
    to: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(o.amount_fen), 0) AS BIGINT) FROM customer_orders o
         JOIN customers c ON c.id = o.customer_id
         WHERE c.canonical_id IN (SELECT customer_id FROM push_recipients WHERE push_id = $1 AND state = 'sent')
           AND COALESCE(o.ordered_at, o.paid_at, o.imported_at) >= $2 AND COALESCE(o.ordered_at, o.paid_at, o.imported_at) < $3
           AND (o.state IS NULL OR o.state NOT IN ('closed', 'refunding', 'pending_payment'))")
        .bind(push).bind(from).bind(to).fetch_one(p).await)?)
}

/// Recipients (of the sent ones) who unfollowed `account` between `from` and `to` (Unix ms).
pub async fn unfollows(
    store: &Store,
    push: &str,
    account: &str,
    from: i64,
    to: i64,
) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(DISTINCT c.canonical_id) FROM follow_history h JOIN customers c ON c.id = h.customer_id
         WHERE h.account_id = $2 AND h.action = 'unfollow' AND h.at >= $3 AND h.at < $4
           AND c.canonical_id IN (SELECT customer_id FROM push_recipients WHERE push_id = $1 AND state = 'sent')")
        .bind(push).bind(account).bind(from).bind(to).fetch_one(p).await)?)
}

/// `(unfollows, follows)` on an account between `from` and `to`, and its followers now: the
/// baseline against which a push's unfollows are read.
pub async fn account_churn(
    store: &Store,
    tenant: &TenantId,
    account: &str,
    from: i64,
    to: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM follow_history WHERE tenant_id = $1 AND account_id = $2 AND action = 'unfollow' AND at >= $3 AND at < $4),
                (SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND following AND erased_at IS NULL)")
        .bind(tenant.as_str()).bind(account).bind(from).bind(to).fetch_one(p).await)?)
}

/// A push by id (any tenant: for tracked links).
pub async fn push_any(store: &Store, id: &str) -> Result<Push, StoreError> {
    let sql = format!("SELECT {PUSH_COLUMNS} FROM pushes WHERE id = $1");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await)?)
}

/// Marks every pending recipient of a mass send as sent.
pub async fn mark_all_sent(tx: &mut Tx, push: &str, now: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE push_recipients SET state = 'sent', sent_at = $2 WHERE push_id = $1 AND state = 'pending'")
        .bind(push).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a mass send's result (`MASSSENDJOBFINISH`); `error` is set when it did not succeed.
#[allow(clippy::too_many_arguments)]
pub async fn finish_mass(
    tx: &mut Tx,
    account: &str,
    msg_id: i64,
    total: i64,
    sent: i64,
    errors: i64,
    error: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE pushes SET total_count = $3, sent_count = $4, error_count = $5, error = COALESCE($6, error),
            status = CASE WHEN $6 IS NULL THEN 'sent' ELSE 'failed' END, finished_at = $7
         WHERE account_id = $1 AND msg_id = $2")
        .bind(account).bind(msg_id).bind(total).bind(sent).bind(errors).bind(error).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// `(live profile, openid, last interaction)` of these live profiles' OpenIDs on an account
/// (`app_id`), ordered by profile.
pub async fn openids(
    store: &Store,
    tenant: &TenantId,
    app_id: &str,
    roots: &[String],
) -> Result<Vec<(String, String, Option<i64>)>, StoreError> {
    let json = serde_json::to_string(roots).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let list = match store.backend() {
        crate::Backend::Sqlite => "SELECT value FROM json_each($3)",
        crate::Backend::Postgres => "SELECT jsonb_array_elements_text($3::jsonb)",
    };
    let sql = format!(
        "SELECT i.holder_id, i.value, c.last_interaction_at FROM profile_identities i
         JOIN customers c ON c.id = i.home_id
         WHERE i.tenant_id = $1 AND i.kind = 'openid' AND i.scope = $2 AND i.holder_id IN ({list})
           AND c.following AND c.erased_at IS NULL
         ORDER BY i.holder_id, COALESCE(c.last_interaction_at, 0) DESC"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(app_id).bind(&json).fetch_all(p).await)?,
    )
}
