//! Vouchers (优惠券) and in-store redemption (核销). A code is `payload` (10 random characters)
//! followed by a 6-character tag keyed by the deployment secret and the tenant, so a forged or
//! mistyped code is refused before any lookup; redemption succeeds exactly once.

use rand::Rng;
use serde::{Deserialize, Serialize};
use siyu_domain::TenantId;
use siyu_store::vouchers::{self as store, Template, Voucher};

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

const PAYLOAD: usize = 10;
const TAG: usize = 6;

/// A new voucher template.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// Display name, e.g. `满 30 减 5`.
    pub name: String,
    /// `amount_off`, `percent_off` or `free_item`.
    pub kind: String,
    /// For `amount_off`: fen off.
    pub amount_fen: Option<i64>,
    /// For `percent_off`: 1–99.
    pub percent_off: Option<i64>,
    /// For `free_item`: the item.
    pub item_name: Option<String>,
    /// Minimum spend in fen (default 0).
    pub min_spend_fen: Option<i64>,
    /// Valid from, Unix ms.
    pub valid_from: Option<i64>,
    /// Valid until, Unix ms.
    pub valid_until: Option<i64>,
    /// How many may be issued.
    pub stock: i64,
    /// Vouchers per customer.
    pub per_person_limit: Option<i64>,
}

fn validate(n: &NewTemplate) -> Result<(), ApiError> {
    let len = n.name.trim().chars().count();
    if len == 0 || len > 50 {
        return Err(ApiError::invalid("name", "must be 1 to 50 characters"));
    }
    match n.kind.as_str() {
        "amount_off" if n.amount_fen.is_some_and(|a| a > 0) => {}
        "amount_off" => {
            return Err(ApiError::invalid(
                "amount_fen",
                "an amount_off voucher needs amount_fen above 0",
            ))
        }
        "percent_off" if n.percent_off.is_some_and(|p| (1..=99).contains(&p)) => {}
        "percent_off" => return Err(ApiError::invalid("percent_off", "must be 1 to 99")),
        "free_item" if n.item_name.as_deref().is_some_and(|i| !i.trim().is_empty()) => {}
        "free_item" => {
            return Err(ApiError::invalid(
                "item_name",
                "a free_item voucher needs the item's name",
            ))
        }
        _ => {
            return Err(ApiError::invalid(
                "kind",
                "use amount_off, percent_off or free_item",
            ))
        }
    }
    if n.min_spend_fen.is_some_and(|m| m < 0) {
        return Err(ApiError::invalid("min_spend_fen", "must not be negative"));
    }
    if !(1..=10_000_000).contains(&n.stock) {
        return Err(ApiError::invalid("stock", "must be 1 to 10,000,000"));
    }
    if n.per_person_limit.is_some_and(|l| l < 1) {
        return Err(ApiError::invalid("per_person_limit", "must be at least 1"));
    }
    if let (Some(a), Some(b)) = (n.valid_from, n.valid_until) {
        if b <= a {
            return Err(ApiError::invalid("valid_until", "must be after valid_from"));
        }
    }
    Ok(())
}

/// Creates a template (audited).
pub async fn create_template(
    state: &AppState,
    tenant: &TenantId,
    n: NewTemplate,
    actor: &Actor,
) -> Result<Template, ApiError> {
    validate(&n)?;
    let now = state.now();
    let t = Template {
        id: format!("vt_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.to_string(),
        name: n.name.trim().to_owned(),
        kind: n.kind,
        amount_fen: n.amount_fen,
        percent_off: n.percent_off,
        item_name: n.item_name.map(|i| i.trim().to_owned()),
        min_spend_fen: n.min_spend_fen.unwrap_or(0),
        valid_from: n.valid_from,
        valid_until: n.valid_until,
        stock: n.stock,
        remaining: n.stock,
        per_person_limit: n.per_person_limit,
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::insert_template(&mut tx, &t).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "voucher_template.create",
        Some(&t.id),
        Some(serde_json::json!({"name": t.name})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

fn new_code(state: &AppState, tenant: &TenantId) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    let payload: String = (0..PAYLOAD)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    let tag = state
        .keys
        .tag("voucher", &format!("{tenant}:{payload}"), TAG);
    format!("{payload}{tag}")
}

/// A typed or scanned code as issued: spaces and dashes dropped, upper case.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Normalises a typed or scanned code and checks its tag; `None` when it cannot be genuine.
pub fn check_code(state: &AppState, tenant: &TenantId, raw: &str) -> Option<String> {
    let code = normalise_code(raw);
    if code.len() != PAYLOAD + TAG || !code.is_ascii() {
        return None;
    }
    let (payload, tag) = code.split_at(PAYLOAD);
    let expected = state
        .keys
        .tag("voucher", &format!("{tenant}:{payload}"), TAG);
    crate::crypto::constant_eq(expected.as_bytes(), tag.as_bytes()).then_some(code)
}

fn refused(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        code,
        message: message.into(),
    }
}

/// Issues a voucher to a customer: stock and the per-person limit hold under concurrency.
pub async fn issue(
    state: &AppState,
    tenant: &TenantId,
    template_id: &str,
    customer_id: &str,
    source: &str,
) -> Result<Voucher, ApiError> {
    let t = store::template(&state.store, tenant, template_id)
        .await
        .map_err(|_| {
            ApiError::invalid("template_id", format!("no voucher template {template_id}"))
        })?;
    siyu_store::customers::get(&state.store, tenant, customer_id)
        .await
        .map_err(|_| {
            ApiError::invalid(
                "customer_id",
                format!("no customer {customer_id} in this tenant"),
            )
        })?;
    let now = state.now();
    if t.valid_until.is_some_and(|u| now >= u) {
        return Err(refused(
            "voucher_expired",
            "this voucher template has expired",
        ));
    }
    let mut tx = state.store.begin().await?;
    // Taking stock locks the template row, so the per-person count below cannot race.
    if !store::take_stock(&mut tx, tenant, &t.id).await? {
        return Err(refused(
            "voucher_out_of_stock",
            "all vouchers of this template have been issued",
        ));
    }
    if let Some(limit) = t.per_person_limit {
        if store::held(&mut tx, &t.id, customer_id).await? >= limit {
            return Err(refused(
                "voucher_limit_reached",
                format!("at most {limit} per customer"),
            ));
        }
    }
    let v = Voucher {
        code: new_code(state, tenant),
        tenant_id: tenant.to_string(),
        template_id: t.id,
        customer_id: customer_id.to_owned(),
        source: source.to_owned(),
        issued_at: now,
        redeemed_at: None,
        redeemed_by: None,
        redeemed_store: None,
    };
    store::insert_voucher(&mut tx, &v).await?;
    tx.commit().await?;
    Ok(v)
}

/// The result of a redemption.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Redeemed {
    /// The code.
    pub code: String,
    /// The template's name.
    pub name: String,
    /// When, Unix ms.
    pub redeemed_at: i64,
}

/// Redeems a code exactly once; a second attempt says when, where and by whom it was redeemed.
pub async fn redeem(
    state: &AppState,
    tenant: &TenantId,
    raw_code: &str,
    by: &Actor,
    store_name: Option<&str>,
    spend_fen: Option<i64>,
) -> Result<Redeemed, ApiError> {
    let code = check_code(state, tenant, raw_code).ok_or_else(|| {
        ApiError::invalid(
            "code",
            "this is not a voucher code of this merchant (check for typos)",
        )
    })?;
    let v = store::voucher(&state.store, tenant, &code).await?;
    let t = store::template(&state.store, tenant, &v.template_id).await?;
    let now = state.now();
    if let Some(at) = v.redeemed_at {
        return Err(already(&v, at));
    }
    if t.valid_from.is_some_and(|f| now < f) || t.valid_until.is_some_and(|u| now >= u) {
        return Err(refused(
            "voucher_not_valid",
            "this voucher is not valid today",
        ));
    }
    if spend_fen.is_some_and(|s| s < t.min_spend_fen) {
        return Err(refused(
            "voucher_min_spend",
            format!(
                "needs a spend of at least {}",
                siyu_domain::Fen(t.min_spend_fen)
            ),
        ));
    }
    let mut tx = state.store.begin().await?;
    if !store::redeem(&mut tx, tenant, &code, &by.to_string(), store_name, now).await? {
        drop(tx);
        let v = store::voucher(&state.store, tenant, &code).await?;
        return Err(already(&v, v.redeemed_at.unwrap_or(now)));
    }
    crate::services::record(
        &mut tx,
        Some(tenant),
        by,
        "voucher.redeem",
        Some(&code),
        Some(serde_json::json!({"store": store_name})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Redeemed {
        code,
        name: t.name,
        redeemed_at: now,
    })
}

fn already(v: &Voucher, at: i64) -> ApiError {
    let place = v
        .redeemed_store
        .as_deref()
        .map(|s| format!(" at {s}"))
        .unwrap_or_default();
    let who = v.redeemed_by.as_deref().unwrap_or("unknown");
    refused(
        "voucher_already_redeemed",
        format!(
            "already redeemed on {}{place} by {who}",
            crate::console::templates::format_time(at)
        ),
    )
}

/// Issues one voucher for one source (a prize won in a draw, a segment issuance): at most one
/// voucher per source, however often the job runs.
#[derive(Debug, Serialize, Deserialize)]
pub struct IssueVoucher {
    /// The tenant.
    pub tenant_id: String,
    /// The template.
    pub template_id: String,
    /// The customer.
    pub customer_id: String,
    /// Why (`draw:<entry id>`, `segment:<segment id>:<template id>:<customer id>`).
    pub source: String,
}

impl crate::jobs::Job for IssueVoucher {
    const KIND: &'static str = "vouchers.issue";
    const MAX_ATTEMPTS: i64 = 4;
}

/// Enqueues [`IssueVoucher`] in `tx`, deduplicated by its source; false if already queued.
pub async fn enqueue_issue(
    tx: &mut siyu_store::Tx,
    tenant: &TenantId,
    template_id: &str,
    customer_id: &str,
    source: &str,
    now: i64,
) -> Result<bool, ApiError> {
    let job = IssueVoucher {
        tenant_id: tenant.to_string(),
        template_id: template_id.to_owned(),
        customer_id: customer_id.to_owned(),
        source: source.to_owned(),
    };
    Ok(
        crate::jobs::enqueue(tx, Some(tenant), &job, Some(source), now, now)
            .await?
            .is_some(),
    )
}

/// The job handler: out of stock, over the per-person limit or expired is final, not retried.
pub async fn run_issue(state: AppState, job: IssueVoucher) -> Result<(), String> {
    let tenant = TenantId::parse(&job.tenant_id).map_err(|e| e.to_string())?;
    if store::by_source(&state.store, &tenant, &job.source)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(());
    }
    match issue(
        &state,
        &tenant,
        &job.template_id,
        &job.customer_id,
        &job.source,
    )
    .await
    {
        Ok(_) => Ok(()),
        Err(ApiError::Conflict { code, message }) => {
            tracing::info!(voucher.source = %job.source, code, %message, "voucher not issued");
            Ok(())
        }
        Err(ApiError::Validation { message, .. }) => {
            tracing::info!(voucher.source = %job.source, %message, "voucher not issued");
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Queues a voucher of `template_id` for every member of a saved segment now (once per member:
/// issuing to the same segment again reaches only new members). Returns how many were queued.
pub async fn issue_to_segment(
    state: &AppState,
    tenant: &TenantId,
    segment_id: &str,
    template_id: &str,
    actor: &Actor,
) -> Result<u64, ApiError> {
    let seg = siyu_store::pushes::segment(&state.store, tenant, segment_id).await?;
    store::template(&state.store, tenant, template_id)
        .await
        .map_err(|_| {
            ApiError::invalid("template_id", format!("no voucher template {template_id}"))
        })?;
    let members = crate::audience::segments::members_of(state, tenant, &seg).await?;
    let now = state.now();
    let mut queued = 0u64;
    for chunk in members.chunks(500) {
        let mut tx = state.store.begin().await?;
        for customer in chunk {
            let source = format!("segment:{}:{template_id}:{customer}", seg.id);
            if enqueue_issue(&mut tx, tenant, template_id, customer, &source, now).await? {
                queued += 1;
            }
        }
        tx.commit().await?;
    }
    let mut tx = state.store.begin().await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "voucher.issue_to_segment",
        Some(&seg.id),
        Some(serde_json::json!({"template_id": template_id, "queued": queued})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(queued)
}
