//! `/api/v1/wechat/accounts`: the tenant's Official Accounts.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;
use crate::wechat::accounts::{self, NewAccount};

/// An Official Account as the API shows it (never its secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// Account id (`wa_…`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// AppID.
    pub app_id: String,
    /// `plain`, `compatible` or `safe`.
    pub mode: String,
    /// The path to enter as the server URL in WeChat's admin (prefix it with this deployment's public URL).
    pub callback_path: String,
    /// Sent when a fan follows.
    pub welcome_text: Option<String>,
    /// Creation time, Unix ms.
    pub created_at: i64,
}

impl From<siyu_store::wechat_accounts::Account> for AccountView {
    fn from(a: siyu_store::wechat_accounts::Account) -> Self {
        AccountView {
            callback_path: accounts::callback_path(&a),
            id: a.id,
            name: a.name,
            app_id: a.app_id,
            mode: a.mode,
            welcome_text: a.welcome_text,
            created_at: a.created_at,
        }
    }
}

/// A list of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// Oldest first.
    pub items: Vec<AccountView>,
}

/// Connects an Official Account.
#[utoipa::path(post, path = "/api/v1/wechat/accounts", tag = "wechat", request_body = NewAccount,
    responses((status = 201, body = AccountView), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "app_id_taken"), (status = 422, body = ErrorBody)))]
pub async fn create_account(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewAccount>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    let a = accounts::create(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
}

/// The tenant's Official Accounts.
#[utoipa::path(get, path = "/api/v1/wechat/accounts", tag = "wechat",
    responses((status = 200, body = AccountList), (status = 401, body = ErrorBody)))]
pub async fn list_accounts(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<AccountList>, ApiError> {
    let items = siyu_store::wechat_accounts::list(&state.store, &caller.tenant_id).await?;
    Ok(Json(AccountList {
        items: items.into_iter().map(AccountView::from).collect(),
    }))
}

/// One Official Account.
#[utoipa::path(get, path = "/api/v1/wechat/accounts/{id}", tag = "wechat", params(("id" = String, Path, description = "account id")),
    responses((status = 200, body = AccountView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_account(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<AccountView>, ApiError> {
    Ok(Json(
        siyu_store::wechat_accounts::get(&state.store, &caller.tenant_id, &id)
            .await?
            .into(),
    ))
}

/// A started background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedJob {
    /// Job id (`jb_…`); poll `GET /api/v1/jobs/{id}`.
    pub job_id: String,
}

/// Imports the account's existing followers from WeChat (in the background).
#[utoipa::path(post, path = "/api/v1/wechat/accounts/{id}/sync", tag = "wechat", params(("id" = String, Path, description = "account id")),
    responses((status = 202, body = StartedJob), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn sync_followers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<StartedJob>), ApiError> {
    let job = crate::wechat::sync::start(&state, &caller.tenant_id, &id, &caller.actor()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(StartedJob {
            job_id: job.to_string(),
        }),
    ))
}

/// The account's custom menu as saved in siyu.
#[derive(Debug, Serialize, ToSchema)]
pub struct MenuView {
    /// WeChat's menu JSON (`{"button":[…]}`), if one was saved.
    #[schema(value_type = Object)]
    pub menu: Option<serde_json::Value>,
    /// When it last reached WeChat, Unix ms.
    pub published_at: Option<i64>,
}

/// The saved custom menu.
#[utoipa::path(get, path = "/api/v1/wechat/accounts/{id}/menu", tag = "wechat", params(("id" = String, Path, description = "account id")),
    responses((status = 200, body = MenuView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_menu(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MenuView>, ApiError> {
    let (menu, published_at) =
        siyu_store::wechat_accounts::menu(&state.store, &caller.tenant_id, &id).await?;
    let menu = menu.and_then(|m| serde_json::from_str(&m).ok());
    Ok(Json(MenuView { menu, published_at }))
}

/// Saves the custom menu (validated against WeChat's limits) and publishes it in the background.
#[utoipa::path(put, path = "/api/v1/wechat/accounts/{id}/menu", tag = "wechat", params(("id" = String, Path, description = "account id")),
    request_body(content = Object, description = "WeChat's menu JSON: {\"button\":[…]}"),
    responses((status = 202, body = StartedJob), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_menu(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(menu): Json<siyu_wechat::client::Menu>,
) -> Result<(StatusCode, Json<StartedJob>), ApiError> {
    siyu_store::wechat_accounts::get(&state.store, &caller.tenant_id, &id).await?;
    let job_id =
        crate::wechat::menu::save(&state, &caller.tenant_id, &id, &menu, &caller.actor()).await?;
    Ok((StatusCode::ACCEPTED, Json(StartedJob { job_id })))
}

/// The account's auto-reply configuration.
#[utoipa::path(get, path = "/api/v1/wechat/accounts/{id}/replies", tag = "wechat", params(("id" = String, Path, description = "account id")),
    responses((status = 200, body = crate::wechat::replies::RepliesConfig), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_replies(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<crate::wechat::replies::RepliesConfig>, ApiError> {
    siyu_store::wechat_accounts::get(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(crate::wechat::replies::load(&state, &id).await?))
}

/// Replaces the auto-reply configuration: keyword rules, FAQ knowledge base, fallback.
#[utoipa::path(put, path = "/api/v1/wechat/accounts/{id}/replies", tag = "wechat", params(("id" = String, Path, description = "account id")),
    request_body = crate::wechat::replies::RepliesConfig,
    responses((status = 200, body = crate::wechat::replies::RepliesConfig), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_replies(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(config): Json<crate::wechat::replies::RepliesConfig>,
) -> Result<Json<crate::wechat::replies::RepliesConfig>, ApiError> {
    siyu_store::wechat_accounts::get(&state.store, &caller.tenant_id, &id).await?;
    crate::wechat::replies::save(&state, &caller.tenant_id, &id, &config, &caller.actor()).await?;
    Ok(Json(config))
}

/// A question to try against the auto-replies.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryReply {
    /// What a fan might send.
    pub text: String,
}

/// What the account would answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriedReply {
    /// `rule`, `knowledge`, `fallback` or `nothing`.
    pub source: String,
    /// The matching rule or FAQ entry id.
    pub matched: Option<String>,
    /// The knowledge-base score (0..=1), for FAQ answers.
    pub score: Option<f64>,
    /// The reply (`{"type":"text","value":…}`), if any.
    #[schema(value_type = Option<Object>)]
    pub reply: Option<siyu_replies::ReplyAction>,
}

/// Tries a fan's question against the saved auto-replies without sending anything.
#[utoipa::path(post, path = "/api/v1/wechat/accounts/{id}/replies/try", tag = "wechat", params(("id" = String, Path, description = "account id")),
    request_body = TryReply,
    responses((status = 200, body = TriedReply), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn try_reply(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<TryReply>,
) -> Result<Json<TriedReply>, ApiError> {
    let account = siyu_store::wechat_accounts::get(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(
        crate::wechat::replies::try_text(&state, &account, &body.text).await?,
    ))
}
