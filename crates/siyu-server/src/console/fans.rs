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

#[derive(Deserialize)]
pub(super) struct FansQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
}

/// `GET /console/fans`: the tenant's customers, most recently active first; `q` finds a
/// customer by any identity (`phone:138…`, `taobao:小明`, or a bare phone number), `tag` filters.
pub(super) async fn fans(
    State(state): State<AppState>,
    s: Session,
    axum::extract::Query(query): axum::extract::Query<FansQuery>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let q = query.q.trim().to_owned();
    let tag = query.tag.trim().to_owned();
    let mut error = None;
    let rows = if !q.is_empty() {
        let ident = if q.contains(':') {
            q.clone()
        } else {
            format!("phone:{q}")
        };
        match crate::api::find_customers_by_identity(&state, tenant, &ident).await {
            Ok(ids) => {
                let mut rows = Vec::new();
                for id in ids {
                    rows.push(
                        siyu_store::customers::get(&state.store, tenant, &id)
                            .await
                            .map_err(|e| fail(e.into()))?,
                    );
                }
                rows
            }
            Err(e @ ApiError::Validation { .. }) => {
                error = Some(e.to_string());
                Vec::new()
            }
            Err(e) => return Err(fail(e)),
        }
    } else if !tag.is_empty() {
        siyu_store::customers::with_tag(&state.store, tenant, &tag, 100)
            .await
            .map_err(|e| fail(e.into()))?
    } else {
        siyu_store::customers::list(&state.store, tenant, 100, 0)
            .await
            .map_err(|e| fail(e.into()))?
    };
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
        context! { fans, total, following, q, tag, error },
        StatusCode::OK,
    ))
}

/// `GET /console/fans/{id}`: one customer across every channel: identities and where they
/// came from, attributes, tags, follow history, conversation and merge history.
pub(super) async fn fan(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    fan_page(&state, &s, &id, None, StatusCode::OK).await
}

async fn fan_page(
    state: &AppState,
    s: &Session,
    id: &str,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let p = crate::identity::view::load(state, tenant, id)
        .await
        .map_err(&fail)?;
    let identities: Vec<Value> = p
        .identities
        .iter()
        .map(|i| context! { kind => i.kind, value => i.value, scope => i.scope, source => i.source, at => format_time(i.created_at) })
        .collect();
    let attributes: Vec<Value> = p
        .attributes
        .iter()
        .map(|(k, v)| context! { name => k, value => match v { serde_json::Value::String(s) => s.clone(), other => other.to_string() } })
        .collect();
    let history: Vec<Value> = siyu_store::customers::follow_history(&state.store, tenant, &p.id)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|h| context! { at => format_time(h.at), action => h.action, scene => h.scene })
        .collect();
    let messages: Vec<Value> = siyu_store::inbound::for_customer(
        &state.store,
        tenant,
        &p.id,
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
    let merges: Vec<Value> = siyu_store::profiles::merges_of(&state.store, tenant, &p.id)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|m| context! { id => m.id, reason => m.reason, survivor => m.survivor_id, absorbed => m.absorbed_id,
            source => m.source, at => format_time(m.at), undone => m.undone_at.map(format_time) })
        .collect();
    let orders: Vec<Value> = siyu_store::profiles::orders_of(&state.store, tenant, &p.id)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|o| context! { source => o.source, order_id => o.order_id, amount => siyu_domain::Fen(o.amount_fen).to_string(),
            state => o.state, items => o.items.or(o.sku), at => o.ordered_at.map(format_time) })
        .collect();
    let p_id = p.id.clone();
    let consents: Vec<Value> = crate::identity::CONSENT_PURPOSES
        .iter()
        .map(|purpose| {
            let c = p.consents.iter().find(|c| c.purpose == *purpose);
            context! { purpose, granted => c.map(|c| c.granted), at => c.map(|c| format_time(c.at)), source => c.map(|c| c.source.clone()) }
        })
        .collect();
    let activity = context! { state => serde_json::to_value(p.activity.state).ok().and_then(|v| v.as_str().map(str::to_owned)),
    score => p.activity.score, recent => p.activity.interactions_30d };
    let rfm = p.rfm.as_ref().map(|r| context! { segment => r.segment, r => r.r, f => r.f, m => r.m,
        orders => r.frequency, total => siyu_domain::Fen(r.monetary_fen).to_string(), days => r.recency_days });
    let fan = context! {
        name => p.attributes.get("name").and_then(|n| n.as_str().map(str::to_owned)),
        id => p.id, nickname => p.nickname, following => p.following, first_scene => p.first_scene, last_scene => p.last_scene,
        first_channel => p.first_channel, last_channel => p.last_channel, tags => p.tags,
        merged_ids => p.members.iter().skip(1).map(|m| m.id.clone()).collect::<Vec<_>>(),
        location => p.last_location.map(|[a, b]| format!("{a:.5}, {b:.5}")),
    };
    let can_edit = s.staff.role.can_view_admin();
    let can_erase = s.staff.role.can_manage_tenant();
    let (card, has_program) = super::membership::on_profile(state, s, &p_id)
        .await
        .map_err(&fail)?;
    Ok(page(
        state,
        s,
        "fan.html",
        "fans",
        context! { fan, identities, attributes, history, messages, merges, orders, error, can_edit, can_erase, card, has_program, activity, rfm, consents },
        status,
    ))
}

#[derive(Deserialize)]
pub(super) struct TagForm {
    #[serde(default)]
    add: String,
    #[serde(default)]
    remove: String,
}

/// `POST /console/fans/{id}/tags`: adds comma-separated tags, or removes one.
pub(super) async fn tags(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: TagForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let split = |v: &str| -> Vec<String> {
        v.split([',', '，'])
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect()
    };
    match crate::identity::retag(
        &state,
        &tenant,
        &id,
        &split(&f.add),
        &split(&f.remove),
        &s.actor(),
    )
    .await
    {
        Ok(root) => Ok(Redirect::to(&format!("/console/fans/{root}")).into_response()),
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            fan_page(&state, &s, &id, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `POST /console/merges/{id}/undo`: undoes a merge, then shows the profile that survived it.
pub(super) async fn undo_merge(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let merge = siyu_store::profiles::merge_by_id(&state.store, &tenant, &id)
        .await
        .map_err(|e| s.fail(&state)(e.into()))?;
    match crate::identity::undo_merge(&state, &tenant, &id, &s.actor()).await {
        Ok(m) => Ok(Redirect::to(&format!("/console/fans/{}", m.survivor_id)).into_response()),
        Err(e @ ApiError::Conflict { .. }) => {
            let status = e.status();
            fan_page(&state, &s, &merge.survivor_id, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/fans/{id}/export`: everything held about the customer, as a JSON download.
pub(super) async fn export(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let data = crate::identity::export(&state, &tenant, &id)
        .await
        .map_err(s.fail(&state))?;
    let body =
        serde_json::to_string_pretty(&data).map_err(|_| s.fail(&state)(ApiError::Internal))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"customer-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// `POST /console/fans/{id}/erase`: erases the customer (owners only).
pub(super) async fn erase(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    crate::identity::erase_customer(&state, &tenant, &id, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to("/console/fans?erased=1").into_response())
}

/// `POST /console/fans/{id}/consents`: records what the customer agreed to (checked boxes are
/// given, the others withdrawn).
pub(super) async fn consents(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: std::collections::HashMap<String, String> =
        parse_form(req, state.config.body_limit_bytes)
            .await
            .map_err(s.fail(&state))?;
    let given = crate::identity::CONSENT_PURPOSES
        .iter()
        .map(|p| ((*p).to_owned(), f.contains_key(*p)))
        .collect();
    let root = crate::identity::set_consents(&state, &tenant, &id, &given, "console", &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to(&format!("/console/fans/{root}")).into_response())
}

/// `GET /console/conflicts`: profiles tied together but kept apart, for review.
pub(super) async fn conflicts(State(state): State<AppState>, s: Session) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    let rows = siyu_store::profiles::conflicts(&state.store, tenant, 200)
        .await
        .map_err(|e| s.fail(&state)(e.into()))?;
    let conflicts: Vec<Value> = rows
        .into_iter()
        .map(|c| context! { kind => c.kind, kept => c.kept_id, apart => c.apart_id, via => c.via, at => format_time(c.at) })
        .collect();
    Ok(page(
        &state,
        &s,
        "conflicts.html",
        "fans",
        context! { conflicts },
        StatusCode::OK,
    ))
}
