//! Prize draws in the console (create, watch, close, export) and the fan's H5 draw page with
//! the wheel.

use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;

use super::i18n::{self, Lang};
use super::login::parse_form;
use super::templates::format_time;
use super::{page, CsrfToken, PageResult, Session};
use crate::draws::{self, DrawSettings, NewCampaign, NewPrize};
use crate::error::ApiError;
use crate::state::AppState;

/// Entries shown on a campaign's page.
const RECENT: usize = 50;
/// Wheel colours, repeated.
const COLOURS: [&str; 6] = [
    "#07c160", "#3370ff", "#ff8800", "#d83931", "#8e44ad", "#16a085",
];

async fn list_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let rows = siyu_store::draws::list(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    let campaigns: Vec<Value> = rows
        .into_iter()
        .map(|c| context! { id => c.id, name => c.name, state => c.state, entries => c.entries, created => format_time(c.created_at) })
        .collect();
    let templates: Vec<Value> = siyu_store::vouchers::templates(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|t| context! { id => t.id, name => t.name })
        .collect();
    Ok(page(
        state,
        s,
        "draws.html",
        "draws",
        context! { campaigns, templates, error, can_edit => s.staff.role.can_view_admin() },
        status,
    ))
}

/// `GET /console/draws`.
pub(super) async fn list(State(state): State<AppState>, s: Session) -> PageResult {
    list_page(&state, &s, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct DrawForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    prizes: String,
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    per_day_limit: String,
    #[serde(default)]
    total_limit: String,
}

/// Parses a percentage with up to two decimals (`1.5` → 150 basis points).
fn percent_bp(s: &str, line: usize) -> Result<u32, ApiError> {
    siyu_domain::money::hundredths(s.trim().trim_end_matches('%'))
        .and_then(|bp| u32::try_from(bp).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                "prizes",
                format!("line {line}: the chance must be a percentage like 5 or 0.5"),
            )
        })
}

/// Prizes as typed, and the voucher template of each prize that has one (by position).
type TypedPrizes = (Vec<NewPrize>, Vec<(usize, String)>);

/// Prize lines `名称, 概率%, 数量[, 券模板 id]`, one per line.
fn parse_prizes(text: &str) -> Result<TypedPrizes, ApiError> {
    let mut prizes = Vec::new();
    let mut vouchers = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let parts: Vec<&str> = line.split([',', '，']).map(str::trim).collect();
        if parts.len() < 3 || parts.len() > 4 {
            return Err(ApiError::invalid(
                "prizes",
                format!("line {n}: write name, chance %, stock[, voucher template id]"),
            ));
        }
        let stock: u32 = parts[2].parse().map_err(|_| {
            ApiError::invalid(
                "prizes",
                format!("line {n}: the stock must be a whole number"),
            )
        })?;
        if let Some(t) = parts.get(3).filter(|t| !t.is_empty()) {
            vouchers.push((prizes.len(), (*t).to_owned()));
        }
        prizes.push(NewPrize {
            name: parts[0].to_owned(),
            odds_bp: percent_bp(parts[1], n)?,
            stock,
        });
    }
    if prizes.is_empty() {
        return Err(ApiError::invalid("prizes", "add at least one prize"));
    }
    Ok((prizes, vouchers))
}

fn limit(s: &str, field: &str) -> Result<Option<i64>, ApiError> {
    match s.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, "must be a whole number")),
    }
}

/// `POST /console/draws`: creates a campaign (and its keyword and voucher prizes).
pub(super) async fn create(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: DrawForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let (prizes, vouchers) = parse_prizes(&f.prizes)?;
        for (_, t) in &vouchers {
            siyu_store::vouchers::template(&state.store, &tenant, t)
                .await
                .map_err(|_| ApiError::invalid("prizes", format!("no voucher template {t}")))?;
        }
        let n = NewCampaign {
            name: f.name.clone(),
            prizes,
            starts_at: None,
            ends_at: None,
            per_day_limit: limit(&f.per_day_limit, "per_day_limit")?,
            total_limit: limit(&f.total_limit, "total_limit")?,
        };
        let c = draws::create(&state, &tenant, n, &s.actor()).await?;
        let settings = DrawSettings {
            keyword: Some(f.keyword.clone()),
            prize_vouchers: vouchers
                .into_iter()
                .map(|(i, t)| (i.to_string(), t))
                .collect(),
        };
        draws::set_settings(&state, &tenant, &c.id, settings, &s.actor()).await?;
        Ok::<_, ApiError>(c)
    }
    .await;
    match result {
        Ok(c) => Ok(Redirect::to(&format!("/console/draws/{}", c.id)).into_response()),
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            list_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/draws/{id}`: the commitment, the prizes left, the latest entries.
pub(super) async fn detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let c = siyu_store::draws::get(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let settings = draws::settings(&state, tenant, &id).await.map_err(&fail)?;
    let prizes = siyu_store::draws::prizes(&state.store, &c.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let names: Vec<String> = prizes.iter().map(|p| p.name.clone()).collect();
    let prize_rows: Vec<Value> = prizes
        .iter()
        .map(|p| {
            context! { name => p.name, odds => format!("{}.{:02}%", p.odds_bp / 100, p.odds_bp % 100),
            stock => p.stock, remaining => p.remaining, voucher => settings.prize_vouchers.get(&p.idx.to_string()) }
        })
        .collect();
    let entries = siyu_store::draws::entries(&state.store, &c.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let won = entries.iter().filter(|e| e.awarded.is_some()).count();
    let recent: Vec<Value> = entries
        .iter()
        .rev()
        .take(RECENT)
        .map(|e| {
            context! { seq => e.seq, customer => e.customer_id, at => format_time(e.at),
            prize => e.awarded.and_then(|i| usize::try_from(i).ok()).and_then(|i| names.get(i).cloned()) }
        })
        .collect();
    let campaign = context! { id => c.id, name => c.name, state => c.state, commitment => c.commitment,
    seed => c.revealed_seed, entries => c.entries, won, keyword => settings.keyword, menu_key => format!("DRAW:{}", c.id) };
    Ok(page(
        &state,
        &s,
        "draw.html",
        "draws",
        context! { campaign, prizes => prize_rows, recent, can_edit => s.staff.role.can_view_admin() },
        StatusCode::OK,
    ))
}

/// `POST /console/draws/{id}/close`: closes the campaign and reveals the seed.
pub(super) async fn close(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    draws::close(&state, &tenant, &id, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to(&format!("/console/draws/{id}")).into_response())
}

/// `GET /console/draws/{id}/export.json`: what `siyu draw verify` checks.
pub(super) async fn export(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let e = draws::export(&state, tenant, &id)
        .await
        .map_err(s.fail(&state))?;
    let body = serde_json::to_string_pretty(&e).map_err(|_| s.fail(&state)(ApiError::Internal))?;
    Ok(super::attachment(
        "application/json",
        &format!("draw-{id}.json"),
        body,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct LangQuery {
    #[serde(default)]
    lang: String,
}

/// The wheel: one slice per prize (by chance) and one for no prize.
fn wheel(
    prizes: &[siyu_store::draws::PrizeRow],
    t: &std::collections::BTreeMap<&str, &str>,
) -> (String, Vec<Value>) {
    let mut stops = Vec::new();
    let mut labels = Vec::new();
    let mut at = 0.0f64;
    let total: i64 = prizes.iter().map(|p| p.odds_bp).sum();
    let mut slices: Vec<(String, f64, &str)> = prizes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.name.clone(),
                p.odds_bp as f64 / 100.0,
                COLOURS[i % COLOURS.len()],
            )
        })
        .collect();
    slices.push((
        t["draw_no_prize"].to_owned(),
        (10_000 - total).max(0) as f64 / 100.0,
        "#dddddd",
    ));
    // Small chances are widened to stay visible; the wheel shows prizes, the odds are in the list.
    let shown: f64 = slices.iter().map(|s| s.1.max(4.0)).sum();
    for (name, pct, colour) in &slices {
        let width = pct.max(4.0) / shown * 360.0;
        stops.push(format!("{colour} {at:.1}deg {:.1}deg", at + width));
        labels.push(context! { name, mid => at + width / 2.0, pct => format!("{pct:.2}%") });
        at += width;
    }
    (format!("conic-gradient({})", stops.join(", ")), labels)
}

async fn h5_render(
    state: &AppState,
    signed: &str,
    lang: Lang,
    csrf: &str,
    last: Option<Value>,
) -> Response {
    let t = i18n::messages(lang);
    let shown = async {
        let (tenant, campaign, customer) = draws::open_h5(state, signed).ok_or(ApiError::NotFound)?;
        let c = siyu_store::draws::get(&state.store, &tenant, &campaign).await?;
        siyu_store::profiles::canonical(&state.store, &tenant, &customer).await?;
        let prizes = siyu_store::draws::prizes(&state.store, &c.id).await?;
        let mine = siyu_store::draws::entries_of(&state.store, &c.id, &customer).await?;
        let names: Vec<String> = prizes.iter().map(|p| p.name.clone()).collect();
        let mut rows = Vec::with_capacity(mine.len());
        for e in &mine {
            // A prize that is a voucher links to the voucher's own page once it is issued.
            let voucher = if e.awarded.is_some() {
                siyu_store::vouchers::by_source(&state.store, &tenant, &format!("draw:{}", e.entry_id)).await?
            } else {
                None
            };
            rows.push(context! { seq => e.seq, at => format_time(e.at), voucher,
                prize => e.awarded.and_then(|i| usize::try_from(i).ok()).and_then(|i| names.get(i).cloned()) });
        }
        let mine = rows;
        let (gradient, labels) = wheel(&prizes, &t);
        Ok::<_, ApiError>(context! { name => c.name, open => c.state == "open", commitment => c.commitment,
            seed => c.revealed_seed, gradient, labels, mine })
    }
    .await;
    match shown {
        Ok(draw) => match state.templates.render(
            "h5_draw.html",
            context! { t, draw, last, csrf, signed, lang => if lang == Lang::En { "en" } else { "zh" } },
        ) {
            Ok(html) => Html(html).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => (
            e.status(),
            Html(format!("<!doctype html><meta charset=utf-8><title>{0}</title><p>{0}</p>", t["draw_not_found"])),
        )
            .into_response(),
    }
}

/// `GET /h5/draw/{signed}`: the fan's wheel and results.
pub(super) async fn h5(
    State(state): State<AppState>,
    Path(signed): Path<String>,
    Query(q): Query<LangQuery>,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    let lang = if q.lang == "en" { Lang::En } else { Lang::Zh };
    h5_render(&state, &signed, lang, &csrf.0, None).await
}

/// `POST /h5/draw/{signed}`: one more entry; the wheel spins to the result.
pub(super) async fn h5_enter(
    State(state): State<AppState>,
    Path(signed): Path<String>,
    Query(q): Query<LangQuery>,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    let lang = if q.lang == "en" { Lang::En } else { Lang::Zh };
    let Some((tenant, campaign, customer)) = draws::open_h5(&state, &signed) else {
        return h5_render(&state, &signed, lang, &csrf.0, None).await;
    };
    let result = draws::enter(&state, &tenant, &campaign, &customer).await;
    let last = match &result {
        Ok(e) => {
            context! { won => e.prize.as_ref().map(|p| p.name.clone()), index => e.prize.as_ref().map(|p| p.index), seq => e.seq }
        }
        Err(e) => context! { error => draws::refusal(e) },
    };
    h5_render(&state, &signed, lang, &csrf.0, Some(last)).await
}
