//! Connecting an Official Account: validation, secrets sealed at rest, and the protocol
//! handler built from a stored account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::json;
use siyu_domain::TenantId;
use siyu_store::wechat_accounts::{self, Account};
use siyu_wechat::{AccountMode, Callback, WechatCrypto};

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// What a merchant enters to connect an account (from WeChat's 服务器配置 page).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// A name for the console; defaults to the AppID.
    pub name: Option<String>,
    /// AppID (`wx` + 16 hex digits).
    pub app_id: String,
    /// AppSecret (used by the outbound API client).
    pub app_secret: String,
    /// The callback Token (3–32 letters or digits).
    pub token: String,
    /// EncodingAESKey (43 letters or digits); required unless `mode` is `plain`.
    pub encoding_aes_key: Option<String>,
    /// `plain`, `compatible` or `safe`.
    pub mode: String,
    /// Sent when a fan follows.
    pub welcome_text: Option<String>,
}

fn parse_mode(s: &str) -> Result<AccountMode, ApiError> {
    match s {
        "plain" => Ok(AccountMode::Plain),
        "compatible" => Ok(AccountMode::Compatible),
        "safe" => Ok(AccountMode::Safe),
        _ => Err(ApiError::invalid("mode", "use plain, compatible or safe")),
    }
}

fn alnum(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn validate(n: &NewAccount) -> Result<AccountMode, ApiError> {
    let app_id = n.app_id.trim();
    if !(app_id.len() == 18
        && app_id.starts_with("wx")
        && app_id[2..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ApiError::invalid(
            "app_id",
            "must be wx followed by 16 hexadecimal digits, as shown in WeChat's admin",
        ));
    }
    if !(16..=64).contains(&n.app_secret.len()) || !alnum(&n.app_secret) {
        return Err(ApiError::invalid(
            "app_secret",
            "must be the 32-character AppSecret from WeChat's admin",
        ));
    }
    if !(3..=32).contains(&n.token.len()) || !alnum(&n.token) {
        return Err(ApiError::invalid(
            "token",
            "must be 3 to 32 letters or digits, the same as in WeChat's admin",
        ));
    }
    let mode = parse_mode(&n.mode)?;
    match (&n.encoding_aes_key, mode) {
        (None, AccountMode::Plain) => {}
        (None, _) => {
            return Err(ApiError::invalid(
                "encoding_aes_key",
                "is required for compatible and safe mode",
            ))
        }
        (Some(k), _) => {
            if k.len() != 43 || !alnum(k) {
                return Err(ApiError::invalid(
                    "encoding_aes_key",
                    "must be the 43-character EncodingAESKey from WeChat's admin",
                ));
            }
            WechatCrypto::new(&n.token, k, app_id)
                .map_err(|e| ApiError::invalid("encoding_aes_key", e.to_string()))?;
        }
    }
    if n.welcome_text.as_deref().is_some_and(|w| w.len() > 2048) {
        return Err(ApiError::invalid(
            "welcome_text",
            "must be at most 2048 bytes (WeChat's limit for a text reply)",
        ));
    }
    Ok(mode)
}

fn mode_name(m: AccountMode) -> &'static str {
    match m {
        AccountMode::Plain => "plain",
        AccountMode::Compatible => "compatible",
        AccountMode::Safe => "safe",
    }
}

/// Connects an account for `tenant`; the secrets are stored sealed.
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    n: NewAccount,
    actor: &Actor,
) -> Result<Account, ApiError> {
    let mode = validate(&n)?;
    let now = state.now();
    let app_id = n.app_id.trim().to_owned();
    let account = Account {
        id: format!(
            "wa_{}",
            &crate::crypto::random_token()[..20]
                .to_ascii_lowercase()
                .replace(['-', '_'], "x")
        ),
        tenant_id: tenant.to_string(),
        name: n
            .name
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| app_id.clone()),
        app_id: app_id.clone(),
        original_id: None,
        mode: mode_name(mode).to_owned(),
        app_secret_sealed: state.keys.seal(&n.app_secret),
        token_sealed: state.keys.seal(&n.token),
        aes_key_sealed: n.encoding_aes_key.as_deref().map(|k| state.keys.seal(k)),
        welcome_text: n.welcome_text.filter(|w| !w.is_empty()),
        created_at: now,
        updated_at: now,
        replies_version: 0,
    };
    let mut tx = state.store.begin().await?;
    wechat_accounts::insert(&mut tx, &account)
        .await
        .map_err(|e| match e {
            siyu_store::StoreError::Conflict(_) => ApiError::Conflict {
                code: "app_id_taken",
                message: "this AppID is already connected to siyu".into(),
            },
            other => other.into(),
        })?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "wechat_account.create",
        Some(&account.id),
        Some(json!({"app_id": app_id, "mode": account.mode})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}

/// The protocol handler for a stored account (secrets unsealed in memory only).
pub fn callback_for(state: &AppState, a: &Account) -> Result<Callback, ApiError> {
    let open = |sealed: &str| {
        state.keys.open(sealed).map_err(|e| {
            tracing::error!(wechat.account = %a.id, error = %e, "cannot unseal account secret");
            ApiError::Internal
        })
    };
    let token = open(&a.token_sealed)?;
    let mode = parse_mode(&a.mode).map_err(|_| ApiError::Internal)?;
    let cb = match &a.aes_key_sealed {
        Some(k) => {
            let crypto =
                WechatCrypto::new(&token, &open(k)?, &a.app_id).map_err(|_| ApiError::Internal)?;
            Callback::new(crypto, mode)
        }
        None => Callback::plain(&token).map_err(|_| ApiError::Internal)?,
    };
    Ok(cb.with_max_skew(300))
}

/// The path WeChat is told to call for this account.
pub fn callback_path(a: &Account) -> String {
    format!("/wechat/{}", a.id)
}

/// An account as its callbacks see it: the stored row when it was first read, and the protocol
/// handler built from it.
pub struct CallbackAccount {
    /// The row as first read. Its id, tenant, AppID, mode, Token and EncodingAESKey never
    /// change once the account exists; anything else (the welcome text, the auto-reply
    /// version) is read again where it matters.
    pub account: Arc<Account>,
    /// Verifies, decrypts and seals for the account.
    pub callback: Callback,
}

/// Accounts by id, for the callback endpoint: a burst of deliveries reads and unseals each
/// account once per node, not once per delivery. Only what never changes is taken from here.
#[derive(Default)]
pub struct CallbackAccounts(Mutex<HashMap<String, Arc<CallbackAccount>>>);

impl CallbackAccounts {
    /// The account `id` with its handler, read from the database on first use.
    pub async fn get(&self, state: &AppState, id: &str) -> Result<Arc<CallbackAccount>, ApiError> {
        if let Some(hit) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(hit.clone());
        }
        let account = wechat_accounts::get_for_callback(&state.store, id).await?;
        let callback = callback_for(state, &account)?;
        let entry = Arc::new(CallbackAccount {
            account: Arc::new(account),
            callback,
        });
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), entry.clone());
        Ok(entry)
    }
}
