//! Official Accounts and fans in the console: connect an account, see each fan's profile and
//! conversation.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;

use super::login::parse_form;
use super::templates::format_time;
use super::{page, Session};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wechat::accounts::{self, NewAccount};

use super::PageResult;

pub(super) async fn wechat_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    let rows = siyu_store::wechat_accounts::list(&state.store, tenant)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let base = state.config.base_url();
    let accounts: Vec<Value> = rows
        .into_iter()
        .map(|a| context! { url => format!("{base}{}", accounts::callback_path(&a)), id => a.id, name => a.name, app_id => a.app_id, mode => a.mode })
        .collect();
    let extra =
        context! { accounts, error, notice, can_manage => s.staff.role.can_manage_tenant() };
    Ok(page(state, s, "wechat.html", "wechat", extra, status))
}

/// `GET /console/wechat`.
pub(super) async fn wechat(State(state): State<AppState>, s: Session) -> PageResult {
    wechat_page(&state, &s, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct AccountForm {
    name: String,
    app_id: String,
    app_secret: String,
    token: String,
    encoding_aes_key: String,
    mode: String,
    welcome_text: String,
}

/// `POST /console/wechat`: connects an account; a bad field re-shows the form with the reason.
pub(super) async fn connect(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let f: AccountForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let some = |v: String| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
    let input = NewAccount {
        name: some(f.name),
        app_id: f.app_id.trim().to_owned(),
        app_secret: f.app_secret.trim().to_owned(),
        token: f.token.trim().to_owned(),
        encoding_aes_key: some(f.encoding_aes_key),
        mode: f.mode,
        welcome_text: some(f.welcome_text),
    };
    match accounts::create(&state, &tenant, input, &s.actor()).await {
        Ok(_) => Ok(Redirect::to("/console/wechat").into_response()),
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. })) => {
            let status = e.status();
            wechat_page(&state, &s, Some(e.to_string()), None, status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/fans`: the tenant's customers, most recently active first.
pub(super) async fn fans(State(state): State<AppState>, s: Session) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let rows = siyu_store::customers::list(&state.store, tenant, 100, 0)
        .await
        .map_err(|e| fail(e.into()))?;
    let (total, following) = siyu_store::customers::counts(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    let fans: Vec<Value> = rows
        .into_iter()
        .map(|c| {
            context! { label => c.nickname.clone().unwrap_or_else(|| c.id.clone()), id => c.id, following => c.following,
            first_scene => c.first_scene, last => c.last_interaction_at.map(format_time) }
        })
        .collect();
    Ok(page(
        &state,
        &s,
        "fans.html",
        "fans",
        context! { fans, total, following },
        StatusCode::OK,
    ))
}

/// `GET /console/fans/{id}`: one fan's profile, follow history and conversation.
pub(super) async fn fan(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let c = siyu_store::customers::get(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let identities: Vec<Value> = siyu_store::customers::identities(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|i| context! { kind => i.kind, value => i.value })
        .collect();
    let history: Vec<Value> = siyu_store::customers::follow_history(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|h| context! { at => format_time(h.at), action => h.action, scene => h.scene })
        .collect();
    let messages: Vec<Value> = siyu_store::inbound::for_customer(
        &state.store,
        tenant,
        &id,
        None,
        200,
    )
    .await
    .map_err(|e| fail(e.into()))?
    .into_iter()
    .map(|m| {
        let kind = match &m.event {
            Some(e) => format!("event:{e}"),
            None => m.msg_type.clone(),
        };
        context! { time => format_time(m.created_at), kind, content => m.content.or(m.event_key) }
    })
    .collect();
    let fan = context! {
        id => c.id, following => c.following, first_scene => c.first_scene, last_scene => c.last_scene,
        location => c.last_latitude.zip(c.last_longitude).map(|(a, b)| format!("{a:.5}, {b:.5}")),
    };
    Ok(page(
        &state,
        &s,
        "fan.html",
        "fans",
        context! { fan, identities, history, messages },
        StatusCode::OK,
    ))
}
