//! Customer profiles and the identities that point at them. A WeChat fan's profile is found
//! by its openid (per Official Account) and, when WeChat tells it, its unionid.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A customer profile.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Customer {
    /// Its id (`cu_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Whether the customer follows an Official Account of the tenant.
    pub following: bool,
    /// Last follow time, Unix ms.
    pub followed_at: Option<i64>,
    /// Last unfollow time, Unix ms.
    pub unfollowed_at: Option<i64>,
    /// The QR scene of the first follow or scan (first-touch channel).
    pub first_scene: Option<String>,
    /// The QR scene of the latest follow or scan (last-touch channel).
    pub last_scene: Option<String>,
    /// Last message, click or scan, Unix ms.
    pub last_interaction_at: Option<i64>,
    /// Last reported latitude.
    pub last_latitude: Option<f64>,
    /// Last reported longitude.
    pub last_longitude: Option<f64>,
    /// When the last location was reported, Unix ms.
    pub last_location_at: Option<i64>,
    /// WeChat nickname, when known.
    pub nickname: Option<String>,
    /// First contact, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// An identifier that points at a customer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Identity {
    /// `openid`, `unionid`, `phone`, …
    pub kind: String,
    /// The value.
    pub value: String,
    /// For openids, the AppID they belong to.
    pub scope: Option<String>,
    /// Where siyu learned it (`wechat.callback`, `wechat.sync`, …).
    pub source: String,
    /// When, Unix ms.
    pub created_at: i64,
}

/// An identity to attach: `kind:value`, where it is scoped, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct IdentityRef<'a> {
    /// `openid`, `unionid`, …
    pub kind: &'a str,
    /// The value.
    pub value: &'a str,
    /// For openids, the AppID.
    pub scope: Option<&'a str>,
    /// Where siyu learned it.
    pub source: &'a str,
}

/// One entry of a customer's follow history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FollowChange {
    /// The Official Account.
    pub account_id: String,
    /// `follow` or `unfollow`.
    pub action: String,
    /// QR scene of a follow, if any.
    pub scene: Option<String>,
    /// `wechat.callback` or `wechat.sync`.
    pub source: String,
    /// When, Unix ms.
    pub at: i64,
}

pub(crate) const COLUMNS: &str = "id, tenant_id, following, followed_at, unfollowed_at, first_scene, last_scene, last_interaction_at, last_latitude, last_longitude, last_location_at, nickname, created_at, updated_at";

/// The customer an identity points at.
pub async fn find_by_identity(
    store: &Store,
    tenant: &TenantId,
    kind: &str,
    value: &str,
) -> Result<Option<Customer>, StoreError> {
    let sql = format!(
        "SELECT {} FROM customers c JOIN customer_identities i ON i.customer_id = c.id
         WHERE i.tenant_id = $1 AND i.kind = $2 AND i.value = $3",
        COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(kind).bind(value).fetch_optional(p).await)?,
    )
}

/// One customer of a tenant.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<Customer, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// A tenant's customers: those who interacted, most recent first, then the rest, newest first.
pub async fn list(
    store: &Store,
    tenant: &TenantId,
    limit: i64,
    offset: i64,
) -> Result<Vec<Customer>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE tenant_id = $1
         ORDER BY (last_interaction_at IS NULL), last_interaction_at DESC, created_at DESC, id LIMIT $2 OFFSET $3"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(limit).bind(offset).fetch_all(p).await)?,
    )
}

/// `(customers, following)` of a tenant.
pub async fn counts(store: &Store, tenant: &TenantId) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN following THEN 1 ELSE 0 END), 0) FROM customers WHERE tenant_id = $1")
        .bind(tenant.as_str()).fetch_one(p).await)?)
}

/// A customer's identities, oldest first.
pub async fn identities(
    store: &Store,
    tenant: &TenantId,
    id: &str,
) -> Result<Vec<Identity>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT kind, value, scope, source, created_at FROM customer_identities
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY created_at, kind, value")
        .bind(tenant.as_str()).bind(id).fetch_all(p).await)?)
}

/// A customer's follow history, newest first.
pub async fn follow_history(
    store: &Store,
    tenant: &TenantId,
    id: &str,
) -> Result<Vec<FollowChange>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT account_id, action, scene, source, at FROM follow_history
         WHERE tenant_id = $1 AND customer_id = $2 ORDER BY at DESC, id DESC")
        .bind(tenant.as_str()).bind(id).fetch_all(p).await)?)
}

/// The customer behind `kind:value`, created (with that identity) on first contact.
/// Returns the id and whether it was created. Safe under concurrency: the identity's primary
/// key decides which of two racing creators wins, and the loser's row is removed.
pub async fn ensure(
    tx: &mut Tx,
    tenant: &TenantId,
    new_id: &str,
    ident: &IdentityRef<'_>,
    now: i64,
) -> Result<(String, bool), StoreError> {
    // Most callbacks come from fans siyu already knows: look first, create only when missing.
    let known: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3")
        .bind(tenant.as_str()).bind(ident.kind).bind(ident.value).fetch_optional(&mut *c).await)?;
    if let Some(id) = known {
        return Ok((id, false));
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO customers (id, tenant_id, created_at, updated_at) VALUES ($1, $2, $3, $3)")
        .bind(new_id).bind(tenant.as_str()).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO customer_identities (tenant_id, kind, value, customer_id, scope, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, kind, value) DO NOTHING")
        .bind(tenant.as_str()).bind(ident.kind).bind(ident.value).bind(new_id).bind(ident.scope).bind(ident.source).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let owner: String = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT customer_id FROM customer_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3")
        .bind(tenant.as_str()).bind(ident.kind).bind(ident.value).fetch_one(&mut *c).await)?;
    if owner != new_id {
        on_tx!(tx, c => sqlx::query("DELETE FROM customers WHERE id = $1").bind(new_id).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    let created = owner == new_id;
    Ok((owner, created))
}

/// Adds an identity to an existing customer unless some customer already holds it.
pub async fn add_identity(
    tx: &mut Tx,
    tenant: &TenantId,
    customer: &str,
    ident: &IdentityRef<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO customer_identities (tenant_id, kind, value, customer_id, scope, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, kind, value) DO NOTHING")
        .bind(tenant.as_str()).bind(ident.kind).bind(ident.value).bind(customer).bind(ident.scope).bind(ident.source).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records an interaction (message, click, scan) at `at`.
pub async fn touch(tx: &mut Tx, customer: &str, at: i64, now: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE customers SET last_interaction_at = CASE WHEN last_interaction_at IS NULL OR last_interaction_at < $2 THEN $2 ELSE last_interaction_at END,
                              updated_at = $3 WHERE id = $1")
        .bind(customer).bind(at).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A follow or unfollow: updates the profile and appends to its history.
#[expect(
    clippy::too_many_arguments,
    reason = "one row of follow history has this many facts"
)]
pub async fn record_follow(
    tx: &mut Tx,
    tenant: &TenantId,
    customer: &str,
    account: &str,
    following: bool,
    scene: Option<&str>,
    source: &str,
    at: i64,
    now: i64,
) -> Result<(), StoreError> {
    let sql = if following {
        "UPDATE customers SET following = TRUE, followed_at = $2, updated_at = $4,
                first_scene = COALESCE(first_scene, $3), last_scene = COALESCE($3, last_scene) WHERE id = $1"
    } else {
        "UPDATE customers SET following = FALSE, unfollowed_at = $2, updated_at = $4, last_scene = COALESCE(last_scene, $3) WHERE id = $1"
    };
    on_tx!(tx, c => sqlx::query(sql).bind(customer).bind(at).bind(scene).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO follow_history (tenant_id, customer_id, account_id, action, scene, source, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tenant.as_str()).bind(customer).bind(account).bind(if following { "follow" } else { "unfollow" })
        .bind(scene).bind(source).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A scan by an existing follower: the latest touchpoint (re-engagement); first-touch attribution stays with how the fan came.
pub async fn record_scan(
    tx: &mut Tx,
    customer: &str,
    scene: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE customers SET last_scene = $2, updated_at = $3 WHERE id = $1")
        .bind(customer).bind(scene).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The latest reported location.
pub async fn record_location(
    tx: &mut Tx,
    customer: &str,
    lat: f64,
    lon: f64,
    at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE customers SET last_latitude = $2, last_longitude = $3, last_location_at = $4, updated_at = $4 WHERE id = $1")
        .bind(customer).bind(lat).bind(lon).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A follow learned from WeChat's follower list: recorded only if the profile does not already
/// show the customer following, so re-running a sync changes nothing.
pub async fn record_synced_follow(
    tx: &mut Tx,
    tenant: &TenantId,
    customer: &str,
    account: &str,
    scene: Option<&str>,
    at: i64,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE customers SET following = TRUE, followed_at = $2, updated_at = $4,
                first_scene = COALESCE(first_scene, $3), last_scene = COALESCE(last_scene, $3)
         WHERE id = $1 AND following = FALSE")
        .bind(customer).bind(at).bind(scene).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if n == 1 {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO follow_history (tenant_id, customer_id, account_id, action, scene, source, at) VALUES ($1, $2, $3, 'follow', $4, 'wechat.sync', $5)")
            .bind(tenant.as_str()).bind(customer).bind(account).bind(scene).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    Ok(n == 1)
}
