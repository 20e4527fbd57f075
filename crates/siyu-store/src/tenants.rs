//! Tenants (merchants).

use serde::Serialize;
use siyu_domain::{TenantId, TenantName};

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A merchant on the platform.
#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    created_at: i64,
}

impl TryFrom<Row> for Tenant {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Tenant {
            id: TenantId::parse(&r.id)?,
            name: r.name,
            created_at: r.created_at,
        })
    }
}

/// Inserts a new tenant.
pub async fn insert(
    tx: &mut Tx,
    id: &TenantId,
    name: &TenantName,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(id.as_str()).bind(name.as_str()).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Renames a tenant.
pub async fn rename(tx: &mut Tx, id: &TenantId, name: &TenantName) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query("UPDATE tenants SET name = $2 WHERE id = $1")
        .bind(id.as_str()).bind(name.as_str()).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Looks a tenant up by id.
pub async fn get(store: &Store, id: &TenantId) -> Result<Tenant, StoreError> {
    let row: Row = on_pool!(store, p => sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1")
        .bind(id.as_str()).fetch_one(p).await)?;
    row.try_into()
}

/// Finds a tenant by its exact name (the first created, if several share it).
pub async fn find_by_name(store: &Store, name: &str) -> Result<Option<Tenant>, StoreError> {
    let row: Option<Row> = on_pool!(store, p => sqlx::query_as(
        "SELECT id, name, created_at FROM tenants WHERE name = $1 ORDER BY created_at, id LIMIT 1")
        .bind(name).fetch_optional(p).await)?;
    row.map(Tenant::try_from).transpose()
}

/// Every tenant, oldest first, with its active staff count; for the platform admin.
pub async fn list(store: &Store) -> Result<Vec<(Tenant, i64)>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = on_pool!(store, p => sqlx::query_as(
        "SELECT t.id, t.name, t.created_at,
                (SELECT COUNT(*) FROM staff s WHERE s.tenant_id = t.id AND s.disabled_at IS NULL)
         FROM tenants t ORDER BY t.created_at, t.id").fetch_all(p).await)?;
    rows.into_iter()
        .map(|(id, name, created_at, staff)| {
            Ok((
                Tenant {
                    id: TenantId::parse(&id)?,
                    name,
                    created_at,
                },
                staff,
            ))
        })
        .collect()
}
