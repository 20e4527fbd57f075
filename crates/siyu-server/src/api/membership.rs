//! `/api/v1/membership` and customers' cards: the program, cards, points.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::membership::{self, CardView, PointsInput, ProgramInput};
use crate::state::AppState;

/// The membership program.
#[utoipa::path(get, path = "/api/v1/membership", tag = "membership",
    responses((status = 200, body = ProgramInput), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_program(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ProgramInput>, ApiError> {
    membership::program(&state, &caller.tenant_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Sets up or changes the membership program: levels, points rules, expiry.
#[utoipa::path(put, path = "/api/v1/membership", tag = "membership", request_body = ProgramInput,
    responses((status = 200, body = ProgramInput), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_program(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<ProgramInput>,
) -> Result<Json<ProgramInput>, ApiError> {
    Ok(Json(
        membership::put_program(&state, &caller.tenant_id, body, &caller.actor()).await?,
    ))
}

/// Issues the customer's member card (201), or returns the one they have (200).
#[utoipa::path(post, path = "/api/v1/customers/{id}/card", tag = "membership", params(("id" = String, Path, description = "customer id")),
    responses((status = 201, body = CardView), (status = 200, body = CardView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue_card(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<CardView>), ApiError> {
    let (card, created) =
        membership::issue_card(&state, &caller.tenant_id, &id, &caller.actor()).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(membership::view(&state, &caller.tenant_id, card, created).await?),
    ))
}

/// The customer's member card: level, points, ledger.
#[utoipa::path(get, path = "/api/v1/customers/{id}/card", tag = "membership", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = CardView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_card(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CardView>, ApiError> {
    let card = membership::card_of(&state, &caller.tenant_id, &id).await?;
    Ok(Json(
        membership::view(&state, &caller.tenant_id, card, false).await?,
    ))
}

/// Earns or spends points on the customer's card, exactly once per reason and `ref`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/points", tag = "membership", params(("id" = String, Path, description = "customer id")),
    request_body = PointsInput,
    responses((status = 200, body = CardView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_points(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<PointsInput>,
) -> Result<Json<CardView>, ApiError> {
    Ok(Json(
        membership::record_points(&state, &caller.tenant_id, &id, &body, &caller.actor()).await?,
    ))
}
