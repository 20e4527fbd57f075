//! `/api/v1/vouchers`: templates, issuing, and redemption (核销).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;
use crate::vouchers::{self, NewTemplate, Redeemed};

/// A voucher template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    /// Template id (`vt_…`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `amount_off`, `percent_off` or `free_item`.
    pub kind: String,
    /// Fen off.
    pub amount_fen: Option<i64>,
    /// Percent off.
    pub percent_off: Option<i64>,
    /// Free item.
    pub item_name: Option<String>,
    /// Minimum spend, fen.
    pub min_spend_fen: i64,
    /// Valid from, Unix ms.
    pub valid_from: Option<i64>,
    /// Valid until, Unix ms.
    pub valid_until: Option<i64>,
    /// Total stock.
    pub stock: i64,
    /// Left to issue.
    pub remaining: i64,
    /// Per customer.
    pub per_person_limit: Option<i64>,
}

impl From<siyu_store::vouchers::Template> for TemplateView {
    fn from(t: siyu_store::vouchers::Template) -> Self {
        TemplateView {
            id: t.id,
            name: t.name,
            kind: t.kind,
            amount_fen: t.amount_fen,
            percent_off: t.percent_off,
            item_name: t.item_name,
            min_spend_fen: t.min_spend_fen,
            valid_from: t.valid_from,
            valid_until: t.valid_until,
            stock: t.stock,
            remaining: t.remaining,
            per_person_limit: t.per_person_limit,
        }
    }
}

/// Templates.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    /// Newest first.
    pub items: Vec<TemplateView>,
}

/// An issued voucher.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoucherView {
    /// The signed code; also the QR content the clerk scans.
    pub code: String,
    /// Template id.
    pub template_id: String,
    /// Holder.
    pub customer_id: String,
    /// Issue time, Unix ms.
    pub issued_at: i64,
    /// Redemption time, Unix ms.
    pub redeemed_at: Option<i64>,
    /// Where it was redeemed.
    pub redeemed_store: Option<String>,
}

impl From<siyu_store::vouchers::Voucher> for VoucherView {
    fn from(v: siyu_store::vouchers::Voucher) -> Self {
        VoucherView {
            code: v.code,
            template_id: v.template_id,
            customer_id: v.customer_id,
            issued_at: v.issued_at,
            redeemed_at: v.redeemed_at,
            redeemed_store: v.redeemed_store,
        }
    }
}

/// Creates a voucher template.
#[utoipa::path(post, path = "/api/v1/vouchers/templates", tag = "vouchers", request_body = NewTemplate,
    responses((status = 201, body = TemplateView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_template(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<NewTemplate>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    let t = vouchers::create_template(&state, &caller.tenant_id, body, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(t.into())))
}

/// The tenant's voucher templates.
#[utoipa::path(get, path = "/api/v1/vouchers/templates", tag = "vouchers",
    responses((status = 200, body = TemplateList), (status = 401, body = ErrorBody)))]
pub async fn list_templates(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<TemplateList>, ApiError> {
    let items = siyu_store::vouchers::templates(&state.store, &caller.tenant_id).await?;
    Ok(Json(TemplateList {
        items: items.into_iter().map(TemplateView::from).collect(),
    }))
}

/// Whom to issue to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueVoucher {
    /// Template id.
    pub template_id: String,
    /// Customer id.
    pub customer_id: String,
}

/// Issues a voucher (stock and per-person limits hold under concurrency).
#[utoipa::path(post, path = "/api/v1/vouchers", tag = "vouchers", request_body = IssueVoucher,
    responses((status = 201, body = VoucherView), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "voucher_out_of_stock, voucher_limit_reached, voucher_expired")))]
pub async fn issue_voucher(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<IssueVoucher>,
) -> Result<(StatusCode, Json<VoucherView>), ApiError> {
    let v = vouchers::issue(
        &state,
        &caller.tenant_id,
        &body.template_id,
        &body.customer_id,
        "api",
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v.into())))
}

/// One voucher by code.
#[utoipa::path(get, path = "/api/v1/vouchers/{code}", tag = "vouchers", params(("code" = String, Path, description = "voucher code")),
    responses((status = 200, body = VoucherView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_voucher(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
) -> Result<Json<VoucherView>, ApiError> {
    let code = vouchers::check_code(&state, &caller.tenant_id, &code).ok_or(ApiError::NotFound)?;
    Ok(Json(
        siyu_store::vouchers::voucher(&state.store, &caller.tenant_id, &code)
            .await?
            .into(),
    ))
}

/// Where and for how much a voucher is redeemed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemVoucher {
    /// The store's name.
    pub store: Option<String>,
    /// The bill, in fen (checked against the minimum spend).
    pub spend_fen: Option<i64>,
}

/// Redeems a voucher exactly once.
#[utoipa::path(post, path = "/api/v1/vouchers/{code}/redeem", tag = "vouchers", params(("code" = String, Path, description = "voucher code")),
    request_body = RedeemVoucher,
    responses((status = 200, body = Redeemed), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "voucher_already_redeemed, voucher_not_valid, voucher_min_spend")))]
pub async fn redeem_voucher(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(code): Path<String>,
    Json(body): Json<RedeemVoucher>,
) -> Result<Json<Redeemed>, ApiError> {
    if vouchers::check_code(&state, &caller.tenant_id, &code).is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(
        vouchers::redeem(
            &state,
            &caller.tenant_id,
            &code,
            &caller.actor(),
            body.store.as_deref(),
            body.spend_fen,
        )
        .await?,
    ))
}
