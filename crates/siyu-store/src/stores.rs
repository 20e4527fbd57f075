//! Physical stores with a geofence, for location-triggered offers.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A store.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoreRow {
    /// Its id (`sr_…`).
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// Latitude (WGS-84, as WeChat reports it).
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Geofence radius in metres.
    pub radius_m: i64,
    /// The offer sent to a fan who reports a location inside the geofence.
    pub offer_text: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

const COLUMNS: &str = "id, tenant_id, name, latitude, longitude, radius_m, offer_text, created_at";

/// Stores a store.
pub async fn insert(tx: &mut Tx, s: &StoreRow) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO stores ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    on_tx!(tx, x => sqlx::query(&sql)
        .bind(&s.id).bind(&s.tenant_id).bind(&s.name).bind(s.latitude).bind(s.longitude).bind(s.radius_m)
        .bind(&s.offer_text).bind(s.created_at).execute(x).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A tenant's stores.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<StoreRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE tenant_id = $1 ORDER BY created_at, id");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// One of a tenant's stores.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<StoreRow, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM stores WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}
