//! Channel QR codes in the console: the list with figures and a chart, a channel's code and fans.

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;

use super::login::parse_form;
use super::templates::format_time;
use super::{page, PageResult, Session};
use crate::channels::{self, qr, NewChannel};
use crate::error::ApiError;
use crate::state::AppState;

fn yuan(fen: i64) -> String {
    siyu_domain::Fen(fen).to_string()
}

async fn list_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let rows = siyu_store::channels::list(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    let t = super::i18n::messages(s.lang);
    let mut channels = Vec::with_capacity(rows.len());
    let (mut names, mut follows, mut retained, mut unfollows, mut active) =
        (vec![], vec![], vec![], vec![], vec![]);
    for c in rows {
        let st = crate::api::channel_stats_of(state, tenant, &c)
            .await
            .map_err(&fail)?;
        names.push(c.name.clone());
        follows.push(st.new_follows);
        retained.push(st.retained_7d);
        unfollows.push(st.unfollows);
        active.push(st.active);
        channels.push(context! {
            id => c.id, name => c.name, kind => c.kind,
            cost_per_fan => st.cost_per_retained_fan_fen.map(yuan),
            stats => context! { scans => st.scans, new_follows => st.new_follows, unfollows => st.unfollows, retained_7d => st.retained_7d, active => st.active },
        });
    }
    let chart = context! {
        names, follows, retained, unfollows, active,
        labels => context! { follows => t["stat_follows"], retained => t["stat_retained_7d"], unfollows => t["stat_unfollows"], active => t["stat_active"] },
    };
    let extra = context! { channels, chart, kinds => channels::KINDS, error, can_manage => s.staff.role.can_view_admin() };
    Ok(page(state, s, "channels.html", "channels", extra, status))
}

/// `GET /console/channels`.
pub(super) async fn list(State(state): State<AppState>, s: Session) -> PageResult {
    list_page(&state, &s, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct ChannelForm {
    name: String,
    kind: String,
    cost_yuan: String,
    expires_in_days: String,
}

/// Parses a yuan amount typed by a person (`12`, `12.5`, `12.50`) into fen, exactly.
pub(super) fn parse_yuan(s: &str) -> Result<Option<i64>, ApiError> {
    let s = s.trim().trim_start_matches('¥');
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid("cost_yuan", "must be an amount like 12 or 12.50");
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .map(Some)
        .ok_or_else(bad)
}

/// `POST /console/channels`: creates a channel (asks WeChat for its code).
pub(super) async fn create(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: ChannelForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let cost_fen = parse_yuan(&f.cost_yuan)?;
        let expires_in_days = match f.expires_in_days.trim() {
            "" => None,
            d => Some(d.parse().map_err(|_| {
                ApiError::invalid("expires_in_days", "must be a whole number of days")
            })?),
        };
        let n = NewChannel {
            name: f.name,
            kind: f.kind,
            account_id: None,
            cost_fen,
            expires_in_days,
            staff_id: None,
        };
        channels::create(&state, &tenant, n, &s.actor()).await
    }
    .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/console/channels/{}", c.id)).into_response()),
        Err(e @ (ApiError::Validation { .. } | ApiError::Upstream(_))) => {
            let status = e.status();
            list_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/channels/{id}`: the code, the figures and the fans.
pub(super) async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let c = siyu_store::channels::get(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let st = crate::api::channel_stats_of(&state, tenant, &c)
        .await
        .map_err(&fail)?;
    let fans: Vec<Value> = siyu_store::channels::fans(&state.store, tenant, &c.scene, 200)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|f| context! { id => f.id, following => f.following, last => f.last_interaction_at.map(format_time) })
        .collect();
    let stats = context! { scans => st.scans, new_follows => st.new_follows, unfollows => st.unfollows, retained_7d => st.retained_7d, retained_30d => st.retained_30d, active => st.active };
    let w = siyu_store::channels::welcome(&state.store, &c.id)
        .await
        .map_err(|e| fail(e.into()))?
        .unwrap_or_default();
    let tags: Vec<String> = serde_json::from_str(&w.tags).unwrap_or_default();
    let welcome = context! { text => w.welcome_text, tags => tags.join("，") };
    let channel = context! { id => c.id, name => c.name, kind => c.kind, scene => c.scene };
    let can_edit = s.staff.role.can_view_admin();
    Ok(page(
        &state,
        &s,
        "channel.html",
        "channels",
        context! { channel, stats, fans, welcome, can_edit },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub(super) struct WelcomeForm {
    #[serde(default)]
    welcome_text: String,
    #[serde(default)]
    tags: String,
}

/// `POST /console/channels/{id}/welcome`: the channel's welcome message and tags.
pub(super) async fn welcome(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: axum::extract::Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: WelcomeForm = super::login::parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let input = crate::channels::WelcomeInput {
        welcome_text: Some(f.welcome_text),
        tags: f
            .tags
            .split([',', '，'])
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    };
    crate::channels::set_welcome(&state, &tenant, &id, input, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(axum::response::Redirect::to(&format!("/console/channels/{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct SizeQuery {
    size: Option<u32>,
}

/// `GET /console/channels/{id}/qr.png`.
pub(super) async fn qr_png(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<SizeQuery>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let c = siyu_store::channels::get(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let png = qr::png(&c.qr_url, qr::clamp_size(q.size).map_err(&fail)?).map_err(&fail)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// `GET /console/channels/{id}/qr.svg`.
pub(super) async fn qr_svg(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let c = siyu_store::channels::get(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml")],
        qr::svg(&c.qr_url).map_err(&fail)?,
    )
        .into_response())
}

/// `GET /console/me`: an associate's own QR code, figures and fans.
pub(super) async fn me(State(state): State<AppState>, s: Session) -> PageResult {
    me_page(&state, &s, None, StatusCode::OK).await
}

async fn me_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let mine = siyu_store::channels::of_staff(&state.store, tenant, s.staff.id.as_str())
        .await
        .map_err(|e| fail(e.into()))?;
    let mut channels = Vec::with_capacity(mine.len());
    for c in mine {
        let st = crate::api::channel_stats_of(state, tenant, &c)
            .await
            .map_err(&fail)?;
        let fans: Vec<Value> = siyu_store::channels::fans(&state.store, tenant, &c.scene, 100)
            .await
            .map_err(|e| fail(e.into()))?
            .into_iter()
            .map(|f| context! { id => f.id, following => f.following, last => f.last_interaction_at.map(format_time) })
            .collect();
        let stats = context! { new_follows => st.new_follows, retained_7d => st.retained_7d, active => st.active };
        channels.push(context! { id => c.id, stats, fans });
    }
    Ok(page(
        state,
        s,
        "me.html",
        "me",
        context! { channels, error },
        status,
    ))
}

/// `POST /console/me/channel`: creates the signed-in staff member's personal channel.
pub(super) async fn make_mine(State(state): State<AppState>, s: Session) -> PageResult {
    let tenant = s.tenant_id()?.clone();
    let n = NewChannel {
        name: format!("导购 {}", s.staff.login),
        kind: "associate".into(),
        account_id: None,
        cost_fen: None,
        expires_in_days: None,
        staff_id: Some(s.staff.id.to_string()),
    };
    match channels::create(&state, &tenant, n, &s.actor()).await {
        Ok(_) => Ok(Redirect::to("/console/me").into_response()),
        Err(e @ (ApiError::Validation { .. } | ApiError::Upstream(_))) => {
            let status = e.status();
            me_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_yuan;

    #[test]
    fn yuan_amounts_become_exact_fen() {
        assert_eq!(parse_yuan("12").unwrap(), Some(1200));
        assert_eq!(parse_yuan("12.5").unwrap(), Some(1250));
        assert_eq!(parse_yuan("¥0.05").unwrap(), Some(5));
        assert_eq!(parse_yuan(" ").unwrap(), None);
        for bad in ["1.234", "-1", "1e3", "abc", ".5"] {
            assert!(parse_yuan(bad).is_err(), "{bad}");
        }
    }
}
