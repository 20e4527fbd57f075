//! WeChat Official Accounts connected by tenants. Secrets arrive here already sealed
//! (encrypted with the deployment's key); this module never sees them in clear.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// An Official Account as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Account {
    /// Its id (`wa_…`), also the last segment of the callback path.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: String,
    /// Display name.
    pub name: String,
    /// WeChat AppID.
    pub app_id: String,
    /// The account's original id (`gh_…`), when known.
    pub original_id: Option<String>,
    /// `plain`, `compatible` or `safe`.
    pub mode: String,
    /// AppSecret, sealed.
    #[serde(skip)]
    pub app_secret_sealed: String,
    /// Callback Token, sealed.
    #[serde(skip)]
    pub token_sealed: String,
    /// EncodingAESKey, sealed; absent for plain-mode accounts.
    #[serde(skip)]
    pub aes_key_sealed: Option<String>,
    /// Sent when a fan follows.
    pub welcome_text: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Bumped on every change to the auto-reply configuration.
    pub replies_version: i64,
}

const COLUMNS: &str = "id, tenant_id, name, app_id, original_id, mode, app_secret_sealed, token_sealed, aes_key_sealed, welcome_text, created_at, updated_at, replies_version";
const INSERT_COLUMNS: &str = "id, tenant_id, name, app_id, original_id, mode, app_secret_sealed, token_sealed, aes_key_sealed, welcome_text, created_at, updated_at";

/// Stores a new account; an AppID already connected anywhere is `Conflict`.
pub async fn insert(tx: &mut Tx, a: &Account) -> Result<(), StoreError> {
    let sql = format!("INSERT INTO wechat_accounts ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)");
    on_tx!(tx, c => sqlx::query(&sql)
        .bind(&a.id).bind(&a.tenant_id).bind(&a.name).bind(&a.app_id).bind(&a.original_id).bind(&a.mode)
        .bind(&a.app_secret_sealed).bind(&a.token_sealed).bind(&a.aes_key_sealed).bind(&a.welcome_text)
        .bind(a.created_at).bind(a.updated_at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A tenant's accounts, oldest first.
pub async fn list(store: &Store, tenant: &TenantId) -> Result<Vec<Account>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM wechat_accounts WHERE tenant_id = $1 ORDER BY created_at, id"
    );
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).fetch_all(p).await)?)
}

/// One of a tenant's accounts; another tenant's is `NotFound`.
pub async fn get(store: &Store, tenant: &TenantId, id: &str) -> Result<Account, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM wechat_accounts WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// The account a callback path names, whichever tenant owns it.
pub async fn get_for_callback(store: &Store, id: &str) -> Result<Account, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM wechat_accounts WHERE id = $1");
    Ok(on_pool!(store, p => sqlx::query_as(&sql).bind(id).fetch_one(p).await)?)
}

/// The account's welcome message, as `tx` sees it.
pub async fn welcome_text(tx: &mut Tx, id: &str) -> Result<Option<String>, StoreError> {
    let row: Option<(Option<String>,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT welcome_text FROM wechat_accounts WHERE id = $1")
        .bind(id).fetch_optional(c).await)?;
    Ok(row.and_then(|(t,)| t))
}

/// Replaces the welcome message.
pub async fn set_welcome(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &str,
    text: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE wechat_accounts SET welcome_text = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(id).bind(text).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The stored menu (JSON) and when it was last published.
pub async fn menu(
    store: &Store,
    tenant: &TenantId,
    id: &str,
) -> Result<(Option<String>, Option<i64>), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT menu, menu_published_at FROM wechat_accounts WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(id).fetch_one(p).await)?)
}

/// Saves the edited menu (JSON).
pub async fn set_menu(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &str,
    menu: &str,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE wechat_accounts SET menu = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(id).bind(menu).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records that the menu reached WeChat.
pub async fn mark_menu_published(store: &Store, id: &str, now: i64) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query("UPDATE wechat_accounts SET menu_published_at = $2 WHERE id = $1")
        .bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

/// The auto-reply configuration (JSON), if one was saved.
pub async fn replies(store: &Store, account: &str) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, p => sqlx::query_scalar("SELECT config FROM wechat_replies WHERE account_id = $1")
        .bind(account).fetch_optional(p).await)?,
    )
}

/// Saves the auto-reply configuration and bumps the account's `replies_version`.
pub async fn set_replies(
    tx: &mut Tx,
    tenant: &TenantId,
    account: &str,
    config: &str,
    now: i64,
) -> Result<(), StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE wechat_accounts SET replies_version = replies_version + 1, updated_at = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.as_str()).bind(account).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO wechat_replies (account_id, tenant_id, config, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET config = $3, updated_at = $4")
        .bind(account).bind(tenant.as_str()).bind(config).bind(now).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}
