//! A profile as one picture: the rows stitched into it, read together.

use std::collections::BTreeMap;

use siyu_domain::TenantId;
use siyu_identity::{merge_attributes, AttributePolicy, AttributeValue, Attributes};
use siyu_store::customers::{self, Customer};
use siyu_store::profiles::{self, HeldIdentity};

use crate::error::ApiError;
use crate::state::AppState;

/// One customer across every row stitched into it.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The live profile's id.
    pub id: String,
    /// The rows stitched into it, the live one first.
    pub members: Vec<Customer>,
    /// Identities, oldest first.
    pub identities: Vec<HeldIdentity>,
    /// Attributes combined by the field policies.
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Tags.
    pub tags: Vec<String>,
    /// Consents, the latest per purpose.
    pub consents: Vec<profiles::Consent>,
    /// Whether any of its WeChat identities follows.
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
    /// Last reported location.
    pub last_location: Option<[f64; 2]>,
    /// WeChat nickname.
    pub nickname: Option<String>,
    /// First contact, Unix ms.
    pub created_at: i64,
    /// How engaged the customer is as a fan.
    pub activity: siyu_domain::activity::Activity,
    /// Where the customer sits by recency, frequency and value of orders; `None` without orders.
    pub rfm: Option<siyu_domain::activity::Rfm>,
}

/// Loads the profile `id` belongs to (any id ever stitched into it).
pub async fn load(state: &AppState, tenant: &TenantId, id: &str) -> Result<Profile, ApiError> {
    let root = profiles::canonical(&state.store, tenant, id).await?;
    let members = customers::group_rows(&state.store, tenant, &root).await?;
    let Some(live) = members.first() else {
        return Err(ApiError::NotFound);
    };
    let identities = profiles::identities_of(&state.store, tenant, &root).await?;
    let policy = AttributePolicy::default();
    let mut attrs = Attributes::new();
    for json in profiles::group_attributes(&state.store, tenant, &root).await? {
        let theirs: Attributes = serde_json::from_str(&json).unwrap_or_default();
        attrs = merge_attributes(&attrs, &theirs, &policy);
    }
    let attributes = attrs
        .into_iter()
        .map(|(k, v)| {
            let v = match v.value {
                AttributeValue::Text(t) => serde_json::Value::String(t),
                AttributeValue::Count(n) => serde_json::Value::from(n),
            };
            (k, v)
        })
        .collect();
    let tags = profiles::tags_of(&state.store, tenant, &root).await?;
    let consents = profiles::consents_of(&state.store, tenant, &root).await?;
    let by_follow = members
        .iter()
        .filter(|m| m.first_scene.is_some())
        .min_by_key(|m| (m.followed_at.unwrap_or(i64::MAX), m.created_at));
    let first_scene = by_follow.and_then(|m| m.first_scene.clone());
    let last_scene = members
        .iter()
        .filter(|m| m.last_scene.is_some())
        .max_by_key(|m| m.updated_at)
        .and_then(|m| m.last_scene.clone());
    let located = members
        .iter()
        .filter(|m| m.last_location_at.is_some())
        .max_by_key(|m| m.last_location_at);
    let channels = if first_scene.is_some() || last_scene.is_some() {
        siyu_store::channels::list(&state.store, tenant).await?
    } else {
        Vec::new()
    };
    let channel_of = |scene: &Option<String>| {
        scene.as_ref().and_then(|s| {
            channels
                .iter()
                .find(|c| &c.scene == s)
                .map(|c| c.id.clone())
        })
    };
    let now = state.clock.now_ms();
    let following = members.iter().any(|m| m.following);
    let last_interaction_at = members.iter().filter_map(|m| m.last_interaction_at).max();
    let recent = profiles::interactions_since(
        &state.store,
        tenant,
        &root,
        now - siyu_domain::activity::DORMANT_MS,
    )
    .await?;
    let activity = siyu_domain::activity::activity(
        following,
        members.iter().any(|m| m.followed_at.is_some()),
        last_interaction_at,
        recent,
        now,
    );
    let (last_order, orders, total) = profiles::order_totals(&state.store, tenant, &root).await?;
    let rfm = siyu_domain::activity::rfm(last_order, orders, total, now);
    Ok(Profile {
        activity,
        rfm,
        first_channel: channel_of(&first_scene),
        last_channel: channel_of(&last_scene),
        id: root.clone(),
        identities,
        attributes,
        tags,
        consents,
        following,
        followed_at: members.iter().filter_map(|m| m.followed_at).max(),
        unfollowed_at: members.iter().filter_map(|m| m.unfollowed_at).max(),
        first_scene,
        last_scene,
        last_interaction_at,
        last_location: located
            .and_then(|m| m.last_latitude.zip(m.last_longitude).map(|(a, b)| [a, b])),
        nickname: members.iter().find_map(|m| m.nickname.clone()),
        created_at: members
            .iter()
            .map(|m| m.created_at)
            .min()
            .unwrap_or(live.created_at),
        members,
    })
}
