//! Vouchers in the console: templates and redemption reports for the merchant, and the
//! redemption page a clerk uses at the till (a phone or a scanner that types the code).

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::{Fen, Role};

use super::channels::parse_yuan;
use super::i18n::Lang;
use super::login::parse_form;
use super::templates::format_time;
use super::{page, PageResult, Session};
use crate::error::ApiError;
use crate::state::AppState;
use crate::vouchers::{self, NewTemplate};

async fn redeem_page(
    state: &AppState,
    s: &Session,
    ok: Option<String>,
    store: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    s.tenant_id()?;
    Ok(page(
        state,
        s,
        "redeem.html",
        "redeem",
        context! { ok, store, error },
        status,
    ))
}

/// `GET /console/redeem`.
pub(super) async fn redeem_form(State(state): State<AppState>, s: Session) -> PageResult {
    redeem_page(&state, &s, None, None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct RedeemForm {
    code: String,
    store: String,
    spend_yuan: String,
}

/// `POST /console/redeem`: redeems once; a repeat says when, where and by whom.
pub(super) async fn redeem(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    let tenant = s.tenant_id()?.clone();
    let f: RedeemForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let store = Some(f.store.trim().to_owned()).filter(|x| !x.is_empty());
    let result = async {
        let spend = parse_yuan(&f.spend_yuan)
            .map_err(|_| ApiError::invalid("spend_yuan", "must be an amount like 36 or 36.50"))?;
        vouchers::redeem(
            &state,
            &tenant,
            &f.code,
            &s.actor(),
            store.as_deref(),
            spend,
        )
        .await
    }
    .await;
    match result {
        Ok(r) => {
            redeem_page(
                &state,
                &s,
                Some(format!("{} ({})", r.name, r.code)),
                store,
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e @ (ApiError::Validation { .. } | ApiError::Conflict { .. } | ApiError::NotFound)) => {
            let status = e.status();
            let msg = match e {
                ApiError::NotFound => "no voucher has this code".to_owned(),
                other => other.to_string(),
            };
            redeem_page(&state, &s, None, store, Some(msg), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

async fn list_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let templates: Vec<Value> = siyu_store::vouchers::templates(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|t| {
            let benefit = match t.kind.as_str() {
                "amount_off" => format!("-{}", Fen(t.amount_fen.unwrap_or(0))),
                "percent_off" => format!("-{}%", t.percent_off.unwrap_or(0)),
                _ => t.item_name.clone().unwrap_or_default(),
            };
            context! { id => t.id, name => t.name, benefit, min_spend => Fen(t.min_spend_fen).to_string(),
            issued => t.stock - t.remaining, stock => t.stock, limit => t.per_person_limit }
        })
        .collect();
    let since = state.now() - 30 * 86_400_000;
    let redemptions: Vec<Value> = siyu_store::vouchers::redemptions(&state.store, tenant, since)
        .await
        .map_err(|e| fail(e.into()))?
        .into_iter()
        .map(|(store, by, count)| context! { store, by => by.unwrap_or_default(), count })
        .collect();
    Ok(page(
        state,
        s,
        "vouchers.html",
        "vouchers",
        context! { templates, redemptions, error },
        status,
    ))
}

/// `GET /console/vouchers`.
pub(super) async fn list(State(state): State<AppState>, s: Session) -> PageResult {
    list_page(&state, &s, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct TemplateForm {
    name: String,
    kind: String,
    value: String,
    min_spend_yuan: String,
    stock: String,
    per_person_limit: String,
}

/// `POST /console/vouchers`: creates a template.
pub(super) async fn create(State(state): State<AppState>, s: Session, req: Request) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: TemplateForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let int = |v: &str, field: &'static str| -> Result<Option<i64>, ApiError> {
            match v.trim() {
                "" => Ok(None),
                x => x
                    .parse()
                    .map(Some)
                    .map_err(|_| ApiError::invalid(field, "must be a whole number")),
            }
        };
        let mut n = NewTemplate {
            name: f.name.clone(),
            kind: f.kind.clone(),
            amount_fen: None,
            percent_off: None,
            item_name: None,
            min_spend_fen: parse_yuan(&f.min_spend_yuan)
                .map_err(|_| ApiError::invalid("min_spend_yuan", "must be an amount like 30"))?,
            valid_from: None,
            valid_until: None,
            stock: int(&f.stock, "stock")?.unwrap_or(0),
            per_person_limit: int(&f.per_person_limit, "per_person_limit")?,
        };
        match f.kind.as_str() {
            "amount_off" => {
                n.amount_fen = parse_yuan(&f.value)
                    .map_err(|_| ApiError::invalid("value", "must be an amount like 5"))?
            }
            "percent_off" => n.percent_off = int(&f.value, "value")?,
            _ => n.item_name = Some(f.value.clone()),
        }
        vouchers::create_template(&state, &tenant, n, &s.actor()).await
    }
    .await;
    match result {
        Ok(_) => list_page(&state, &s, None, StatusCode::CREATED).await,
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            list_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// What a voucher is worth, in words.
fn worth(t: &siyu_store::vouchers::Template, lang: Lang) -> String {
    let yuan = |f: i64| format!("{}.{:02}", f / 100, f % 100);
    let min = (t.min_spend_fen > 0).then(|| yuan(t.min_spend_fen));
    let body = match (t.kind.as_str(), lang) {
        ("amount_off", Lang::Zh) => format!("立减 ¥{}", yuan(t.amount_fen.unwrap_or(0))),
        ("amount_off", Lang::En) => format!("¥{} off", yuan(t.amount_fen.unwrap_or(0))),
        ("percent_off", Lang::Zh) => {
            format!("{} 折", (100 - t.percent_off.unwrap_or(0)) as f64 / 10.0)
        }
        ("percent_off", Lang::En) => format!("{}% off", t.percent_off.unwrap_or(0)),
        (_, Lang::Zh) => format!("免费兑换 {}", t.item_name.clone().unwrap_or_default()),
        (_, Lang::En) => format!("Free {}", t.item_name.clone().unwrap_or_default()),
    };
    match (min, lang) {
        (Some(m), Lang::Zh) => format!("满 ¥{m} 可用，{body}"),
        (Some(m), Lang::En) => format!("{body} on ¥{m} or more"),
        (None, _) => body,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct H5Query {
    #[serde(default)]
    lang: String,
}

/// `GET /h5/voucher/{code}`: the customer's voucher with the QR the clerk scans. The code
/// carries a keyed tag, so a guessed code shows nothing.
pub(super) async fn h5_voucher(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<H5Query>,
) -> Response {
    let lang = if q.lang == "en" { Lang::En } else { Lang::Zh };
    let t = super::i18n::messages(lang);
    let shown = async {
        let code = vouchers::normalise_code(&code);
        let v = siyu_store::vouchers::voucher_any(&state.store, &code).await?;
        let tenant = siyu_domain::TenantId::parse(&v.tenant_id).map_err(|_| ApiError::NotFound)?;
        let code = vouchers::check_code(&state, &tenant, &code).ok_or(ApiError::NotFound)?;
        let tpl = siyu_store::vouchers::template(&state.store, &tenant, &v.template_id).await?;
        let qr = crate::channels::qr::svg(&code)?;
        let voucher = context! {
            code, name => tpl.name, worth => worth(&tpl, lang),
            valid_until => tpl.valid_until.map(format_time),
            redeemed_at => v.redeemed_at.map(format_time), redeemed_store => v.redeemed_store,
        };
        Ok::<_, ApiError>((voucher, qr))
    }
    .await;
    match shown {
        Ok((voucher, qr)) => match state.templates.render(
            "h5_voucher.html",
            context! { t, voucher, qr, lang => if lang == Lang::En { "en" } else { "zh" } },
        ) {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => e.into_response(),
        },
        Err(e) => (
            e.status(),
            axum::response::Html(format!(
                "<!doctype html><meta charset=utf-8><title>{0}</title><p>{0}</p>",
                t["voucher_not_found"]
            )),
        )
            .into_response(),
    }
}
