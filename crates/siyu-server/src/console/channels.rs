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
use crate::channels::{self, poster, print, qr, NewChannel};
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
    made: Option<&str>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let rows = siyu_store::channels::list(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    let mut batches = Vec::new();
    let mut made_batch = None;
    for b in siyu_store::channels::list_batches(&state.store, tenant, 20)
        .await
        .map_err(|e| fail(e.into()))?
    {
        let codes = siyu_store::channels::of_batch(&state.store, tenant, &b.id)
            .await
            .map_err(|e| fail(e.into()))?
            .len();
        let view = context! { id => b.id, name => b.name, kind => b.kind, count => codes, requested => b.count, created => format_time(b.created_at) };
        if made == Some(b.id.as_str()) {
            made_batch = Some(view.clone());
        }
        batches.push(view);
    }
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
    let extra = context! { channels, chart, kinds => channels::KINDS, error, can_manage => s.staff.role.can_view_admin(), batches, made_batch, batch_max => channels::BATCH_MAX };
    Ok(page(state, s, "channels.html", "channels", extra, status))
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    batch: Option<String>,
}

/// `GET /console/channels` (`?batch=cb_…` after a batch was made: its downloads on top).
pub(super) async fn list(
    State(state): State<AppState>,
    s: Session,
    crate::extract::Query(q): crate::extract::Query<ListQuery>,
) -> PageResult {
    list_page(&state, &s, None, StatusCode::OK, q.batch.as_deref()).await
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
    siyu_domain::money::hundredths(s)
        .map(Some)
        .ok_or_else(|| ApiError::invalid("cost_yuan", "must be an amount like 12 or 12.50"))
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
            list_page(&state, &s, Some(e.to_string()), status, None).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct BatchForm {
    prefix: String,
    kind: String,
    count: String,
    #[serde(default)]
    start: String,
}

/// `POST /console/channels/batch`: makes a batch of codes (e.g. 300 table codes), then shows
/// its ZIP and PDF downloads.
pub(super) async fn create_batch(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: BatchForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let number = |field: &str, v: &str| -> Result<Option<u32>, ApiError> {
            match v.trim() {
                "" => Ok(None),
                v => v
                    .parse()
                    .map(Some)
                    .map_err(|_| ApiError::invalid(field, "must be a whole number")),
            }
        };
        let n = channels::NewBatch {
            prefix: f.prefix,
            kind: f.kind,
            count: number("count", &f.count)?.unwrap_or(0),
            start: number("start", &f.start)?,
            account_id: None,
        };
        channels::create_batch(&state, &tenant, n, &s.actor()).await
    }
    .await;
    match result {
        Ok(made) => {
            Ok(Redirect::to(&format!("/console/channels?batch={}", made.batch.id)).into_response())
        }
        Err(e @ (ApiError::Validation { .. } | ApiError::Upstream(_))) => {
            let status = e.status();
            list_page(&state, &s, Some(e.to_string()), status, None).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/channel-batches/{id}/codes.zip`: the batch's PNGs (1024 px) in a ZIP.
pub(super) async fn batch_zip(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let (b, codes) = channels::batch_codes(&state, tenant, &id)
        .await
        .map_err(&fail)?;
    let at = b.created_at;
    let zip = channels::render(move || print::codes_zip(&codes, 1024, at))
        .await
        .map_err(&fail)?;
    Ok(super::attachment(
        "application/zip",
        &format!("{}.zip", b.id),
        zip,
    ))
}

/// `GET /console/channel-batches/{id}/codes.pdf`: the batch on A4 pages, 12 codes a page.
pub(super) async fn batch_pdf(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let (b, codes) = channels::batch_codes(&state, tenant, &id)
        .await
        .map_err(&fail)?;
    let pdf = channels::render(move || print::codes_pdf(&codes, &b.name))
        .await
        .map_err(&fail)?;
    Ok(super::attachment(
        "application/pdf",
        &format!("{}.pdf", b.id),
        pdf,
    ))
}

#[derive(Deserialize)]
pub(super) struct PosterForm {
    title: Option<String>,
    caption: Option<String>,
    bg: Option<String>,
    fg: Option<String>,
    logo: Option<String>,
}

async fn poster_for(
    state: &AppState,
    s: &Session,
    id: &str,
    q: &PosterForm,
) -> Result<(siyu_store::channels::Channel, poster::Poster), crate::console::ConsoleError> {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let c = siyu_store::channels::get(&state.store, tenant, id)
        .await
        .map_err(|e| fail(e.into()))?;
    let logo = match q.logo.as_deref().map(str::trim) {
        None | Some("") => true,
        given => channels::flag("logo", given).map_err(&fail)?,
    };
    let p = poster::Poster::from_params(
        &c.name,
        q.title.as_deref(),
        q.caption.as_deref(),
        q.bg.as_deref(),
        q.fg.as_deref(),
        logo,
    )
    .map_err(&fail)?;
    Ok((c, p))
}

/// `GET /console/channels/{id}/poster.svg`: the printable poster.
pub(super) async fn poster_svg(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<PosterForm>,
) -> PageResult {
    let (c, p) = poster_for(&state, &s, &id, &q).await?;
    let svg = poster::svg(&p, &c.qr_url).map_err(s.fail(&state))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `GET /console/channels/{id}/poster.png`: the poster's layout without its text.
pub(super) async fn poster_png(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    crate::extract::Query(q): crate::extract::Query<PosterForm>,
) -> PageResult {
    let (c, p) = poster_for(&state, &s, &id, &q).await?;
    let png = channels::render(move || poster::png(&p, &c.qr_url))
        .await
        .map_err(s.fail(&state))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
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
    let templates: Vec<Value> = siyu_store::vouchers::templates(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|t| context! { id => t.id, name => t.name })
        .collect();
    let welcome = context! { text => w.welcome_text, tags => tags.join("，"), voucher => w.voucher_template_id, templates };
    let channel = context! { id => c.id, name => c.name, kind => c.kind, scene => c.scene, default_caption => poster::DEFAULT_CAPTION };
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
    #[serde(default)]
    voucher_template_id: String,
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
        voucher_template_id: Some(f.voucher_template_id),
    };
    crate::channels::set_welcome(&state, &tenant, &id, input, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(axum::response::Redirect::to(&format!("/console/channels/{id}")).into_response())
}

#[derive(Deserialize)]
pub(super) struct SizeQuery {
    size: Option<u32>,
    logo: Option<String>,
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
    let size = qr::clamp_size(q.size).map_err(&fail)?;
    let png = if channels::flag("logo", q.logo.as_deref()).map_err(&fail)? {
        qr::png_with_logo(&c.qr_url, size)
    } else {
        qr::png(&c.qr_url, size)
    }
    .map_err(&fail)?;
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
