//! Membership: the tenant's program, cards, the points ledger and level changes.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A tenant's membership program.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Program {
    /// The card's name, e.g. 小满咖啡会员卡.
    pub name: String,
    /// `points` (levels by lifetime points) or `spend` (by lifetime spend in fen).
    pub basis: String,
    /// Levels as JSON `[{"name","min"}]`.
    pub levels: String,
    /// Points per yuan spent.
    pub points_per_yuan: i64,
    /// Points for a check-in (once a day).
    pub checkin_points: i64,
    /// Points for a referred customer's purchase.
    pub referral_points: i64,
    /// Days until earned points expire; 0 keeps them.
    pub expiry_days: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// The tenant's program, if it has one.
pub async fn program(store: &Store, tenant: &TenantId) -> Result<Option<Program>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT name, basis, levels, points_per_yuan, checkin_points, referral_points, expiry_days, updated_at
         FROM membership_programs WHERE tenant_id = $1")
        .bind(tenant.as_str()).fetch_optional(p).await)?)
}

/// Creates or replaces the tenant's program.
pub async fn put_program(tx: &mut Tx, tenant: &TenantId, p: &Program) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO membership_programs (tenant_id, name, basis, levels, points_per_yuan, checkin_points, referral_points, expiry_days, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id) DO UPDATE SET name = excluded.name, basis = excluded.basis, levels = excluded.levels,
            points_per_yuan = excluded.points_per_yuan, checkin_points = excluded.checkin_points,
            referral_points = excluded.referral_points, expiry_days = excluded.expiry_days, updated_at = excluded.updated_at")
        .bind(tenant.as_str()).bind(&p.name).bind(&p.basis).bind(&p.levels).bind(p.points_per_yuan)
        .bind(p.checkin_points).bind(p.referral_points).bind(p.expiry_days).bind(p.updated_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A member card.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Card {
    /// `mc_…`.
    pub id: String,
    /// The profile it was issued to.
    pub customer_id: String,
    /// The number printed on it (also a `member_card` identity).
    pub card_number: String,
    /// Current level.
    pub level: Option<String>,
    /// Lifetime spend recorded through the card, fen.
    pub spend_fen: i64,
    /// When issued, Unix ms.
    pub issued_at: i64,
}

const CARD: &str = "id, customer_id, card_number, level, spend_fen, issued_at";

/// Issues a card unless the customer has one; returns whether it was new.
pub async fn insert_card(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &str,
    customer: &str,
    number: &str,
    level: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO member_cards (id, tenant_id, customer_id, card_number, level, issued_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, customer_id) DO NOTHING")
        .bind(id).bind(tenant.as_str()).bind(customer).bind(number).bind(level).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// The card of any of the given profile rows (a group).
pub async fn card_of_group(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Option<Card>, StoreError> {
    let sql = format!(
        "SELECT {CARD} FROM member_cards WHERE tenant_id = $1
           AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
         ORDER BY issued_at LIMIT 1"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(root).fetch_optional(p).await)?,
    )
}

/// A card by number.
pub async fn card_by_number(
    store: &Store,
    tenant: &TenantId,
    number: &str,
) -> Result<Card, StoreError> {
    let sql = format!("SELECT {CARD} FROM member_cards WHERE tenant_id = $1 AND card_number = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(number).fetch_one(p).await)?,
    )
}

/// A card by id, locked for the rest of the transaction (PostgreSQL `FOR UPDATE`; a SQLite
/// write transaction already holds the lock), so that balance checks and writes are serialised.
pub async fn lock_card(tx: &mut Tx, tenant: &TenantId, id: &str) -> Result<Card, StoreError> {
    let sql = format!("SELECT {CARD} FROM member_cards WHERE tenant_id = $1 AND id = $2");
    Ok(match tx {
        Tx::Sqlite(t) => {
            sqlx::query_as(&sql)
                .bind(tenant.as_str())
                .bind(id)
                .fetch_one(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as(&format!("{sql} FOR UPDATE"))
                .bind(tenant.as_str())
                .bind(id)
                .fetch_one(&mut **t)
                .await?
        }
    })
}

/// One ledger row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LedgerRow {
    /// Ledger id.
    pub id: i64,
    /// `earn`, `spend`, `expire`.
    pub kind: String,
    /// `purchase`, `checkin`, `referral`, `adjust`, `spend`, `expire`.
    pub reason: String,
    /// Points (positive; the kind says which way).
    pub points: i64,
    /// What it is for (order id, date, …): unique per card and reason.
    pub r#ref: String,
    /// For an expiry: the earning entry that expired.
    pub lot: Option<i64>,
    /// For earnings: when they expire.
    pub expires_at: Option<i64>,
    /// A note.
    pub note: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

/// A card's ledger in order.
pub async fn ledger_tx(tx: &mut Tx, card: &str) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT id, kind, reason, points, ref, lot, expires_at, note, at FROM points_ledger WHERE card_id = $1 ORDER BY id")
        .bind(card).fetch_all(c).await)?)
}

/// A card's ledger in order (read-only).
pub async fn ledger(store: &Store, card: &str) -> Result<Vec<LedgerRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT id, kind, reason, points, ref, lot, expires_at, note, at FROM points_ledger WHERE card_id = $1 ORDER BY id")
        .bind(card).fetch_all(p).await)?)
}

/// A ledger entry to append.
#[derive(Debug, Clone, Copy)]
pub struct NewEntry<'a> {
    /// `earn`, `spend`, `expire`.
    pub kind: &'a str,
    /// Why.
    pub reason: &'a str,
    /// Points, positive.
    pub points: i64,
    /// Idempotency reference.
    pub r#ref: &'a str,
    /// For an expiry, the lot.
    pub lot: Option<i64>,
    /// For earnings, expiry.
    pub expires_at: Option<i64>,
    /// A note.
    pub note: Option<&'a str>,
}

/// Appends an entry unless one with the same reason and ref exists; returns whether it was new.
pub async fn append(
    tx: &mut Tx,
    tenant: &TenantId,
    card: &str,
    e: &NewEntry<'_>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO points_ledger (tenant_id, card_id, kind, reason, points, ref, lot, expires_at, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (card_id, reason, ref) DO NOTHING")
        .bind(tenant.as_str()).bind(card).bind(e.kind).bind(e.reason).bind(e.points).bind(e.r#ref)
        .bind(e.lot).bind(e.expires_at).bind(e.note).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Adds to a card's lifetime spend.
pub async fn add_spend(tx: &mut Tx, card: &str, fen: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE member_cards SET spend_fen = spend_fen + $2 WHERE id = $1")
        .bind(card).bind(fen).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets the level and logs the change.
pub async fn change_level(
    tx: &mut Tx,
    tenant: &TenantId,
    card: &str,
    from: Option<&str>,
    to: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE member_cards SET level = $2 WHERE id = $1")
        .bind(card).bind(to).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO level_changes (tenant_id, card_id, from_level, to_level, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(tenant.as_str()).bind(card).bind(from).bind(to).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One level change.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct LevelChange {
    /// Before.
    pub from_level: Option<String>,
    /// After.
    pub to_level: Option<String>,
    /// When, Unix ms.
    pub at: i64,
}

/// A card's level changes, newest first.
pub async fn level_changes(store: &Store, card: &str) -> Result<Vec<LevelChange>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT from_level, to_level, at FROM level_changes WHERE card_id = $1 ORDER BY at DESC, id DESC")
        .bind(card).fetch_all(p).await)?)
}

/// Cards with earned points that have passed their expiry and have not been expired yet:
/// candidates for the expiry job. `(tenant_id, card_id)`.
pub async fn cards_with_due_points(
    store: &Store,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT DISTINCT e.tenant_id, e.card_id FROM points_ledger e
         WHERE e.kind = 'earn' AND e.expires_at IS NOT NULL AND e.expires_at <= $1
           AND NOT EXISTS (SELECT 1 FROM points_ledger x WHERE x.card_id = e.card_id AND x.kind = 'expire' AND x.lot = e.id)
         LIMIT $2")
        .bind(now).bind(limit).fetch_all(p).await)?)
}

/// A card by id.
pub async fn card(store: &Store, tenant: &TenantId, id: &str) -> Result<Card, StoreError> {
    let sql = format!("SELECT {CARD} FROM member_cards WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}
