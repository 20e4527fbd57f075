//! `/api/v1/customers`: customer profiles and what they sent.

use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::ApiCaller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// An identifier of a customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdentityView {
    /// `openid`, `unionid`, `phone`, `email`, `taobao`, `jd`, `weibo`, `member_card`, `external`.
    pub kind: String,
    /// The value.
    pub value: String,
}

/// A customer profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Customer id (`cu_…`).
    pub id: String,
    /// Whether the customer follows the tenant's Official Account.
    pub following: bool,
    /// Last follow, Unix ms.
    pub followed_at: Option<i64>,
    /// Last unfollow, Unix ms.
    pub unfollowed_at: Option<i64>,
    /// First-touch QR scene.
    pub first_scene: Option<String>,
    /// Last-touch QR scene.
    pub last_scene: Option<String>,
    /// Last interaction, Unix ms.
    pub last_interaction_at: Option<i64>,
    /// Last reported location `[latitude, longitude]`.
    pub last_location: Option<[f64; 2]>,
    /// Identities pointing at this customer.
    pub identities: Vec<IdentityView>,
    /// First contact, Unix ms.
    pub created_at: i64,
}

/// A list of customers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerList {
    /// The customers.
    pub items: Vec<CustomerView>,
}

/// Filters for the customer list.
#[derive(Debug, Deserialize, IntoParams)]
pub struct CustomerQuery {
    /// `KIND:VALUE`, e.g. `openid:o6_bmjrPTlm6_2sgVt7hMZOPfL2M`.
    pub identity: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Skip this many (most recently active first).
    pub offset: Option<i64>,
}

/// One received message or event.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// `text`, `image`, `event`, …
    pub msg_type: String,
    /// The event (`subscribe`, `CLICK`, …), for events.
    pub event: Option<String>,
    /// `EventKey`, for events that carry one.
    pub event_key: Option<String>,
    /// Text content, if any.
    pub content: Option<String>,
    /// The Official Account it came through.
    pub account_id: String,
    /// Whether siyu replied with a message.
    pub replied: bool,
    /// WeChat's `CreateTime`, Unix ms.
    pub created_at: i64,
}

/// A customer's messages, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    /// Newest first.
    pub items: Vec<MessageView>,
}

async fn view(
    state: &AppState,
    caller: &ApiCaller,
    c: siyu_store::customers::Customer,
) -> Result<CustomerView, ApiError> {
    let identities = siyu_store::customers::identities(&state.store, &caller.tenant_id, &c.id)
        .await?
        .into_iter()
        .map(|i| IdentityView {
            kind: i.kind,
            value: i.value,
        })
        .collect();
    Ok(CustomerView {
        last_location: c.last_latitude.zip(c.last_longitude).map(|(a, b)| [a, b]),
        id: c.id,
        following: c.following,
        followed_at: c.followed_at,
        unfollowed_at: c.unfollowed_at,
        first_scene: c.first_scene,
        last_scene: c.last_scene,
        last_interaction_at: c.last_interaction_at,
        identities,
        created_at: c.created_at,
    })
}

/// Customers of the tenant, or the one an identity points at.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let rows = match &q.identity {
        Some(ident) => {
            let (kind, value) = ident
                .split_once(':')
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| {
                    ApiError::invalid("identity", "use KIND:VALUE, e.g. openid:o6_bmj…")
                })?;
            siyu_store::customers::find_by_identity(&state.store, &caller.tenant_id, kind, value)
                .await?
                .into_iter()
                .collect()
        }
        None => {
            let limit = q.limit.unwrap_or(50);
            if !(1..=200).contains(&limit) {
                return Err(ApiError::invalid("limit", "must be between 1 and 200"));
            }
            siyu_store::customers::list(
                &state.store,
                &caller.tenant_id,
                limit,
                q.offset.unwrap_or(0).max(0),
            )
            .await?
        }
    };
    let mut items = Vec::with_capacity(rows.len());
    for c in rows {
        items.push(view(&state, &caller, c).await?);
    }
    Ok(Json(CustomerList { items }))
}

/// One customer profile.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = CustomerView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CustomerView>, ApiError> {
    let c = siyu_store::customers::get(&state.store, &caller.tenant_id, &id).await?;
    Ok(Json(view(&state, &caller, c).await?))
}

/// The messages and events a customer sent, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/messages", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = MessageList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer_messages(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MessageList>, ApiError> {
    siyu_store::customers::get(&state.store, &caller.tenant_id, &id).await?;
    let rows =
        siyu_store::inbound::for_customer(&state.store, &caller.tenant_id, &id, None, 200).await?;
    let items = rows
        .into_iter()
        .map(|m| MessageView {
            msg_type: m.msg_type,
            event: m.event,
            event_key: m.event_key,
            content: m.content,
            account_id: m.account_id,
            replied: m.reply.is_some(),
            created_at: m.created_at,
        })
        .collect();
    Ok(Json(MessageList { items }))
}
