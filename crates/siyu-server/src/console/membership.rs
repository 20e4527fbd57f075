//! Membership in the console: the program (levels, points rules, expiry), a clerk's member
//! page (scan the card, record a purchase, a check-in or spent points), and a card on the
//! customer's profile. Also the card's H5 page for the customer's phone.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::points::Level;
use siyu_domain::Role;

use super::channels::parse_yuan;
use super::i18n::{self, Lang};
use super::login::parse_form;
use super::templates::format_time;
use super::{page, PageResult, Session};
use crate::error::ApiError;
use crate::membership::{self, CardView, PointsInput, ProgramInput};
use crate::state::AppState;

async fn program_page(
    state: &AppState,
    s: &Session,
    form: Option<Value>,
    error: Option<String>,
    saved: bool,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let program = membership::program(state, tenant).await.map_err(&fail)?;
    let form = form.unwrap_or_else(|| match &program {
        Some(p) => context! {
            name => p.name, basis => p.basis, points_per_yuan => p.points_per_yuan, checkin_points => p.checkin_points,
            referral_points => p.referral_points, expiry_days => p.expiry_days,
            levels => p.levels.iter().map(|l| format!("{} {}", l.name, l.min)).collect::<Vec<_>>().join("\n"),
        },
        None => context! {
            name => "", basis => "points", points_per_yuan => 1, checkin_points => 5, referral_points => 50, expiry_days => 365,
            levels => "普通会员 0\n银卡 500\n金卡 2000",
        },
    });
    let extra = context! { form, error, saved, exists => program.is_some(), can_manage => s.staff.role.can_manage_tenant() };
    Ok(page(
        state,
        s,
        "membership.html",
        "membership",
        extra,
        status,
    ))
}

/// `GET /console/membership`.
pub(super) async fn program(State(state): State<AppState>, s: Session) -> PageResult {
    program_page(&state, &s, None, None, false, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct ProgramForm {
    name: String,
    basis: String,
    levels: String,
    points_per_yuan: String,
    checkin_points: String,
    referral_points: String,
    expiry_days: String,
}

fn parse_levels(text: &str) -> Result<Vec<Level>, ApiError> {
    let mut out = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (name, min) = line
            .trim()
            .rsplit_once(char::is_whitespace)
            .ok_or_else(|| {
                ApiError::invalid(
                    "levels",
                    format!(
                        "line {}: write a name and a threshold, like 金卡 2000",
                        i + 1
                    ),
                )
            })?;
        let min = min.trim().parse().map_err(|_| {
            ApiError::invalid(
                "levels",
                format!("line {}: \"{}\" is not a whole number", i + 1, min.trim()),
            )
        })?;
        out.push(Level {
            name: name.trim().to_owned(),
            min,
        });
    }
    Ok(out)
}

/// `POST /console/membership`: saves the program; a bad field re-shows the form with why.
pub(super) async fn save_program(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let f: ProgramForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let number = |field: &str, v: &str| -> Result<i64, ApiError> {
        v.trim()
            .parse()
            .map_err(|_| ApiError::invalid(field, "must be a whole number"))
    };
    let input = (|| {
        Ok::<_, ApiError>(ProgramInput {
            name: f.name.clone(),
            basis: f.basis.clone(),
            levels: parse_levels(&f.levels)?,
            points_per_yuan: number("points_per_yuan", &f.points_per_yuan)?,
            checkin_points: number("checkin_points", &f.checkin_points)?,
            referral_points: number("referral_points", &f.referral_points)?,
            expiry_days: number("expiry_days", &f.expiry_days)?,
        })
    })();
    let result = match input {
        Ok(input) => membership::put_program(&state, &tenant, input, &s.actor()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => program_page(&state, &s, None, None, true, StatusCode::OK).await,
        Err(e @ ApiError::Validation { .. }) => {
            let form = context! { name => f.name, basis => f.basis, levels => f.levels, points_per_yuan => f.points_per_yuan,
            checkin_points => f.checkin_points, referral_points => f.referral_points, expiry_days => f.expiry_days };
            let status = e.status();
            program_page(&state, &s, Some(form), Some(e.to_string()), false, status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

fn card_context(c: &CardView) -> Value {
    let ledger: Vec<Value> = c
        .ledger
        .iter()
        .take(50)
        .map(|r| context! { at => format_time(r.at), kind => r.kind, reason => r.reason, points => r.points, reference => r.r#ref, note => r.note })
        .collect();
    context! {
        id => c.id, customer_id => c.customer_id, number => c.card_number, program => c.program, level => c.level,
        next_level => c.next_level.as_ref().map(|n| context! { name => n.name, needed => n.needed }),
        points => c.points, expiring_soon => c.expiring_soon, lifetime => c.lifetime_points,
        spend => siyu_domain::Fen(c.spend_fen).to_string(), code => c.code, h5_path => c.h5_path, ledger,
    }
}

#[derive(Deserialize)]
pub(super) struct MemberQuery {
    #[serde(default)]
    code: String,
}

async fn member_page(
    state: &AppState,
    s: &Session,
    code: &str,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let code = code.trim();
    let mut error = error;
    let mut card = None;
    if !code.is_empty() {
        match membership::check_card_code(state, tenant, code) {
            None => error = Some(i18n::messages(s.lang)["card_code_invalid"].to_owned()),
            Some(number) => {
                match siyu_store::membership::card_by_number(&state.store, tenant, &number).await {
                    Ok(c) => {
                        let p = crate::identity::view::load(state, tenant, &c.customer_id)
                            .await
                            .map_err(s.fail(state))?;
                        let v = membership::view(state, tenant, c, false)
                            .await
                            .map_err(s.fail(state))?;
                        card = Some((
                            card_context(&v),
                            p.attributes
                                .get("name")
                                .and_then(|n| n.as_str().map(str::to_owned))
                                .or(p.nickname),
                            p.id,
                        ));
                    }
                    Err(siyu_store::StoreError::NotFound) => {
                        error = Some(i18n::messages(s.lang)["card_code_invalid"].to_owned())
                    }
                    Err(e) => return Err(s.fail(state)(e.into())),
                }
            }
        }
    }
    let (card, name, customer) = match card {
        Some((c, n, id)) => (Some(c), n, Some(id)),
        None => (None, None, None),
    };
    Ok(page(
        state,
        s,
        "member.html",
        "member",
        context! { code, card, name, customer, notice, error },
        status,
    ))
}

/// `GET /console/member?code=…`: the clerk's page: scan a member card, see the member.
pub(super) async fn member(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<MemberQuery>,
) -> PageResult {
    member_page(&state, &s, &q.code, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct PointsForm {
    code: String,
    reason: String,
    #[serde(default)]
    amount_yuan: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    reference: String,
}

/// `POST /console/member/points`: a purchase, a check-in or spent points on the scanned card.
pub(super) async fn points(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    let tenant = s.tenant_id()?.clone();
    let f: PointsForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let number = membership::check_card_code(&state, &tenant, &f.code)
            .ok_or_else(|| ApiError::invalid("code", "not a genuine member card code"))?;
        let card = siyu_store::membership::card_by_number(&state.store, &tenant, &number).await?;
        let amount_fen = parse_yuan(&f.amount_yuan)
            .map_err(|_| ApiError::invalid("amount_yuan", "must be an amount like 36 or 36.50"))?;
        let points = match f.points.trim() {
            "" => None,
            p => Some(
                p.parse()
                    .map_err(|_| ApiError::invalid("points", "must be a whole number"))?,
            ),
        };
        let input = PointsInput {
            reason: f.reason.clone(),
            reference: Some(f.reference.clone()),
            amount_fen,
            points,
            note: None,
        };
        membership::record_points(&state, &tenant, &card.customer_id, &input, &s.actor()).await
    }
    .await;
    let m = i18n::messages(s.lang);
    match result {
        Ok(v) => {
            let notice = if v.recorded {
                m["points_recorded"]
            } else {
                m["points_repeat"]
            };
            member_page(
                &state,
                &s,
                &f.code,
                Some(notice.to_owned()),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. })) => {
            let status = e.status();
            member_page(&state, &s, &f.code, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `POST /console/fans/{id}/card`: issues the customer's card.
pub(super) async fn issue(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let (card, _) = membership::issue_card(&state, &tenant, &id, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    Ok(Redirect::to(&format!("/console/fans/{}", card.customer_id)).into_response())
}

/// The card on a profile page, if the customer has one: `(card, program exists)`.
pub(super) async fn on_profile(
    state: &AppState,
    s: &Session,
    customer: &str,
) -> Result<(Option<Value>, bool), ApiError> {
    let tenant = s.tenant_id().map_err(|_| ApiError::Forbidden)?;
    let exists = membership::program(state, tenant).await?.is_some();
    match membership::card_of(state, tenant, customer).await {
        Ok(card) => Ok((
            Some(card_context(
                &membership::view(state, tenant, card, false).await?,
            )),
            exists,
        )),
        Err(ApiError::NotFound) => Ok((None, exists)),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub(super) struct LangQuery {
    #[serde(default)]
    lang: String,
}

/// `GET /h5/card/{signed}`: the member card on the customer's phone (WeChat's browser): level,
/// points and the QR code the clerk scans. The link is signed, so it cannot be guessed.
pub(super) async fn h5_card(
    State(state): State<AppState>,
    Path(signed): Path<String>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = if q.lang == "en" { Lang::En } else { Lang::Zh };
    let t = i18n::messages(lang);
    let shown = async {
        let (tenant, card_id) = membership::open_h5(&state, &signed).ok_or(ApiError::NotFound)?;
        let card = siyu_store::membership::card(&state.store, &tenant, &card_id).await?;
        // An erased customer's card page is gone with them.
        siyu_store::profiles::canonical(&state.store, &tenant, &card.customer_id).await?;
        let v = membership::view(&state, &tenant, card, false).await?;
        let qr = crate::channels::qr::svg(&v.code)?;
        Ok::<_, ApiError>((card_context(&v), qr))
    }
    .await;
    match shown {
        Ok((card, qr)) => match state.templates.render(
            "h5_card.html",
            context! { t, card, qr, lang => if lang == Lang::En { "en" } else { "zh" }, signed },
        ) {
            Ok(html) => Html(html).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => (
            e.status(),
            Html(format!(
                "<!doctype html><meta charset=utf-8><title>{0}</title><p>{0}</p>",
                t["card_not_found"]
            )),
        )
            .into_response(),
    }
}
