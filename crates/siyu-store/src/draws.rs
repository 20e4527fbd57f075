//! Prize draws. Entries to one campaign are serialised by a lock on the campaign row (taken by
//! the `UPDATE … RETURNING` that numbers the entry), so the entry order is the commit order and
//! stock is checked and taken inside the same transaction: no prize is awarded beyond its stock.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A campaign as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Campaign {
    /// Its id (`dr_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// The secret seed, sealed.
    #[serde(skip)]
    pub seed_sealed: String,
    /// `SHA-256(seed)`, published before the first entry.
    pub commitment: String,
    /// The seed, once the campaign is closed.
    pub revealed_seed: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// Opening time, Unix ms.
    pub starts_at: Option<i64>,
    /// Closing time, Unix ms.
    pub ends_at: Option<i64>,
    /// Entries per person per day (China time).
    pub per_day_limit: Option<i64>,
    /// Entries per person in total.
    pub total_limit: Option<i64>,
    /// Entries accepted so far.
    pub entries: i64,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// A prize of a campaign.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PrizeRow {
    /// Position (0-based).
    pub idx: i64,
    /// Display name.
    pub name: String,
    /// Odds in basis points.
    pub odds_bp: i64,
    /// How many existed.
    pub stock: i64,
    /// How many are left.
    pub remaining: i64,
}

/// An accepted entry.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EntryRow {
    /// Acceptance order (1-based).
    pub seq: i64,
    /// The HMAC message.
    pub entry_id: String,
    /// Who entered.
    pub customer_id: String,
    /// The prize the roll picked.
    pub picked: Option<i64>,
    /// The prize awarded (none when the picked prize had run out).
    pub awarded: Option<i64>,
    /// When, Unix ms.
    pub at: i64,
}

const COLUMNS: &str = "id, tenant_id, name, seed_sealed, commitment, revealed_seed, state, starts_at, ends_at, per_day_limit, total_limit, entries, created_at";

/// Stores a campaign and its prizes.
pub async fn insert(
    tx: &mut Tx,
    c: &Campaign,
    prizes: &[(String, i64, i64)],
) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO draw_campaigns ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)");
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&c.id).bind(&c.tenant_id).bind(&c.name).bind(&c.seed_sealed).bind(&c.commitment).bind(&c.revealed_seed)
        .bind(&c.state).bind(c.starts_at).bind(c.ends_at).bind(c.per_day_limit).bind(c.total_limit).bind(c.entries)
        .bind(c.created_at).execute(&mut *x).await.map(|r| r.rows_affected()))?;
    for (i, (name, odds, stock)) in prizes.iter().enumerate() {
        let idx = i64::try_from(i).unwrap_or(i64::MAX);
        on_tx!(tx, x => sqlx::query(
            "INSERT INTO draw_prizes (campaign_id, idx, name, odds_bp, stock, remaining) VALUES ($1, $2, $3, $4, $5, $5)")
            .bind(&c.id).bind(idx).bind(name).bind(odds).bind(stock).execute(&mut *x).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// One of a tenant's campaigns.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<Campaign, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM draw_campaigns WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// A campaign of any tenant, by id: for the operator's own shell (`siyu draw verify`).
pub async fn find(store: &Store, id: &str) -> Result<Campaign, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM draw_campaigns WHERE id = $1");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await)?)
}

/// A tenant's campaigns, newest first.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<Campaign>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM draw_campaigns WHERE tenant_id = $1 ORDER BY created_at DESC, id"
    );
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// A campaign's prizes in order.
pub async fn prizes(store: &Store, campaign: &str) -> Result<Vec<PrizeRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT idx, name, odds_bp, stock, remaining FROM draw_prizes WHERE campaign_id = $1 ORDER BY idx")
        .bind(campaign).fetch_all(p).await)?)
}

/// A campaign's entries in acceptance order.
pub async fn entries(store: &Store, campaign: &str) -> Result<Vec<EntryRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT seq, entry_id, customer_id, picked, awarded, at FROM draw_entries WHERE campaign_id = $1 ORDER BY seq")
        .bind(campaign).fetch_all(p).await)?)
}

/// Numbers the next entry, locking the campaign row until the transaction ends. `None` when
/// the campaign is not open.
pub async fn next_seq(
    tx: &mut Tx,
    tenant: &TenantId,
    campaign: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(on_tx!(tx, x => sqlx::query_scalar(
        "UPDATE draw_campaigns SET entries = entries + 1 WHERE tenant_id = $1 AND id = $2 AND state = 'open' RETURNING entries")
        .bind(tenant.as_str()).bind(campaign).fetch_optional(x).await)?)
}

/// `(total, since)` entries of a customer in a campaign.
pub async fn customer_entries(
    tx: &mut Tx,
    campaign: &str,
    customer: &str,
    since: i64,
) -> Result<(i64, i64), StoreError> {
    Ok(on_tx!(tx, x => sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN at >= $3 THEN 1 ELSE 0 END), 0) FROM draw_entries WHERE campaign_id = $1 AND customer_id = $2")
        .bind(campaign).bind(customer).bind(since).fetch_one(x).await)?)
}

/// Takes one of a prize if any is left.
pub async fn take_prize(tx: &mut Tx, campaign: &str, idx: i64) -> Result<bool, StoreError> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE draw_prizes SET remaining = remaining - 1 WHERE campaign_id = $1 AND idx = $2 AND remaining > 0")
        .bind(campaign).bind(idx).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records an entry.
pub async fn insert_entry(tx: &mut Tx, campaign: &str, e: &EntryRow) -> Result<(), StoreError> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO draw_entries (campaign_id, seq, entry_id, customer_id, picked, awarded, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(campaign).bind(e.seq).bind(&e.entry_id).bind(&e.customer_id).bind(e.picked).bind(e.awarded).bind(e.at)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Closes a campaign and reveals its seed.
pub async fn close(
    tx: &mut Tx,
    tenant: &TenantId,
    campaign: &str,
    seed: &str,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE draw_campaigns SET state = 'closed', revealed_seed = $3 WHERE tenant_id = $1 AND id = $2 AND state = 'open'")
        .bind(tenant.as_str()).bind(campaign).bind(seed).execute(x).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// How a campaign is entered from WeChat and what its prizes issue.
#[derive(Debug, Clone, Default, serde::Serialize, sqlx::FromRow)]
pub struct Settings {
    /// The campaign.
    pub campaign_id: String,
    /// A fan sending this text enters.
    pub keyword: Option<String>,
    /// `{"<prize index>": "<voucher template id>"}`.
    pub prize_vouchers: String,
}

/// A campaign's settings, if set.
pub async fn settings(store: &Store, campaign: &str) -> Result<Option<Settings>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT campaign_id, keyword, prize_vouchers FROM draw_settings WHERE campaign_id = $1")
        .bind(campaign).fetch_optional(p).await)?)
}

/// Sets a campaign's settings.
pub async fn set_settings(
    tx: &mut Tx,
    tenant: &TenantId,
    s: &Settings,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, x => sqlx::query(
        "INSERT INTO draw_settings (campaign_id, tenant_id, keyword, prize_vouchers, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id) DO UPDATE SET keyword = excluded.keyword, prize_vouchers = excluded.prize_vouchers, updated_at = excluded.updated_at")
        .bind(&s.campaign_id).bind(tenant.as_str()).bind(&s.keyword).bind(&s.prize_vouchers).bind(now)
        .execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The open campaigns of a tenant whose keyword is `keyword`, newest first.
pub async fn by_keyword(
    store: &Store,
    tenant: &TenantId,
    keyword: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT s.campaign_id FROM draw_settings s JOIN draw_campaigns c ON c.id = s.campaign_id
         WHERE s.tenant_id = $1 AND s.keyword = $2 AND c.state = 'open' ORDER BY c.created_at DESC")
        .bind(tenant.as_str()).bind(keyword).fetch_all(p).await)?)
}

/// A customer's entries in a campaign, newest first.
pub async fn entries_of(
    store: &Store,
    campaign: &str,
    customer: &str,
) -> Result<Vec<EntryRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT seq, entry_id, customer_id, picked, awarded, at FROM draw_entries WHERE campaign_id = $1 AND customer_id = $2 ORDER BY seq DESC")
        .bind(campaign).bind(customer).fetch_all(p).await)?)
}
