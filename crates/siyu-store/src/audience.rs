//! What the audience index is built from: the rows of live profiles read in bulk (a whole tenant,
//! or the groups of some live profiles), and the change feed (`audience_changes`, written by
//! triggers) that tells each node which profiles to read again.

use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Backend, Store, StoreError};

/// Which profiles to read: every one of the tenant's, or the groups of these live profile ids.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The whole tenant.
    All,
    /// The groups whose live profile is one of these.
    Roots(&'a [String]),
}

impl Scope<'_> {
    fn roots_json(&self) -> String {
        match self {
            Scope::All => "[]".to_owned(),
            Scope::Roots(r) => serde_json::to_string(r).unwrap_or_else(|_| "[]".into()),
        }
    }

    /// `AND <col> IN (ids of rows in the scope)`, with the roots bound as `$2` (JSON array).
    fn filter(&self, backend: Backend, col: &str) -> String {
        match (self, backend) {
            (Scope::All, _) => String::new(),
            (Scope::Roots(_), Backend::Sqlite) => format!(
                " AND {col} IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id IN (SELECT value FROM json_each($2)))"
            ),
            (Scope::Roots(_), Backend::Postgres) => format!(
                " AND {col} IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id IN (SELECT jsonb_array_elements_text($2::jsonb)))"
            ),
        }
    }
}

/// One customer row as the index needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    /// Row id.
    pub id: String,
    /// Its live profile.
    pub canonical_id: Option<String>,
    /// Follows now.
    pub following: bool,
    /// Last follow, Unix ms.
    pub followed_at: Option<i64>,
    /// First-touch scene.
    pub first_scene: Option<String>,
    /// Last-touch scene.
    pub last_scene: Option<String>,
    /// Last interaction, Unix ms.
    pub last_interaction_at: Option<i64>,
    /// Attribute JSON.
    pub attributes: String,
    /// First contact, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Erased.
    pub erased: bool,
}

/// Customer rows in scope.
pub async fn rows(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<Row>, StoreError> {
    let sql = format!(
        "SELECT id, canonical_id, following, followed_at, first_scene, last_scene, last_interaction_at, attributes,
                created_at, updated_at, (erased_at IS NOT NULL) AS erased
         FROM customers WHERE tenant_id = $1 AND (LENGTH($2) > 0){}",
        scope.filter(store.backend(), "id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// `(customer row, tag)` in scope.
pub async fn tags(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = format!(
        "SELECT customer_id, tag FROM customer_tags WHERE tenant_id = $1 AND (LENGTH($2) > 0){}",
        scope.filter(store.backend(), "customer_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// One order that counts (not closed, refunding or unpaid).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    /// Customer row.
    pub customer_id: String,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Product code.
    pub sku: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

/// Orders in scope that count.
pub async fn orders(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<OrderRow>, StoreError> {
    let sql = format!(
        "SELECT customer_id, amount_fen, sku, COALESCE(ordered_at, paid_at, imported_at) AS at FROM customer_orders
         WHERE tenant_id = $1 AND (LENGTH($2) > 0) AND (state IS NULL OR state NOT IN ('closed', 'refunding', 'pending_payment')){}",
        scope.filter(store.backend(), "customer_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// `(customer row, card id, level)` in scope.
pub async fn cards(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<(String, String, Option<String>)>, StoreError> {
    let sql = format!(
        "SELECT customer_id, id, level FROM member_cards WHERE tenant_id = $1 AND (LENGTH($2) > 0){}",
        scope.filter(store.backend(), "customer_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// A ledger row with its card.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardLedgerRow {
    /// The card.
    pub card_id: String,
    /// The entry.
    #[sqlx(flatten)]
    pub row: crate::membership::LedgerRow,
}

/// Ledger rows of the cards in scope, card by card in ledger order.
pub async fn ledger(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<CardLedgerRow>, StoreError> {
    let sql = format!(
        "SELECT card_id, id, kind, reason, points, ref, lot, expires_at, note, at FROM points_ledger
         WHERE tenant_id = $1 AND (LENGTH($2) > 0)
           AND card_id IN (SELECT id FROM member_cards WHERE tenant_id = $1{}) ORDER BY card_id, id",
        scope.filter(store.backend(), "customer_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// `(live profile, identity kind)` in scope.
pub async fn identity_kinds(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<(String, String)>, StoreError> {
    let sql = format!(
        "SELECT DISTINCT holder_id, kind FROM profile_identities WHERE tenant_id = $1 AND (LENGTH($2) > 0){}",
        scope.filter(store.backend(), "holder_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// `(customer row, purpose, granted, at)` in scope.
pub async fn consents(
    store: &Store,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<Vec<(String, String, bool, i64)>, StoreError> {
    let sql = format!(
        "SELECT customer_id, purpose, granted, at FROM customer_consents WHERE tenant_id = $1 AND (LENGTH($2) > 0){}",
        scope.filter(store.backend(), "customer_id")
    );
    let roots = scope.roots_json();
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(&roots).fetch_all(p).await)?,
    )
}

/// Live profile ids of these customer rows (`(row, live profile or None when erased/unknown)`).
pub async fn roots_of(
    store: &Store,
    tenant: &TenantId,
    ids: &[String],
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let json = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT id, CASE WHEN erased_at IS NULL THEN canonical_id END FROM customers
             WHERE tenant_id = $1 AND id IN (SELECT value FROM json_each($2))"
        }
        Backend::Postgres => {
            "SELECT id, CASE WHEN erased_at IS NULL THEN canonical_id END FROM customers
             WHERE tenant_id = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb))"
        }
    };
    Ok(
        on_pool!(store, p => sqlx::query_as(sql).bind(tenant.as_str()).bind(&json).fetch_all(p).await)?,
    )
}

/// Where a node stands in a tenant's change feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Last change read.
    pub seq: i64,
    /// PostgreSQL: the oldest transaction still running at the last read; its changes (and any
    /// later transaction's) are read again, since they may commit with a lower `seq`.
    pub xmin: Option<i64>,
}

/// The feed's position now (read before a full build, so changes made during it are replayed).
pub async fn head(store: &Store, tenant: &TenantId) -> Result<Cursor, StoreError> {
    match store {
        Store::Sqlite(p, _) => {
            let seq: Option<i64> =
                sqlx::query_scalar("SELECT MAX(seq) FROM audience_changes WHERE tenant_id = $1")
                    .bind(tenant.as_str())
                    .fetch_one(p)
                    .await?;
            Ok(Cursor {
                seq: seq.unwrap_or(0),
                xmin: None,
            })
        }
        Store::Postgres(p) => {
            let (seq, xmin): (Option<i64>, i64) = sqlx::query_as(
                "SELECT (SELECT MAX(seq) FROM audience_changes WHERE tenant_id = $1),
                        pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
            )
            .bind(tenant.as_str())
            .fetch_one(p)
            .await?;
            Ok(Cursor {
                seq: seq.unwrap_or(0),
                xmin: Some(xmin),
            })
        }
    }
}

/// Customer rows changed after `cursor`, and the new cursor.
pub async fn changes_since(
    store: &Store,
    tenant: &TenantId,
    cursor: Cursor,
) -> Result<(Vec<String>, Cursor), StoreError> {
    match store {
        Store::Sqlite(p, _) => {
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT seq, customer_id FROM audience_changes WHERE tenant_id = $1 AND seq > $2 ORDER BY seq",
            )
            .bind(tenant.as_str())
            .bind(cursor.seq)
            .fetch_all(p)
            .await?;
            let seq = rows.last().map_or(cursor.seq, |r| r.0);
            Ok((
                rows.into_iter().map(|r| r.1).collect(),
                Cursor { seq, xmin: None },
            ))
        }
        Store::Postgres(p) => {
            let mut tx = p.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
            let xmin: i64 =
                sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
                    .fetch_one(&mut *tx)
                    .await?;
            let rows: Vec<(i64, String)> = sqlx::query_as(
                "SELECT seq, customer_id FROM audience_changes WHERE tenant_id = $1 AND (seq > $2 OR txid >= $3) ORDER BY seq",
            )
            .bind(tenant.as_str())
            .bind(cursor.seq)
            .bind(cursor.xmin.unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await?;
            tx.commit().await?;
            let seq = rows
                .iter()
                .map(|r| r.0)
                .max()
                .unwrap_or(cursor.seq)
                .max(cursor.seq);
            Ok((
                rows.into_iter().map(|r| r.1).collect(),
                Cursor {
                    seq,
                    xmin: Some(xmin),
                },
            ))
        }
    }
}

/// Deletes changes older than `before` (Unix ms), keeping each tenant's newest, and records
/// per tenant the highest change deleted ([`pruned_upto`]). Returns how many were deleted.
pub async fn prune(store: &Store, before: i64) -> Result<u64, StoreError> {
    let doomed = "FROM audience_changes c WHERE c.at < $1
           AND c.seq < (SELECT MAX(m.seq) FROM audience_changes m WHERE m.tenant_id = c.tenant_id)";
    let upsert = match store.backend() {
        Backend::Sqlite => "ON CONFLICT (tenant_id) DO UPDATE SET upto = MAX(audience_pruned.upto, excluded.upto)",
        Backend::Postgres => "ON CONFLICT (tenant_id) DO UPDATE SET upto = GREATEST(audience_pruned.upto, excluded.upto)",
    };
    let mark = format!(
        "INSERT INTO audience_pruned (tenant_id, upto) SELECT c.tenant_id, MAX(c.seq) {doomed} GROUP BY c.tenant_id {upsert}"
    );
    let delete = format!("DELETE FROM audience_changes WHERE seq IN (SELECT c.seq {doomed})");
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(&mark).bind(before).execute(c).await.map(|r| r.rows_affected()))?;
    let n = on_tx!(&mut tx, c => sqlx::query(&delete).bind(before).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

/// The highest change of a tenant deleted so far (0 when none).
pub async fn pruned_upto(store: &Store, tenant: &TenantId) -> Result<i64, StoreError> {
    let upto: Option<i64> = on_pool!(store, p => sqlx::query_scalar("SELECT upto FROM audience_pruned WHERE tenant_id = $1")
        .bind(tenant.as_str()).fetch_optional(p).await)?;
    Ok(upto.unwrap_or(0))
}
