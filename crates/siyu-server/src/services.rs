//! Business operations shared by the API, the console and the CLI. Each one writes its change
//! and the audit entry that records it in one transaction.

use serde_json::json;
use siyu_domain::{ApiKeyId, Login, Password, Role, StaffId, TenantId, TenantName};
use siyu_store::audit::NewEntry;
use siyu_store::tenants::Tenant;
use siyu_store::{api_keys, audit, staff, tenants, Store, Tx};

use crate::crypto::random_token;
use crate::error::ApiError;
use crate::passwords;

/// Who performed an action, as the audit log records it.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A signed-in staff member.
    Staff(StaffId),
    /// An API key.
    ApiKey(ApiKeyId),
    /// The `siyu` command line on the server.
    Cli,
    /// siyu itself (jobs, demo seeding).
    System,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Staff(id) => write!(f, "staff:{id}"),
            Actor::ApiKey(id) => write!(f, "api_key:{id}"),
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
        }
    }
}

/// Appends an audit entry inside the caller's transaction.
pub async fn record(
    tx: &mut Tx,
    tenant: Option<&TenantId>,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<serde_json::Value>,
    now: i64,
) -> Result<(), ApiError> {
    let actor = actor.to_string();
    audit::record(
        tx,
        NewEntry {
            tenant_id: tenant,
            actor: &actor,
            action,
            target,
            detail,
        },
        now,
    )
    .await?;
    Ok(())
}

/// A freshly created API key: its id and the secret, which is shown this once.
#[derive(Debug)]
pub struct IssuedKey {
    /// The key's id.
    pub id: ApiKeyId,
    /// The full key.
    pub secret: String,
}

/// Creates a tenant together with its first API key.
pub async fn create_tenant(
    store: &Store,
    name: &str,
    actor: &Actor,
    now: i64,
) -> Result<(Tenant, IssuedKey), ApiError> {
    let name = TenantName::parse(name)?;
    let id = TenantId::generate();
    let mut tx = store.begin().await?;
    tenants::insert(&mut tx, &id, &name, now).await?;
    record(
        &mut tx,
        Some(&id),
        actor,
        "tenant.create",
        Some(id.as_str()),
        Some(json!({"name": name.as_str()})),
        now,
    )
    .await?;
    let key = issue_key(&mut tx, &id, "default", None, actor, now).await?;
    tx.commit().await?;
    let tenant = Tenant {
        id,
        name: name.as_str().to_owned(),
        created_at: now,
    };
    Ok((tenant, key))
}

/// Renames a tenant.
pub async fn rename_tenant(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    actor: &Actor,
    now: i64,
) -> Result<(), ApiError> {
    let name = TenantName::parse(name)?;
    let mut tx = store.begin().await?;
    tenants::rename(&mut tx, tenant, &name).await?;
    record(
        &mut tx,
        Some(tenant),
        actor,
        "tenant.rename",
        Some(tenant.as_str()),
        Some(json!({"name": name.as_str()})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn issue_key(
    tx: &mut Tx,
    tenant: &TenantId,
    label: &str,
    expires_at: Option<i64>,
    actor: &Actor,
    now: i64,
) -> Result<IssuedKey, ApiError> {
    let id = ApiKeyId::generate();
    let secret = format!("sy_{}", random_token());
    api_keys::insert(tx, &id, tenant, label, &secret, expires_at, now).await?;
    record(
        tx,
        Some(tenant),
        actor,
        "api_key.create",
        Some(id.as_str()),
        Some(json!({"label": label})),
        now,
    )
    .await?;
    Ok(IssuedKey { id, secret })
}

/// Creates an API key for a tenant.
pub async fn create_api_key(
    store: &Store,
    tenant: &TenantId,
    label: &str,
    expires_at: Option<i64>,
    actor: &Actor,
    now: i64,
) -> Result<IssuedKey, ApiError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::invalid("label", "must be 1 to 100 characters"));
    }
    if expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let mut tx = store.begin().await?;
    let key = issue_key(&mut tx, tenant, label, expires_at, actor, now).await?;
    tx.commit().await?;
    Ok(key)
}

/// Revokes a tenant's API key.
pub async fn revoke_api_key(
    store: &Store,
    tenant: &TenantId,
    id: &ApiKeyId,
    actor: &Actor,
    now: i64,
) -> Result<(), ApiError> {
    let mut tx = store.begin().await?;
    api_keys::revoke(&mut tx, tenant, id, now).await?;
    record(
        &mut tx,
        Some(tenant),
        actor,
        "api_key.revoke",
        Some(id.as_str()),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a staff account. `tenant` is `None` only for platform admins.
pub async fn create_staff(
    store: &Store,
    tenant: Option<&TenantId>,
    login: &str,
    role: Role,
    password: &str,
    actor: &Actor,
    now: i64,
) -> Result<StaffId, ApiError> {
    let login = Login::parse(login)?;
    let password = Password::parse(password)?;
    match (tenant, role) {
        (None, r) if r.is_tenant_role() => {
            return Err(ApiError::invalid(
                "tenant",
                "a tenant is required for this role",
            ))
        }
        (Some(_), Role::PlatformAdmin) => {
            return Err(ApiError::invalid(
                "role",
                "platform_admin belongs to no tenant; create it without a tenant",
            ))
        }
        _ => {}
    }
    if let Some(t) = tenant {
        tenants::get(store, t).await.map_err(|e| match e {
            siyu_store::StoreError::NotFound => {
                ApiError::invalid("tenant", format!("no tenant has the id {t}"))
            }
            other => other.into(),
        })?;
    }
    let hash = passwords::hash(password.expose().to_owned()).await?;
    let id = StaffId::generate();
    let mut tx = store.begin().await?;
    staff::insert(
        &mut tx,
        &staff::NewStaff {
            id: &id,
            tenant_id: tenant,
            login: &login,
            role,
            password_hash: &hash,
        },
        now,
    )
    .await?;
    record(
        &mut tx,
        tenant,
        actor,
        "staff.create",
        Some(id.as_str()),
        Some(json!({"login": login.as_str(), "role": role.as_str()})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Disables a tenant's staff account and ends its sessions.
pub async fn disable_staff(
    store: &Store,
    tenant: &TenantId,
    id: &StaffId,
    actor: &Actor,
    now: i64,
) -> Result<(), ApiError> {
    let mut tx = store.begin().await?;
    staff::disable(&mut tx, tenant, id, now).await?;
    record(
        &mut tx,
        Some(tenant),
        actor,
        "staff.disable",
        Some(id.as_str()),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records an action that changed nothing else in the database (sign-in, sign-out).
pub async fn audit_only(
    store: &Store,
    tenant: Option<&TenantId>,
    actor: &Actor,
    action: &str,
    now: i64,
) -> Result<(), ApiError> {
    let mut tx = store.begin().await?;
    record(&mut tx, tenant, actor, action, None, None, now).await?;
    tx.commit().await?;
    Ok(())
}
