//! The merchant's pages: dashboard, staff, audit log, settings.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::{ApiKeyId, Role, StaffId};

use super::login::parse_form;
use super::templates::format_time;
use super::{page, ConsoleError, Session};
use crate::error::ApiError;
use crate::services;
use crate::state::AppState;

use super::PageResult;

/// `GET /console`: the tenant's name and real counts.
pub(super) async fn dashboard(State(state): State<AppState>, s: Session) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let now = state.now();
    let st = &state.store;
    let counts = context! {
        staff => siyu_store::staff::count_active(st, tenant).await.map_err(|e| fail(e.into()))?,
        keys => siyu_store::api_keys::count_active(st, tenant, now).await.map_err(|e| fail(e.into()))?,
        audit => siyu_store::audit::count_since(st, tenant, now - 7 * 86_400_000).await.map_err(|e| fail(e.into()))?,
        jobs => siyu_store::jobs::queue_depth_for(st, tenant).await.map_err(|e| fail(e.into()))?,
        fans => siyu_store::customers::counts(st, tenant).await.map_err(|e| fail(e.into()))?.1,
        active => siyu_store::customers::active_since(st, tenant, now - siyu_domain::activity::ACTIVE_MS).await.map_err(|e| fail(e.into()))?,
    };
    Ok(page(
        &state,
        &s,
        "dashboard.html",
        "dashboard",
        context! { counts },
        StatusCode::OK,
    ))
}

async fn staff_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    let rows = siyu_store::staff::list(&state.store, tenant)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let staff: Vec<Value> = rows
        .into_iter()
        .map(|m| {
            context! { id => m.id.to_string(), login => m.login, role => m.role.as_str(),
            created => format_time(m.created_at), disabled => m.disabled_at.is_some() }
        })
        .collect();
    let extra = context! { staff, error, can_manage => s.staff.role.can_manage_tenant() };
    Ok(page(state, s, "staff.html", "staff", extra, status))
}

/// `GET /console/staff`.
pub(super) async fn staff(State(state): State<AppState>, s: Session) -> PageResult {
    staff_page(&state, &s, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct StaffForm {
    login: String,
    password: String,
    role: String,
}

/// `POST /console/staff`: owners add staff; a bad field re-shows the page with the reason.
pub(super) async fn create_staff(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let f: StaffForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let role = Role::parse(&f.role)?;
        if !role.is_tenant_role() {
            return Err(ApiError::invalid("role", "use owner, operator or clerk"));
        }
        services::create_staff(
            &state.store,
            Some(&tenant),
            &f.login,
            role,
            &f.password,
            &s.actor(),
            state.now(),
        )
        .await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/console/staff").into_response()),
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. })) => {
            let status = e.status();
            staff_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `POST /console/staff/{id}/disable`.
pub(super) async fn disable_staff(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?;
    let id = StaffId::parse(&id).map_err(|_| s.fail(&state)(ApiError::NotFound))?;
    if id == s.staff.id {
        return Err(s.fail(&state)(ApiError::invalid(
            "staff",
            "you cannot disable your own account",
        )));
    }
    services::disable_staff(&state.store, tenant, &id, &s.actor(), state.now())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to("/console/staff").into_response())
}

#[derive(Deserialize)]
pub(super) struct AuditQuery {
    before: Option<i64>,
}

async fn audit_entries(
    state: &AppState,
    s: &Session,
    before: Option<i64>,
) -> Result<Value, ConsoleError> {
    s.require(state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    const PAGE: i64 = 50;
    let rows = siyu_store::audit::list(&state.store, tenant, before, PAGE)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let next_before = (rows.len() as i64 == PAGE)
        .then(|| rows.last().map(|r| r.id))
        .flatten();
    let entries: Vec<Value> = rows
        .into_iter()
        .map(|e| {
            context! { time => format_time(e.at), actor => e.actor, action => e.action, target => e.target, detail => e.detail }
        })
        .collect();
    Ok(context! { entries, next_before })
}

/// `GET /console/audit`.
pub(super) async fn audit(State(state): State<AppState>, s: Session) -> PageResult {
    let extra = audit_entries(&state, &s, None).await?;
    Ok(page(
        &state,
        &s,
        "audit.html",
        "audit",
        extra,
        StatusCode::OK,
    ))
}

/// `GET /console/audit/rows?before=N`: the next rows, for htmx's "load more".
pub(super) async fn audit_rows(
    State(state): State<AppState>,
    s: Session,
    crate::extract::Query(q): crate::extract::Query<AuditQuery>,
) -> PageResult {
    let extra = audit_entries(&state, &s, q.before).await?;
    Ok(page(
        &state,
        &s,
        "audit_rows.html",
        "audit",
        extra,
        StatusCode::OK,
    ))
}

async fn settings_page(
    state: &AppState,
    s: &Session,
    notice: Option<&str>,
    new_key: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?;
    let rows = siyu_store::api_keys::list(&state.store, tenant)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let keys: Vec<Value> = rows
        .into_iter()
        .map(|k| {
            context! { id => k.id.to_string(), label => k.label, prefix => k.prefix, created => format_time(k.created_at),
            last_used => k.last_used_at.map(format_time), revoked => k.revoked_at.is_some() }
        })
        .collect();
    let extra = context! { keys, notice, new_key, error, tenant_id => tenant.to_string() };
    Ok(page(state, s, "settings.html", "settings", extra, status))
}

/// `GET /console/settings`.
pub(super) async fn settings(State(state): State<AppState>, s: Session) -> PageResult {
    settings_page(&state, &s, None, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct RenameForm {
    name: String,
}

/// `POST /console/settings`: renames the merchant.
pub(super) async fn rename(
    State(state): State<AppState>,
    mut s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let f: RenameForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    match services::rename_tenant(&state.store, &tenant, &f.name, &s.actor(), state.now()).await {
        Ok(()) => {
            if let Some(t) = s.tenant.as_mut() {
                t.name = f.name.trim().to_owned();
            }
            let saved = super::i18n::messages(s.lang)["saved"];
            settings_page(&state, &s, Some(saved), None, None, StatusCode::OK).await
        }
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            settings_page(&state, &s, None, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct KeyForm {
    label: String,
}

/// `POST /console/settings/keys`: creates a key and shows it once.
pub(super) async fn create_key(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let f: KeyForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    match services::create_api_key(
        &state.store,
        &tenant,
        &f.label,
        None,
        &s.actor(),
        state.now(),
    )
    .await
    {
        Ok(k) => settings_page(&state, &s, None, Some(k.secret), None, StatusCode::CREATED).await,
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            settings_page(&state, &s, None, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `POST /console/settings/keys/{id}/revoke`.
pub(super) async fn revoke_key(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?;
    let id = ApiKeyId::parse(&id).map_err(|_| s.fail(&state)(ApiError::NotFound))?;
    services::revoke_api_key(&state.store, tenant, &id, &s.actor(), state.now())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to("/console/settings").into_response())
}
