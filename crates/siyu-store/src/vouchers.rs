//! Vouchers (优惠券): templates with stock and per-person limits, issued codes, and redemption
//! that succeeds exactly once however many clerks scan at the same moment.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A voucher template.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Template {
    /// Its id (`vt_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// `amount_off`, `percent_off` or `free_item`.
    pub kind: String,
    /// Amount off, in fen.
    pub amount_fen: Option<i64>,
    /// Percent off (1–99).
    pub percent_off: Option<i64>,
    /// The free item.
    pub item_name: Option<String>,
    /// Minimum spend, in fen.
    pub min_spend_fen: i64,
    /// Valid from, Unix ms.
    pub valid_from: Option<i64>,
    /// Valid until, Unix ms.
    pub valid_until: Option<i64>,
    /// How many may be issued.
    pub stock: i64,
    /// How many are left to issue.
    pub remaining: i64,
    /// Vouchers per customer.
    pub per_person_limit: Option<i64>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

/// An issued voucher.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Voucher {
    /// The signed code (also the QR content).
    pub code: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Its template.
    pub template_id: String,
    /// Who holds it.
    pub customer_id: String,
    /// `api`, `draw`, `channel`, …
    pub source: String,
    /// Issue time, Unix ms.
    pub issued_at: i64,
    /// Redemption time, Unix ms.
    pub redeemed_at: Option<i64>,
    /// The staff member who redeemed it.
    pub redeemed_by: Option<String>,
    /// The store where it was redeemed.
    pub redeemed_store: Option<String>,
}

const T_COLUMNS: &str = "id, tenant_id, name, kind, amount_fen, percent_off, item_name, min_spend_fen, valid_from, valid_until, stock, remaining, per_person_limit, created_at";
const V_COLUMNS: &str = "code, tenant_id, template_id, customer_id, source, issued_at, redeemed_at, redeemed_by, redeemed_store";

/// Stores a template.
pub async fn insert_template(tx: &mut Tx, t: &Template) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO voucher_templates ({T_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&t.id).bind(&t.tenant_id).bind(&t.name).bind(&t.kind).bind(t.amount_fen).bind(t.percent_off)
        .bind(&t.item_name).bind(t.min_spend_fen).bind(t.valid_from).bind(t.valid_until).bind(t.stock)
        .bind(t.remaining).bind(t.per_person_limit).bind(t.created_at).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One of a tenant's templates.
pub async fn template(store: &Store, tenant: &TenantId, id: &str) -> Result<Template, StoreError> {
    let sql = format!("SELECT {T_COLUMNS} FROM voucher_templates WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// A tenant's templates, newest first.
pub async fn templates(store: &Store, tenant: &TenantId) -> Result<Vec<Template>, StoreError> {
    let sql = format!("SELECT {T_COLUMNS} FROM voucher_templates WHERE tenant_id = $1 ORDER BY created_at DESC, id");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// Takes one from a template's stock, locking its row until the transaction ends.
pub async fn take_stock(
    tx: &mut Tx,
    tenant: &TenantId,
    template: &str,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE voucher_templates SET remaining = remaining - 1 WHERE tenant_id = $1 AND id = $2 AND remaining > 0")
        .bind(tenant.as_str()).bind(template).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// How many of a template a customer holds.
pub async fn held(tx: &mut Tx, template: &str, customer: &str) -> Result<i64, StoreError> {
    Ok(
        on_tx!(tx, x => sqlx::query_scalar("SELECT COUNT(*) FROM vouchers WHERE template_id = $1 AND customer_id = $2")
        .bind(template).bind(customer).fetch_one(x).await)?,
    )
}

/// Records an issued voucher.
pub async fn insert_voucher(tx: &mut Tx, v: &Voucher) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO vouchers ({V_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&v.code).bind(&v.tenant_id).bind(&v.template_id).bind(&v.customer_id).bind(&v.source).bind(v.issued_at)
        .bind(v.redeemed_at).bind(&v.redeemed_by).bind(&v.redeemed_store).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One of a tenant's vouchers by code.
pub async fn voucher(store: &Store, tenant: &TenantId, code: &str) -> Result<Voucher, StoreError> {
    let sql = format!("SELECT {V_COLUMNS} FROM vouchers WHERE tenant_id = $1 AND code = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(code).fetch_one(p).await)?,
    )
}

/// Marks a voucher redeemed if it is not yet; returns whether this call redeemed it.
pub async fn redeem(
    tx: &mut Tx,
    tenant: &TenantId,
    code: &str,
    by: &str,
    store_name: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, x => sqlx::query(
        "UPDATE vouchers SET redeemed_at = $3, redeemed_by = $4, redeemed_store = $5
         WHERE tenant_id = $1 AND code = $2 AND redeemed_at IS NULL")
        .bind(tenant.as_str()).bind(code).bind(now).bind(by).bind(store_name).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Redemptions per store and per staff member since `since`: `(store, staff, count)`.
pub async fn redemptions(
    store: &Store,
    tenant: &TenantId,
    since: i64,
) -> Result<Vec<(Option<String>, Option<String>, i64)>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT redeemed_store, redeemed_by, COUNT(*) FROM vouchers WHERE tenant_id = $1 AND redeemed_at >= $2
         GROUP BY redeemed_store, redeemed_by ORDER BY COUNT(*) DESC")
        .bind(tenant.as_str()).bind(since).fetch_all(p).await)?)
}

/// The voucher issued for `source` (a draw entry, a segment issuance), if any.
pub async fn by_source(
    store: &Store,
    tenant: &TenantId,
    source: &str,
) -> Result<Option<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT code FROM vouchers WHERE tenant_id = $1 AND source = $2")
        .bind(tenant.as_str()).bind(source).fetch_optional(p).await)?)
}

/// A voucher by code, whichever tenant issued it (the customer's own page: the code's keyed tag
/// is checked against the tenant found).
pub async fn voucher_any(store: &Store, code: &str) -> Result<Voucher, StoreError> {
    let sql = format!("SELECT {V_COLUMNS} FROM vouchers WHERE code = $1");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(code).fetch_one(p).await)?)
}
