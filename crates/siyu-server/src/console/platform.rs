//! The platform operator's pages: every merchant on the deployment.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;

use super::login::parse_form;
use super::templates::format_time;
use super::{page, ConsoleError, Session};
use crate::error::ApiError;
use crate::services;
use crate::state::AppState;

fn is_platform_admin(r: Role) -> bool {
    r == Role::PlatformAdmin
}

async fn tenants_page(
    state: &AppState,
    s: &Session,
    new_key: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, ConsoleError> {
    s.require(state, is_platform_admin)?;
    let rows = siyu_store::tenants::list(&state.store)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let tenants: Vec<Value> = rows
        .into_iter()
        .map(|(t, staff)| context! { id => t.id.to_string(), name => t.name, staff, created => format_time(t.created_at) })
        .collect();
    let extra = context! { tenants, new_key, error };
    Ok(page(state, s, "platform.html", "platform", extra, status))
}

/// `GET /console/platform`.
pub(super) async fn tenants(
    State(state): State<AppState>,
    s: Session,
) -> Result<Response, ConsoleError> {
    tenants_page(&state, &s, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct TenantForm {
    name: String,
}

/// `POST /console/platform/tenants`: creates a merchant and shows its first API key once.
pub(super) async fn create_tenant(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> Result<Response, ConsoleError> {
    s.require(&state, is_platform_admin)?;
    let f: TenantForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    match services::create_tenant(&state.store, &f.name, &s.actor(), state.now()).await {
        Ok((_, key)) => tenants_page(&state, &s, Some(key.secret), None, StatusCode::CREATED).await,
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            tenants_page(&state, &s, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}
