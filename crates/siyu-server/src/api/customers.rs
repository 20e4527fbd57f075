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
    /// The value (phones in E.164).
    pub value: String,
    /// AppID of an openid, namespace of an external id.
    pub scope: Option<String>,
    /// Where siyu learned it (`wechat.callback`, `api`, `import:taobao-orders`, …).
    pub source: String,
    /// When, Unix ms.
    pub created_at: i64,
}

/// A customer profile: one customer across every channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Customer id (`cu_…`); ids of profiles merged into it lead here too.
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
    /// First-touch channel id.
    pub first_channel: Option<String>,
    /// Last-touch channel id.
    pub last_channel: Option<String>,
    /// Last interaction, Unix ms.
    pub last_interaction_at: Option<i64>,
    /// Last reported location `[latitude, longitude]`.
    pub last_location: Option<[f64; 2]>,
    /// WeChat nickname, when known.
    pub nickname: Option<String>,
    /// Identities pointing at this customer.
    pub identities: Vec<IdentityView>,
    /// Attributes (`name`, `gender`, `birthday`, `province`, `city`, `address`, counters, …).
    #[schema(value_type = Object)]
    pub attributes: std::collections::BTreeMap<String, serde_json::Value>,
    /// Tags.
    pub tags: Vec<String>,
    /// Ids of the profiles merged into this one.
    pub merged_ids: Vec<String>,
    /// Consents, `purpose → {"granted", "source", "at"}` (purposes: `marketing`, `sms`,
    /// `profiling`; absent means never asked).
    #[schema(value_type = Object)]
    pub consents: serde_json::Value,
    /// Activity as a fan: `state` (`active` ≤ 7 days, `dormant` ≤ 30, `lost`, `unfollowed`),
    /// `score` 0–100 and `interactions_30d`.
    #[schema(value_type = Object)]
    pub activity: serde_json::Value,
    /// RFM from orders: `recency_days`, `frequency`, `monetary_fen`, `r`/`f`/`m` 1–5 and the
    /// `segment`; null without orders.
    #[schema(value_type = Object)]
    pub rfm: serde_json::Value,
    /// First contact, Unix ms.
    pub created_at: i64,
}

impl From<crate::identity::view::Profile> for CustomerView {
    fn from(p: crate::identity::view::Profile) -> Self {
        CustomerView {
            merged_ids: p.members.iter().skip(1).map(|m| m.id.clone()).collect(),
            activity: serde_json::to_value(p.activity).unwrap_or_default(),
            consents: p
                .consents
                .iter()
                .map(|c| {
                    (
                        c.purpose.clone(),
                        serde_json::json!({"granted": c.granted, "source": c.source, "at": c.at}),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
            rfm: serde_json::to_value(&p.rfm).unwrap_or_default(),
            identities: p
                .identities
                .into_iter()
                .map(|i| IdentityView {
                    kind: i.kind,
                    value: i.value,
                    scope: i.scope,
                    source: i.source,
                    created_at: i.created_at,
                })
                .collect(),
            id: p.id,
            following: p.following,
            followed_at: p.followed_at,
            unfollowed_at: p.unfollowed_at,
            first_scene: p.first_scene,
            last_scene: p.last_scene,
            first_channel: p.first_channel,
            last_channel: p.last_channel,
            last_interaction_at: p.last_interaction_at,
            last_location: p.last_location,
            nickname: p.nickname,
            attributes: p.attributes,
            tags: p.tags,
            created_at: p.created_at,
        }
    }
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
    /// `KIND:VALUE`, e.g. `phone:+8613812345678` or `openid:o6_bmjrPTlm6_2sgVt7hMZOPfL2M`.
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

async fn view(state: &AppState, caller: &ApiCaller, id: &str) -> Result<CustomerView, ApiError> {
    Ok(crate::identity::view::load(state, &caller.tenant_id, id)
        .await?
        .into())
}

/// The live customers holding `KIND:VALUE` (values normalised as on the way in).
pub(crate) async fn find_by_identity(
    state: &AppState,
    tenant: &siyu_domain::TenantId,
    ident: &str,
) -> Result<Vec<String>, ApiError> {
    let (kind, value) = ident
        .split_once(':')
        .map(|(k, v)| (k.trim(), v.trim()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| {
            ApiError::invalid("identity", "use KIND:VALUE, e.g. phone:+8613812345678")
        })?;
    let value = match kind {
        "openid" | "external" => value.to_owned(),
        // A `+` sent unencoded in a query string arrives as a space.
        "phone" => siyu_identity::Identity::parse_parts(kind, None, &value.replace(' ', "+"))
            .map_err(|e| ApiError::invalid("identity", e.to_string()))?
            .value()
            .as_str()
            .to_owned(),
        _ => siyu_identity::Identity::parse_parts(kind, None, value)
            .map_err(|e| ApiError::invalid("identity", e.to_string()))?
            .value()
            .as_str()
            .to_owned(),
    };
    Ok(siyu_store::profiles::holders(&state.store, tenant, kind, &value).await?)
}

/// Customers of the tenant, or the one an identity points at.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = CustomerList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    caller: ApiCaller,
    Query(q): Query<CustomerQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let ids: Vec<String> = match &q.identity {
        Some(ident) => find_by_identity(&state, &caller.tenant_id, ident).await?,
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
            .into_iter()
            .map(|c| c.id)
            .collect()
        }
    };
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.push(view(&state, &caller, &id).await?);
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
    Ok(Json(view(&state, &caller, &id).await?))
}

/// The messages and events a customer sent, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/messages", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = MessageList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer_messages(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MessageList>, ApiError> {
    let root = siyu_store::profiles::canonical(&state.store, &caller.tenant_id, &id).await?;
    let rows = siyu_store::inbound::for_customer(&state.store, &caller.tenant_id, &root, None, 200)
        .await?;
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

/// Identities seen together, and attributes to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentifyBody {
    /// The identities, e.g. `[{"kind":"phone","value":"13812345678"},{"kind":"taobao","value":"小明"}]`.
    pub identities: Vec<crate::identity::IdentityInput>,
    /// Attributes to set: text or whole numbers.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// What stitching did.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stitching {
    /// A new profile was created.
    pub created: bool,
    /// Profiles merged into this one by this call.
    pub merges: usize,
    /// Profiles tied to this one but kept apart (different values of one kind); kept for review.
    pub conflicts: usize,
    /// Identities that linked nothing, and why.
    pub ignored: Vec<String>,
}

/// The profile after stitching.
#[derive(Debug, Serialize, ToSchema)]
pub struct Identified {
    /// The profile.
    #[serde(flatten)]
    pub customer: CustomerView,
    /// What stitching did.
    pub stitching: Stitching,
}

/// Identifies a customer from identities seen together: creates a profile, links the new
/// identities to the one they point at, or merges the profiles they point at (the older survives).
#[utoipa::path(post, path = "/api/v1/customers/identify", tag = "customers", request_body = IdentifyBody,
    responses((status = 200, body = Identified), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn identify(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<IdentifyBody>,
) -> Result<Json<Identified>, ApiError> {
    let (id, o) = crate::identity::identify(
        &state,
        &caller.tenant_id,
        &body.identities,
        &body.attributes,
        &caller.actor(),
    )
    .await?;
    Ok(Json(Identified {
        customer: view(&state, &caller, &id).await?,
        stitching: Stitching {
            created: o.created,
            merges: o.merges,
            conflicts: o.conflicts,
            ignored: o.ignored,
        },
    }))
}

/// Tags to add and remove.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagsBody {
    /// Tags to add.
    #[serde(default)]
    pub add: Vec<String>,
    /// Tags to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// Adds and removes tags.
#[utoipa::path(post, path = "/api/v1/customers/{id}/tags", tag = "customers", params(("id" = String, Path, description = "customer id")),
    request_body = TagsBody,
    responses((status = 200, body = CustomerView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tag_customer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<TagsBody>,
) -> Result<Json<CustomerView>, ApiError> {
    let root = crate::identity::retag(
        &state,
        &caller.tenant_id,
        &id,
        &body.add,
        &body.remove,
        &caller.actor(),
    )
    .await?;
    Ok(Json(view(&state, &caller, &root).await?))
}

/// One merge of two profiles.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeView {
    /// Merge id (`mg_…`).
    pub id: String,
    /// Why, in words (values masked).
    pub reason: String,
    /// The profile that lived on.
    pub survivor_id: String,
    /// The profile folded into it.
    pub absorbed_id: String,
    /// What caused it (`api`, `import:…`, `wechat.callback`, …).
    pub source: String,
    /// When, Unix ms.
    pub at: i64,
    /// When it was undone, Unix ms.
    pub undone_at: Option<i64>,
}

impl From<siyu_store::profiles::MergeRow> for MergeView {
    fn from(m: siyu_store::profiles::MergeRow) -> Self {
        MergeView {
            id: m.id,
            reason: m.reason,
            survivor_id: m.survivor_id,
            absorbed_id: m.absorbed_id,
            source: m.source,
            at: m.at,
            undone_at: m.undone_at,
        }
    }
}

/// Merges, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeList {
    /// Newest first.
    pub items: Vec<MergeView>,
}

/// The merges that made this profile (and were undone), newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/merges", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = MergeList), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer_merges(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<MergeList>, ApiError> {
    let root = siyu_store::profiles::canonical(&state.store, &caller.tenant_id, &id).await?;
    let items = siyu_store::profiles::merges_of(&state.store, &caller.tenant_id, &root)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(MergeList { items }))
}

/// Undoes a merge: the absorbed profile lives again with its identities, events and counters.
#[utoipa::path(post, path = "/api/v1/merges/{merge_id}/undo", tag = "customers", params(("merge_id" = String, Path, description = "merge id")),
    responses((status = 200, body = MergeView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn undo_merge(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(merge_id): Path<String>,
) -> Result<Json<MergeView>, ApiError> {
    let m =
        crate::identity::undo_merge(&state, &caller.tenant_id, &merge_id, &caller.actor()).await?;
    Ok(Json(m.into()))
}

/// Everything siyu holds about a customer (PIPL access request), as JSON.
#[utoipa::path(get, path = "/api/v1/customers/{id}/export", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_customer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        crate::identity::export(&state, &caller.tenant_id, &id).await?,
    ))
}

/// Erases a customer (PIPL): identities, events, messages, tags and queued sends are deleted;
/// only anonymised ledger rows remain. Identity lookups find nothing afterwards.
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = String, Path, description = "customer id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn erase_customer(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    crate::identity::erase_customer(&state, &caller.tenant_id, &id, &caller.actor()).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The tenant's stitching rules: `shared_threshold` (a phone or email on this many customers
/// is shared and merges nothing) and `placeholders` (`texts`, `phones`, `repeated_tail`,
/// `sequential_tail`): values that never link anything.
#[utoipa::path(get, path = "/api/v1/identity/policy", tag = "customers",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)))]
pub async fn get_policy(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<siyu_identity::Policy>, ApiError> {
    Ok(Json(
        crate::identity::policy(&state, &caller.tenant_id).await?,
    ))
}

/// Sets the tenant's stitching rules for what is observed from now on.
#[utoipa::path(put, path = "/api/v1/identity/policy", tag = "customers", request_body = Object,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_policy(
    State(state): State<AppState>,
    caller: ApiCaller,
    Json(body): Json<siyu_identity::Policy>,
) -> Result<Json<siyu_identity::Policy>, ApiError> {
    Ok(Json(
        crate::identity::set_policy(&state, &caller.tenant_id, body, &caller.actor()).await?,
    ))
}

/// Consents given or withdrawn, e.g. `{"marketing": true, "sms": false}`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/consents", tag = "customers", params(("id" = String, Path, description = "customer id")),
    request_body = Object,
    responses((status = 200, body = CustomerView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_consents(
    State(state): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    Json(body): Json<std::collections::BTreeMap<String, bool>>,
) -> Result<Json<CustomerView>, ApiError> {
    let root = crate::identity::set_consents(
        &state,
        &caller.tenant_id,
        &id,
        &body,
        "api",
        &caller.actor(),
    )
    .await?;
    Ok(Json(view(&state, &caller, &root).await?))
}

/// Conflicts kept for review, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConflictList {
    /// `{"kind","kept_id","apart_id","via","at"}`: two profiles an observation tied together
    /// that hold different values of `kind`, so they were not merged.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<siyu_store::profiles::ConflictRow>,
}

/// Profiles that were tied together but not merged because they hold different values of a
/// kind a customer has only once (two unionids, two member cards…), newest first.
#[utoipa::path(get, path = "/api/v1/identity/conflicts", tag = "customers",
    responses((status = 200, body = ConflictList), (status = 401, body = ErrorBody)))]
pub async fn list_conflicts(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<ConflictList>, ApiError> {
    Ok(Json(ConflictList {
        items: siyu_store::profiles::conflicts(&state.store, &caller.tenant_id, 200).await?,
    }))
}
