//! Customer profile rows and what happened to them (follows, scans, locations). Identities,
//! merges and tags live in [`crate::profiles`].

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

/// One customer row of a tenant (one member of a profile group), unless erased.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<Customer, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL"
    );
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
        "SELECT {COLUMNS} FROM customers WHERE tenant_id = $1 AND canonical_id = id AND erased_at IS NULL
         ORDER BY (last_interaction_at IS NULL), last_interaction_at DESC, created_at DESC, id LIMIT $2 OFFSET $3"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(limit).bind(offset).fetch_all(p).await)?,
    )
}

/// `(customers, following)` of a tenant.
pub async fn counts(store: &Store, tenant: &TenantId) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN following THEN 1 ELSE 0 END), 0) FROM customers WHERE tenant_id = $1 AND canonical_id = id AND erased_at IS NULL")
        .bind(tenant.as_str()).fetch_one(p).await)?)
}

/// A profile's follow history across its group, newest first.
pub async fn follow_history(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<FollowChange>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT account_id, action, scene, source, at FROM follow_history
         WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
         ORDER BY at DESC, id DESC")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?)
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

/// What a fan did, as [`record_fan_events`] writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanAction<'a> {
    /// Followed, through a QR scene or not.
    Follow(Option<&'a str>),
    /// Unfollowed.
    Unfollow,
    /// Scanned a code while following.
    Scan(&'a str),
}

/// One fan event of [`record_fan_events`].
#[derive(Debug, Clone, Copy)]
pub struct FanEvent<'a> {
    /// The profile.
    pub customer: &'a str,
    /// The Official Account.
    pub account: &'a str,
    /// What happened.
    pub action: FanAction<'a>,
    /// When, Unix ms.
    pub at: i64,
}

/// Picks one kind of [`FanAction`], yielding its scene (if any).
type ScenePick = fn(&FanAction) -> Option<Option<String>>;

/// Many fans' follows, unfollows and scans, each profile at most once: what
/// [`record_follow`], [`record_scan`] and [`touch`] do for each, in a few statements for all.
pub async fn record_fan_events(
    tx: &mut Tx,
    tenant: &TenantId,
    events: &[FanEvent<'_>],
    source: &str,
    now: i64,
) -> Result<(), StoreError> {
    const LATEST: &str = "last_interaction_at = CASE WHEN customers.last_interaction_at IS NULL OR customers.last_interaction_at < v.at THEN v.at ELSE customers.last_interaction_at END";
    let follow_sql = format!(
        "following = TRUE, followed_at = v.at, updated_at = $2, first_scene = COALESCE(customers.first_scene, v.scene),
         last_scene = COALESCE(v.scene, customers.last_scene), {LATEST}"
    );
    let scan_sql = format!("last_scene = v.scene, updated_at = $2, {LATEST}");
    let kinds: [(ScenePick, &str); 3] = [
        (
            |a| match a {
                FanAction::Follow(s) => Some(s.map(str::to_owned)),
                _ => None,
            },
            &follow_sql,
        ),
        (
            |a| matches!(a, FanAction::Unfollow).then_some(None),
            "following = FALSE, unfollowed_at = v.at, updated_at = $2",
        ),
        (
            |a| match a {
                FanAction::Scan(s) => Some(Some((*s).to_owned())),
                _ => None,
            },
            &scan_sql,
        ),
    ];
    let rows_of = crate::db::JsonRows::of(tx);
    for (pick, set) in kinds {
        let rows: Vec<serde_json::Value> = events
            .iter()
            .filter_map(|e| {
                pick(&e.action).map(|scene| serde_json::json!([e.customer, e.at, scene]))
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let sql = format!(
            "UPDATE customers SET {set} FROM ({}) AS v WHERE customers.id = v.id",
            rows_of.select(1, &[("id", "text"), ("at", "bigint"), ("scene", "text")])
        );
        let json = serde_json::Value::Array(rows).to_string();
        on_tx!(tx, c => sqlx::query(&sql).bind(&json).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
    let history: Vec<serde_json::Value> = events
        .iter()
        .filter_map(|e| {
            let (action, scene) = match e.action {
                FanAction::Follow(scene) => ("follow", scene),
                FanAction::Unfollow => ("unfollow", None),
                FanAction::Scan(_) => return None,
            };
            Some(serde_json::json!([
                e.customer, e.account, action, scene, e.at
            ]))
        })
        .collect();
    if !history.is_empty() {
        let sql = format!(
            "INSERT INTO follow_history (customer_id, account_id, action, scene, at, tenant_id, source)
             SELECT r.*, $2, $3 FROM ({}) AS r",
            rows_of.select(
                1,
                &[("customer_id", "text"), ("account_id", "text"), ("action", "text"), ("scene", "text"), ("at", "bigint")]
            )
        );
        let json = serde_json::Value::Array(history).to_string();
        on_tx!(tx, c => sqlx::query(&sql).bind(&json).bind(tenant.as_str()).bind(source)
            .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    }
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

/// The rows of a live profile's group, the live one first, then oldest first.
pub async fn group_rows(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<Customer>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE tenant_id = $1 AND canonical_id = $2 AND erased_at IS NULL
         ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(root).fetch_all(p).await)?,
    )
}

/// Live customers with a tag, most recently active first.
pub async fn with_tag(
    store: &Store,
    tenant: &TenantId,
    tag: &str,
    limit: i64,
) -> Result<Vec<Customer>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE tenant_id = $1 AND canonical_id = id AND erased_at IS NULL
           AND id IN (SELECT c.canonical_id FROM customer_tags t JOIN customers c ON c.id = t.customer_id WHERE t.tenant_id = $1 AND t.tag = $2)
         ORDER BY (last_interaction_at IS NULL), last_interaction_at DESC, created_at DESC, id LIMIT $3"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(tag).bind(limit).fetch_all(p).await)?,
    )
}

/// Live profiles that follow and interacted since `since` (active fans).
pub async fn active_since(store: &Store, tenant: &TenantId, since: i64) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(DISTINCT canonical_id) FROM customers
         WHERE tenant_id = $1 AND erased_at IS NULL AND following AND last_interaction_at >= $2")
        .bind(tenant.as_str()).bind(since).fetch_one(p).await)?)
}
