//! One customer, every channel: identities arrive (a WeChat follow, an API call, an imported
//! order), the tenant's identity graph stitches them into profiles, and a profile is read as
//! one picture across the rows it was stitched from.

pub mod graphs;
pub mod import;
pub mod view;

use serde::Deserialize;
use siyu_domain::TenantId;
use siyu_identity::{
    AttributePolicy, AttributeValue, Attributes, FieldPolicy, IdentityKind, IgnoreReason,
    ObserveError, Policy, Stamped, UndoError,
};
use siyu_store::profiles;
use siyu_store::Tx;
use utoipa::ToSchema;

pub use graphs::{Graphs, Plain, Session};

use crate::error::ApiError;
use crate::state::AppState;

/// An identity as the API and imports give it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct IdentityInput {
    /// `unionid`, `openid`, `phone`, `email`, `taobao`, `jd`, `weibo`, `member_card`, `external`.
    pub kind: String,
    /// The value; phones in any common form (normalised to E.164).
    pub value: String,
    /// The AppID of an openid (default: the tenant's Official Account) or the namespace of an
    /// external id.
    #[serde(default)]
    pub scope: Option<String>,
}

/// Parsed identities: the usable ones paired with their tokens, and the placeholders skipped.
pub struct Parsed {
    /// Usable identities.
    pub plain: Vec<Plain>,
    /// `kind` of each placeholder value that was skipped ("null", 13800000000, …).
    pub placeholders: Vec<String>,
}

/// Parses identities as given (field names `identities[i].…` in errors).
pub async fn parse(
    state: &AppState,
    tenant: &TenantId,
    inputs: &[IdentityInput],
) -> Result<Parsed, ApiError> {
    let policy = policy(state, tenant).await?;
    parse_with(state, tenant, inputs, &policy).await
}

/// [`parse`] with the tenant's rules already in hand (many records in a row).
pub async fn parse_with(
    state: &AppState,
    tenant: &TenantId,
    inputs: &[IdentityInput],
    policy: &Policy,
) -> Result<Parsed, ApiError> {
    let mut default_app: Option<Option<String>> = None;
    let mut out = Parsed {
        plain: Vec::new(),
        placeholders: Vec::new(),
    };
    for (i, input) in inputs.iter().enumerate() {
        let field = |f: &str| format!("identities[{i}].{f}");
        let mut scope = input.scope.clone().filter(|s| !s.trim().is_empty());
        if input.kind.trim() == "openid" && scope.is_none() {
            if default_app.is_none() {
                let accounts = siyu_store::wechat_accounts::list(&state.store, tenant).await?;
                default_app = Some(accounts.first().map(|a| a.app_id.clone()));
            }
            scope = default_app.clone().flatten();
            if scope.is_none() {
                return Err(ApiError::invalid(
                    field("scope"),
                    "an openid belongs to one Official Account or mini program: give its AppID as scope",
                ));
            }
        }
        let kind = IdentityKind::parse(&input.kind, scope.as_deref())
            .map_err(|e| ApiError::invalid(field("kind"), e.to_string()))?;
        match policy.placeholders.screen(kind, &input.value) {
            Ok(Some(identity)) => out.plain.push(state.identities.plain(tenant, identity)),
            Ok(None) => out.placeholders.push(input.kind.clone()),
            Err(e) => return Err(ApiError::invalid(field("value"), e.to_string())),
        }
    }
    Ok(out)
}

/// A tenant's stitching rules: its own if set, else the defaults.
pub async fn policy(state: &AppState, tenant: &TenantId) -> Result<Policy, ApiError> {
    Ok(match profiles::policy(&state.store, tenant).await? {
        Some(body) => serde_json::from_str(&body).unwrap_or_default(),
        None => Policy::default(),
    })
}

/// Sets a tenant's stitching rules (validated; phones normalised). Applies to what is observed
/// from now on; existing profiles stay as they are.
pub async fn set_policy(
    state: &AppState,
    tenant: &TenantId,
    mut policy: Policy,
    actor: &crate::services::Actor,
) -> Result<Policy, ApiError> {
    if policy.shared_threshold > 1_000 {
        return Err(ApiError::invalid(
            "shared_threshold",
            "must be between 0 and 1000",
        ));
    }
    if policy.placeholders.texts.len() > 200 || policy.placeholders.phones.len() > 200 {
        return Err(ApiError::invalid(
            "placeholders",
            "at most 200 texts and 200 phones",
        ));
    }
    if policy.placeholders.repeated_tail > 11 {
        return Err(ApiError::invalid(
            "placeholders.repeated_tail",
            "must be between 0 and 11",
        ));
    }
    for (i, t) in policy.placeholders.texts.iter_mut().enumerate() {
        *t = t.trim().to_owned();
        if t.chars().count() > 64 {
            return Err(ApiError::invalid(
                format!("placeholders.texts[{i}]"),
                "at most 64 characters",
            ));
        }
    }
    for (i, p) in policy.placeholders.phones.iter_mut().enumerate() {
        let parsed = siyu_identity::Identity::parse(IdentityKind::Phone, p)
            .map_err(|e| ApiError::invalid(format!("placeholders.phones[{i}]"), e.to_string()))?;
        *p = parsed.value().as_str().to_owned();
    }
    let now = state.now();
    let body = serde_json::to_string(&policy).map_err(|_| ApiError::Internal)?;
    let mut tx = state.store.begin().await?;
    profiles::set_policy(&mut tx, tenant, &body, now).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "identity.policy",
        None,
        serde_json::from_str(&body).ok(),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(policy)
}

/// Attribute values as the API gives them: text or whole numbers.
pub fn attributes_from_json(
    map: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Result<Attributes, ApiError> {
    let mut out = Attributes::new();
    for (name, v) in map {
        let field = format!("attributes.{name}");
        if name.trim().is_empty() || name.len() > 64 {
            return Err(ApiError::invalid(
                field,
                "attribute names are 1–64 characters",
            ));
        }
        let value = match v {
            serde_json::Value::String(s) if s.chars().count() <= 500 => {
                AttributeValue::Text(s.trim().to_owned())
            }
            serde_json::Value::String(_) => {
                return Err(ApiError::invalid(field, "at most 500 characters"))
            }
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(n) => AttributeValue::Count(n),
                None => {
                    return Err(ApiError::invalid(
                        field,
                        "numbers must be whole (money in fen)",
                    ))
                }
            },
            serde_json::Value::Null => continue,
            _ => return Err(ApiError::invalid(field, "give text or a whole number")),
        };
        out.insert(
            name.clone(),
            Stamped {
                value,
                updated_at: now,
            },
        );
    }
    Ok(out)
}

/// What one observation did.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The live profile the identities belong to; `None` when none was usable.
    pub customer: Option<String>,
    /// Whether a profile was created.
    pub created: bool,
    /// Merges made (`mg_…` ids are looked up by the caller when needed), as merge numbers.
    pub merges: usize,
    /// Profiles that could not be merged (kept for review).
    pub conflicts: usize,
    /// `kind: why` for identities that linked nothing.
    pub ignored: Vec<String>,
    /// Whether anything changed.
    pub changed: bool,
    /// `(token, customer)` of each identity linked, on the profile it was linked to.
    pub linked: Vec<(String, String)>,
}

/// Observes identities seen together (and attributes, set on the resulting profile).
pub async fn observe(
    session: &mut Session,
    tx: &mut Tx,
    plain: &[Plain],
    attributes: &Attributes,
    source: &str,
    now: i64,
) -> Result<Observed, ApiError> {
    let opaque: Vec<_> = plain.iter().map(|p| p.opaque.clone()).collect();
    let outcome = session
        .graph()?
        .observe(&opaque, now)
        .map_err(|e| match e {
            ObserveError::TwoValues(kind) => ApiError::invalid(
                "identities",
                format!(
                    "two different {} values: a customer has only one",
                    kind.name()
                ),
            ),
        })?;
    let mut ctx = graphs::Context {
        plain,
        source,
        adopt: None,
        linked: Vec::new(),
    };
    session.persist(tx, &outcome.changes, &mut ctx, now).await?;
    let mut out = Observed {
        created: outcome.created.is_some(),
        merges: outcome.merged.len(),
        conflicts: outcome.conflicts.len(),
        changed: !outcome.changes.is_empty(),
        ignored: outcome
            .ignored
            .iter()
            .map(|i| {
                let why = match i.reason {
                    IgnoreReason::Placeholder => "a placeholder value",
                    IgnoreReason::Shared => "shared by too many customers",
                    IgnoreReason::HeldElsewhere { .. } => "held by another customer",
                };
                format!("{}: {why}", i.identity.kind().name())
            })
            .collect(),
        customer: None,
        linked: Vec::new(),
    };
    out.linked = std::mem::take(&mut ctx.linked);
    if let Some(p) = outcome.profile {
        let id = session.customer_of(tx, p).await?;
        if !attributes.is_empty() {
            let written = if out.created {
                // A new profile has nothing to keep: no need to read what it holds.
                let json = serde_json::to_string(attributes).map_err(|_| ApiError::Internal)?;
                profiles::set_attributes(tx, &id, &json, now).await?;
                true
            } else {
                set_attributes(tx, &id, attributes, now).await?
            };
            out.changed |= written;
        }
        out.customer = Some(id);
    }
    Ok(out)
}

/// Writes attributes on one profile row, keeping the tenant's field policies: a birthday keeps
/// its first value, other fields take the newest, counters are set (they add up only on merge).
/// A value equal to the stored one changes nothing. Returns whether anything changed.
pub async fn set_attributes(
    tx: &mut Tx,
    id: &str,
    incoming: &Attributes,
    now: i64,
) -> Result<bool, ApiError> {
    let mut current: Attributes =
        serde_json::from_str(&profiles::attributes_json(tx, id).await?).unwrap_or_default();
    let policy = AttributePolicy::default();
    let mut changed = false;
    for (name, value) in incoming {
        let existing = current.get(name);
        if existing.is_some_and(|c| c.value == value.value) {
            continue;
        }
        let keep = matches!(
            policy.of(name),
            FieldPolicy::Oldest | FieldPolicy::FirstNonEmpty
        ) && existing
            .is_some_and(|c| !matches!(&c.value, AttributeValue::Text(t) if t.is_empty()));
        if !keep {
            current.insert(name.clone(), value.clone());
            changed = true;
        }
    }
    if changed {
        let json = serde_json::to_string(&current).map_err(|_| ApiError::Internal)?;
        profiles::set_attributes(tx, id, &json, now).await?;
    }
    Ok(changed)
}

/// A WeChat fan as an event names them.
#[derive(Debug, Clone, Copy)]
pub struct Fan<'a> {
    /// The Official Account's (or mini program's) AppID.
    pub app_id: &'a str,
    /// The fan's openid in that app.
    pub openid: &'a str,
    /// The unionid, when WeChat gives one.
    pub unionid: Option<&'a str>,
    /// `wechat.callback`, `wechat.sync`, …
    pub source: &'a str,
}

/// The profile a WeChat fan's events are recorded on (the home of its openid), created on
/// first contact; a unionid, when WeChat gives one, is observed with it.
pub async fn wechat_fan(
    state: &AppState,
    tx: &mut Tx,
    tenant: &TenantId,
    fan: &Fan<'_>,
    now: i64,
) -> Result<String, ApiError> {
    let Fan {
        app_id,
        openid,
        unionid,
        source,
    } = *fan;
    let bad = |e: String| ApiError::invalid("openid", e);
    let kind = IdentityKind::openid(app_id).map_err(|e| bad(e.to_string()))?;
    let fan = siyu_identity::Identity::parse(kind, openid).map_err(|e| bad(e.to_string()))?;
    let mut plain = vec![state.identities.plain(tenant, fan)];
    if let Some(u) = unionid.filter(|u| !u.is_empty()) {
        if let Ok(u) = siyu_identity::Identity::parse(IdentityKind::Unionid, u) {
            plain.push(state.identities.plain(tenant, u));
        }
    }
    // Most events come from fans siyu already knows.
    let mut holders = Vec::with_capacity(plain.len());
    for p in &plain {
        holders.push(profiles::find_token(tx, tenant, p.token()).await?);
    }
    if let Some(Some((home, holder))) = holders.first() {
        if holders
            .iter()
            .all(|h| h.as_ref().is_some_and(|(_, x)| x == holder))
        {
            return Ok(home.clone());
        }
    }
    let mut session = state.identities.open(tx, tenant, now).await?;
    observe(&mut session, tx, &plain, &Attributes::new(), source, now).await?;
    let token = plain[0].token().to_owned();
    profiles::find_token(tx, tenant, &token)
        .await?
        .map(|(home, _)| home)
        .ok_or(ApiError::Internal)
}

/// [`wechat_fan`] for many fans of one tenant, none with a unionid: the known ones found in one
/// query, the new ones created under one opening of the graph and one log entry. Returns
/// each fan's profile, in order.
pub async fn wechat_fans(
    state: &AppState,
    tx: &mut Tx,
    tenant: &TenantId,
    fans: &[Fan<'_>],
    now: i64,
) -> Result<Vec<String>, ApiError> {
    let bad = |e: String| ApiError::invalid("openid", e);
    let mut plain = Vec::with_capacity(fans.len());
    for f in fans {
        if f.unionid.is_some_and(|u| !u.is_empty()) {
            return Err(ApiError::invalid(
                "unionid",
                "a fan with a unionid is observed alone",
            ));
        }
        let kind = IdentityKind::openid(f.app_id).map_err(|e| bad(e.to_string()))?;
        let id = siyu_identity::Identity::parse(kind, f.openid).map_err(|e| bad(e.to_string()))?;
        plain.push(state.identities.plain(tenant, id));
    }
    let tokens: Vec<&str> = plain.iter().map(Plain::token).collect();
    let found = profiles::find_tokens(tx, tenant, &tokens).await?;
    let mut homes: Vec<Option<String>> = tokens
        .iter()
        .map(|t| found.get(*t).map(|(home, _)| home.clone()))
        .collect();
    if homes.iter().any(Option::is_none) {
        let mut session = state.identities.open(tx, tenant, now).await?;
        session.begin_batch()?;
        session.defer_rows();
        for (i, f) in fans.iter().enumerate() {
            if homes[i].is_some() {
                continue;
            }
            let seen = observe(
                &mut session,
                tx,
                std::slice::from_ref(&plain[i]),
                &Attributes::new(),
                f.source,
                now,
            )
            .await?;
            homes[i] = Some(seen.customer.ok_or(ApiError::Internal)?);
        }
        session.finish_batch(tx, now).await?;
    }
    homes
        .into_iter()
        .map(|h| h.ok_or(ApiError::Internal))
        .collect()
}

/// Undoes a merge.
pub async fn undo(
    state: &AppState,
    tx: &mut Tx,
    tenant: &TenantId,
    merge: &profiles::MergeRow,
    now: i64,
) -> Result<(), ApiError> {
    let mut session = state.identities.open(tx, tenant, now).await?;
    let id =
        siyu_identity::MergeId::new(u32::try_from(merge.merge_no).map_err(|_| ApiError::Internal)?);
    let outcome = match session.graph()?.undo(id, now) {
        Ok(o) => o,
        Err(UndoError::AlreadyUndone { .. }) => {
            return Err(ApiError::Conflict {
                code: "merge_already_undone",
                message: "this merge was already undone".into(),
            })
        }
        Err(UndoError::Blocked { later, .. }) => {
            let later = profiles::merge_by_no(&state.store, tenant, i64::from(later.get())).await?;
            return Err(ApiError::Conflict {
                code: "merge_undo_blocked",
                message: format!(
                    "the surviving profile was merged again later ({}); undo that merge first",
                    later.id
                ),
            });
        }
        Err(UndoError::UnknownMerge(_)) => return Err(ApiError::NotFound),
    };
    let mut ctx = graphs::Context {
        plain: &[],
        source: "api",
        adopt: None,
        linked: Vec::new(),
    };
    session
        .persist(tx, std::slice::from_ref(&outcome.change), &mut ctx, now)
        .await
}

/// Erases a live profile: the graph lets go of its identities, its rows are anonymised and its
/// events, messages, tags and queued sends deleted.
pub async fn erase(
    state: &AppState,
    tx: &mut Tx,
    tenant: &TenantId,
    root: &str,
    now: i64,
) -> Result<(), ApiError> {
    let mut session = state.identities.open(tx, tenant, now).await?;
    let profile = profiles::profile_of(tx, tenant, root)
        .await?
        .ok_or(ApiError::NotFound)?;
    let profile =
        siyu_identity::ProfileId::new(u32::try_from(profile).map_err(|_| ApiError::Internal)?);
    let graph = session.graph()?;
    let mut changes = Vec::new();
    for identity in graph.identities_of(profile) {
        match graph.unlink(profile, &identity) {
            Ok(change) => changes.push(change),
            Err(e) => {
                tracing::error!(error = %e, "erasure could not unlink an identity");
                return Err(ApiError::Internal);
            }
        }
    }
    let openids: Vec<String> = profiles::identities_of(&state.store, tenant, root)
        .await?
        .into_iter()
        .filter(|i| i.kind == "openid")
        .map(|i| i.value)
        .collect();
    let mut ctx = graphs::Context {
        plain: &[],
        source: "erasure",
        adopt: None,
        linked: Vec::new(),
    };
    session.persist(tx, &changes, &mut ctx, now).await?;
    profiles::erase(tx, tenant, root, now).await?;
    for openid in openids {
        siyu_store::jobs::cancel_pending_mentioning(tx, tenant, &openid).await?;
    }
    Ok(())
}

/// Identifies a customer from identities seen together (API, console): creates, links or
/// merges, sets the attributes, and audits it. Returns the live profile and what happened.
pub async fn identify(
    state: &AppState,
    tenant: &TenantId,
    inputs: &[IdentityInput],
    attributes: &serde_json::Map<String, serde_json::Value>,
    actor: &crate::services::Actor,
) -> Result<(String, Observed), ApiError> {
    if inputs.is_empty() {
        return Err(ApiError::invalid(
            "identities",
            "give at least one identity",
        ));
    }
    if inputs.len() > 20 {
        return Err(ApiError::invalid(
            "identities",
            "at most 20 identities at once",
        ));
    }
    let now = state.now();
    let parsed = parse(state, tenant, inputs).await?;
    let attrs = attributes_from_json(attributes, now)?;
    if parsed.plain.is_empty() {
        return Err(ApiError::invalid(
            "identities",
            "every identity is a placeholder (such as \"null\" or 13800000000); nothing identifies this customer",
        ));
    }
    let mut tx = state.store.begin().await?;
    let mut session = state.identities.open(&mut tx, tenant, now).await?;
    let mut observed = observe(&mut session, &mut tx, &parsed.plain, &attrs, "api", now).await?;
    observed.ignored.extend(
        parsed
            .placeholders
            .iter()
            .map(|k| format!("{k}: a placeholder value")),
    );
    let id = observed.customer.clone().ok_or(ApiError::Internal)?;
    if observed.changed {
        crate::services::record(
            &mut tx,
            Some(tenant),
            actor,
            "customer.identify",
            Some(&id),
            Some(serde_json::json!({
                "created": observed.created, "merges": observed.merges, "conflicts": observed.conflicts,
                "kinds": parsed.plain.iter().map(|p| p.identity.kind().name()).collect::<Vec<_>>(),
            })),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    drop(session);
    Ok((id, observed))
}

/// Tags as given, checked and trimmed, duplicates dropped.
pub(crate) fn check_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ApiError> {
    if tags.len() > 50 {
        return Err(ApiError::invalid(field, "at most 50 tags at once"));
    }
    let mut out = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 32 {
            return Err(ApiError::invalid(field, "a tag is 1–32 characters"));
        }
        if t.chars().any(|c| c.is_control() || c == ',') {
            return Err(ApiError::invalid(
                field,
                "a tag cannot contain commas or control characters",
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// Adds and removes tags on a customer's profile.
pub async fn retag(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    add: &[String],
    remove: &[String],
    actor: &crate::services::Actor,
) -> Result<String, ApiError> {
    let add = check_tags("add", add)?;
    let remove = check_tags("remove", remove)?;
    let root = profiles::canonical(&state.store, tenant, id).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    profiles::retag(&mut tx, tenant, &root, &add, &remove, now).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "customer.tags",
        Some(&root),
        Some(serde_json::json!({"add": add, "remove": remove})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(root)
}

/// Undoes a merge by id; returns the restored customer id.
pub async fn undo_merge(
    state: &AppState,
    tenant: &TenantId,
    merge_id: &str,
    actor: &crate::services::Actor,
) -> Result<profiles::MergeRow, ApiError> {
    let merge = profiles::merge_by_id(&state.store, tenant, merge_id).await?;
    if merge.undone_at.is_some() {
        return Err(ApiError::Conflict {
            code: "merge_already_undone",
            message: "this merge was already undone".into(),
        });
    }
    let now = state.now();
    let mut tx = state.store.begin().await?;
    undo(state, &mut tx, tenant, &merge, now).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "customer.merge_undo",
        Some(&merge.id),
        Some(serde_json::json!({"survivor": merge.survivor_id, "restored": merge.absorbed_id})),
        now,
    )
    .await?;
    tx.commit().await?;
    profiles::merge_by_id(&state.store, tenant, merge_id)
        .await
        .map_err(Into::into)
}

/// Erases a customer (PIPL): audited with the id only.
pub async fn erase_customer(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    actor: &crate::services::Actor,
) -> Result<(), ApiError> {
    let root = profiles::canonical(&state.store, tenant, id).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    erase(state, &mut tx, tenant, &root, now).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "customer.erase",
        Some(&root),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Everything siyu holds about a customer, as JSON (PIPL access request).
pub async fn export(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
) -> Result<serde_json::Value, ApiError> {
    let p = view::load(state, tenant, id).await?;
    let follows = siyu_store::customers::follow_history(&state.store, tenant, &p.id).await?;
    let messages =
        siyu_store::inbound::for_customer(&state.store, tenant, &p.id, None, 100_000).await?;
    let merges = profiles::merges_of(&state.store, tenant, &p.id).await?;
    let orders = profiles::orders_of(&state.store, tenant, &p.id).await?;
    Ok(serde_json::json!({
        "exported_at": state.now(),
        "customer": {
            "id": p.id,
            "nickname": p.nickname,
            "following": p.following,
            "followed_at": p.followed_at,
            "unfollowed_at": p.unfollowed_at,
            "first_channel": p.first_channel,
            "last_channel": p.last_channel,
            "last_interaction_at": p.last_interaction_at,
            "last_location": p.last_location,
            "created_at": p.created_at,
            "attributes": p.attributes,
            "tags": p.tags,
            "consents": p.consents,
        },
        "identities": p.identities,
        "records": p.members.iter().map(|m| &m.id).collect::<Vec<_>>(),
        "follow_history": follows,
        "messages": messages.iter().map(|m| serde_json::json!({
            "msg_type": m.msg_type, "event": m.event, "event_key": m.event_key,
            "content": m.content, "account_id": m.account_id, "created_at": m.created_at,
        })).collect::<Vec<_>>(),
        "orders": orders,
        "merges": merges,
    }))
}

/// Links one identity to a live profile (e.g. the number of a card just issued). Refused with
/// 409 when another customer holds it or the profile already has another value of its kind.
pub async fn link(
    state: &AppState,
    tx: &mut Tx,
    tenant: &TenantId,
    root: &str,
    identity: siyu_identity::Identity,
    source: &str,
    now: i64,
) -> Result<(), ApiError> {
    let plain = state.identities.plain(tenant, identity);
    let mut session = state.identities.open(tx, tenant, now).await?;
    let profile = profiles::profile_of(tx, tenant, root)
        .await?
        .ok_or(ApiError::NotFound)?;
    let profile =
        siyu_identity::ProfileId::new(u32::try_from(profile).map_err(|_| ApiError::Internal)?);
    let change = match session.graph()?.link(profile, &plain.opaque) {
        Ok(c) => c,
        Err(siyu_identity::LinkError::AlreadyHeld) => return Ok(()),
        Err(e) => {
            let why = match e {
                siyu_identity::LinkError::HeldBy(_) => "another customer holds it".to_owned(),
                siyu_identity::LinkError::Conflict(_) => {
                    "the customer already has another one".to_owned()
                }
                other => other.to_string(),
            };
            return Err(ApiError::Conflict {
                code: "identity_taken",
                message: format!(
                    "{} cannot be added to this customer: {why}",
                    plain.identity.kind().name()
                ),
            });
        }
    };
    let plains = [plain];
    let mut ctx = graphs::Context {
        plain: &plains,
        source,
        adopt: None,
        linked: Vec::new(),
    };
    session.persist(tx, &[change], &mut ctx, now).await
}

/// Consent purposes a customer can give or withdraw.
pub const CONSENT_PURPOSES: &[&str] = &["marketing", "sms", "profiling"];

/// Records consents given or withdrawn (`purpose → granted`); audited.
pub async fn set_consents(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    consents: &std::collections::BTreeMap<String, bool>,
    source: &str,
    actor: &crate::services::Actor,
) -> Result<String, ApiError> {
    if consents.is_empty() {
        return Err(ApiError::invalid("consents", "give at least one purpose"));
    }
    for purpose in consents.keys() {
        if !CONSENT_PURPOSES.contains(&purpose.as_str()) {
            return Err(ApiError::invalid(
                format!("consents.{purpose}"),
                "unknown purpose; use marketing, sms or profiling",
            ));
        }
    }
    let root = profiles::canonical(&state.store, tenant, id).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    for (purpose, granted) in consents {
        profiles::set_consent(&mut tx, tenant, &root, purpose, *granted, source, now).await?;
    }
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "customer.consent",
        Some(&root),
        Some(serde_json::json!(consents)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(root)
}
