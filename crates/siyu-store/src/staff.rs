//! Staff accounts. Logins are unique across the platform so a person signs in with one name.

use serde::Serialize;
use siyu_domain::{Login, Role, StaffId, TenantId};

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A staff account as the console and API show it (never the password hash).
#[derive(Debug, Clone, Serialize)]
pub struct Staff {
    /// Its id.
    pub id: StaffId,
    /// The tenant it works for; `None` for platform admins.
    pub tenant_id: Option<TenantId>,
    /// Login name.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Preferred console language (`zh` or `en`), if chosen.
    pub locale: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// When the account was disabled, if it was.
    pub disabled_at: Option<i64>,
}

/// A staff account with its password hash, for signing in.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The account.
    pub staff: Staff,
    /// Argon2 PHC string.
    pub password_hash: String,
}

/// What a new staff account is made of.
#[derive(Debug)]
pub struct NewStaff<'a> {
    /// Its id.
    pub id: &'a StaffId,
    /// Its tenant; `None` only for platform admins.
    pub tenant_id: Option<&'a TenantId>,
    /// Login name.
    pub login: &'a Login,
    /// Role.
    pub role: Role,
    /// Argon2 PHC string.
    pub password_hash: &'a str,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: Option<String>,
    login: String,
    role: String,
    locale: Option<String>,
    created_at: i64,
    disabled_at: Option<i64>,
    password_hash: String,
}

const COLUMNS: &str = "id, tenant_id, login, role, locale, created_at, disabled_at, password_hash";

impl TryFrom<Row> for Credentials {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Credentials {
            staff: Staff {
                id: StaffId::parse(&r.id)?,
                tenant_id: r.tenant_id.as_deref().map(TenantId::parse).transpose()?,
                login: r.login,
                role: Role::parse(&r.role)?,
                locale: r.locale,
                created_at: r.created_at,
                disabled_at: r.disabled_at,
            },
            password_hash: r.password_hash,
        })
    }
}

/// Inserts a staff account; a taken login is `Conflict`.
pub async fn insert(tx: &mut Tx, s: &NewStaff<'_>, now: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO staff (id, tenant_id, login, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(s.id.as_str()).bind(s.tenant_id.map(TenantId::as_str)).bind(s.login.as_str())
        .bind(s.role.as_str()).bind(s.password_hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Staff of one tenant, oldest first.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<Staff>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE tenant_id = $1 ORDER BY created_at, id");
    let rows: Vec<Row> =
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?;
    rows.into_iter()
        .map(|r| Credentials::try_from(r).map(|c| c.staff))
        .collect()
}

/// One staff account of a tenant; another tenant's account is `NotFound`.
pub async fn get(store: &Store, tenant: &TenantId, id: &StaffId) -> Result<Staff, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE tenant_id = $1 AND id = $2");
    let row: Row = on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id.as_str()).fetch_one(p).await)?;
    Ok(Credentials::try_from(row)?.staff)
}

/// Any staff account by id, including platform admins; for session lookups.
pub async fn get_any(store: &Store, id: &StaffId) -> Result<Staff, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE id = $1");
    let row: Row = on_pool!(store, p => sqlx::query_as(&sql).bind(id.as_str()).fetch_one(p).await)?;
    Ok(Credentials::try_from(row)?.staff)
}

/// The account and password hash for a login, if it exists.
pub async fn credentials(store: &Store, login: &str) -> Result<Option<Credentials>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM staff WHERE login = $1");
    let row: Option<Row> =
        on_pool!(store, p => sqlx::query_as(&sql).bind(login).fetch_optional(p).await)?;
    row.map(Credentials::try_from).transpose()
}

/// Disables a tenant's staff account and ends its sessions.
pub async fn disable(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &StaffId,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE staff SET disabled_at = $3 WHERE tenant_id = $1 AND id = $2 AND disabled_at IS NULL")
        .bind(tenant.as_str()).bind(id.as_str()).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    on_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id.as_str()).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Replaces a password hash (used by `siyu demo` to reset the demo login).
pub async fn set_password(
    tx: &mut Tx,
    id: &StaffId,
    password_hash: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE staff SET password_hash = $2, disabled_at = NULL WHERE id = $1")
        .bind(id.as_str()).bind(password_hash).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Remembers a staff member's console language.
pub async fn set_locale(tx: &mut Tx, id: &StaffId, locale: &str) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE staff SET locale = $2 WHERE id = $1")
        .bind(id.as_str()).bind(locale).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Active staff accounts of a tenant.
pub async fn count_active(store: &Store, tenant: &TenantId) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff WHERE tenant_id = $1 AND disabled_at IS NULL")
        .bind(tenant.as_str()).fetch_one(p).await)?)
}
