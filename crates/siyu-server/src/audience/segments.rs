//! Saved segments and evaluating a query: count, members, CSV.

use serde_json::Value;
use siyu_domain::segment::Expr;
use siyu_domain::TenantId;
use siyu_store::pushes::{self, Segment};

use super::resolve;
use crate::error::ApiError;
use crate::state::AppState;

/// Longest segment name, in characters.
const NAME_MAX: usize = 60;

/// A query's result.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The query in canonical text form.
    pub query: String,
    /// Live profiles in the segment.
    pub count: u64,
    /// Their ids, when asked for.
    pub members: Option<Vec<String>>,
    /// Names in the query nobody has (tags, levels, products, categories, channels): each
    /// matches no one, which is reported rather than silently counted as empty.
    pub unknown: Vec<String>,
}

/// Evaluates an already-parsed expression for a tenant (saved segments inlined, names checked).
pub async fn evaluate_expr(
    state: &AppState,
    tenant: &TenantId,
    expr: &Expr,
    members: bool,
    saving: Option<&str>,
) -> Result<Evaluation, ApiError> {
    let mut stack: Vec<String> = saving.map(str::to_owned).into_iter().collect();
    let mut unknown = Vec::new();
    let resolved = resolve::expand(state, tenant, expr, &mut stack, &mut unknown).await?;
    let now = state.now();
    let result = state
        .audiences
        .read(state, tenant, |index| {
            let names = resolve::unknown_names(index, &resolved);
            let bits = index
                .evaluate(&resolved, now)
                .map_err(|e| ApiError::Segment {
                    code: "segment_unknown_name",
                    message: e.to_string(),
                    position: None,
                })?;
            let ids = members.then(|| index.keys(&bits));
            Ok::<_, ApiError>((bits.len(), ids, names))
        })
        .await??;
    unknown.extend(result.2);
    unknown.dedup();
    Ok(Evaluation {
        query: expr.to_string(),
        count: result.0,
        members: result.1,
        unknown,
    })
}

/// Evaluates a query given as text or JSON.
pub async fn evaluate(
    state: &AppState,
    tenant: &TenantId,
    query: &Value,
    members: bool,
) -> Result<Evaluation, ApiError> {
    let expr = resolve::parse(query)?;
    evaluate_expr(state, tenant, &expr, members, None).await
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX {
        return Err(ApiError::invalid(
            "name",
            format!("give the segment a name of 1 to {NAME_MAX} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// Saves a new segment (its query checked and stored in canonical form).
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    name: &str,
    query: &Value,
    actor: &crate::services::Actor,
) -> Result<(Segment, Evaluation), ApiError> {
    let name = check_name(name)?;
    let expr = resolve::parse(query)?;
    let eval = evaluate_expr(state, tenant, &expr, false, Some(&name)).await?;
    let now = state.now();
    let seg = Segment {
        id: format!("sg_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.as_str().to_owned(),
        name,
        query: eval.query.clone(),
        wechat_tag_id: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.store.begin().await?;
    pushes::insert_segment(&mut tx, &seg)
        .await
        .map_err(|e| name_taken(e, &seg.name))?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "segment.create",
        Some(&seg.id),
        Some(serde_json::json!({"name": seg.name})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((seg, eval))
}

fn name_taken(e: siyu_store::StoreError, name: &str) -> ApiError {
    match e {
        siyu_store::StoreError::Conflict(_) => ApiError::Conflict {
            code: "segment_name_taken",
            message: format!("a segment called \"{name}\" already exists; choose another name"),
        },
        other => other.into(),
    }
}

/// Changes a saved segment's name and query.
pub async fn update(
    state: &AppState,
    tenant: &TenantId,
    id: &str,
    name: &str,
    query: &Value,
    actor: &crate::services::Actor,
) -> Result<(Segment, Evaluation), ApiError> {
    let old = pushes::segment(&state.store, tenant, id).await?;
    let name = check_name(name)?;
    let expr = resolve::parse(query)?;
    // Refuse a query that reaches back to this segment under its old or new name.
    let mut stack = vec![old.name.clone()];
    resolve::expand(state, tenant, &expr, &mut stack, &mut Vec::new()).await?;
    let eval = evaluate_expr(state, tenant, &expr, false, Some(&name)).await?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    pushes::update_segment(&mut tx, tenant, id, &name, &eval.query, now)
        .await
        .map_err(|e| name_taken(e, &name))?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "segment.update",
        Some(id),
        Some(serde_json::json!({"name": name})),
        now,
    )
    .await?;
    tx.commit().await?;
    let seg = pushes::segment(&state.store, tenant, id).await?;
    Ok((seg, eval))
}

/// Evaluates a saved segment now (its members' ids too when asked for).
async fn evaluate_saved(
    state: &AppState,
    tenant: &TenantId,
    seg: &Segment,
    members: bool,
) -> Result<Evaluation, ApiError> {
    let expr = resolve::parse(&Value::String(seg.query.clone()))?;
    evaluate_expr(state, tenant, &expr, members, Some(&seg.name)).await
}

/// A saved segment's members now.
pub async fn members_of(
    state: &AppState,
    tenant: &TenantId,
    seg: &Segment,
) -> Result<Vec<String>, ApiError> {
    Ok(evaluate_saved(state, tenant, seg, true)
        .await?
        .members
        .unwrap_or_default())
}

/// How many members a saved segment has now (no ids are listed).
pub async fn count_of(state: &AppState, tenant: &TenantId, seg: &Segment) -> Result<u64, ApiError> {
    Ok(evaluate_saved(state, tenant, seg, false).await?.count)
}

fn csv_field(s: &str) -> String {
    // Cells that a spreadsheet would run as a formula are prefixed with a quote.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn time(ms: Option<i64>) -> String {
    ms.map(crate::console::templates::format_time)
        .unwrap_or_default()
}

/// The members of a segment as CSV (one row per live profile, with what the index knows).
pub async fn members_csv(
    state: &AppState,
    tenant: &TenantId,
    seg: &Segment,
) -> Result<String, ApiError> {
    let ids = members_of(state, tenant, seg).await?;
    let mut out = String::from(
        "customer_id,following,followed_at,last_interaction_at,province,city,tags,orders,spend_yuan,level,points\n",
    );
    for chunk in ids.chunks(500) {
        let facts = super::load(state, tenant, siyu_store::audience::Scope::Roots(chunk)).await?;
        for id in chunk {
            let Some(f) = facts.get(id) else { continue };
            let row = [
                id.clone(),
                f.following.to_string(),
                time(f.followed_at),
                time(f.last_interaction_at),
                f.province.clone().unwrap_or_default(),
                f.city.clone().unwrap_or_default(),
                f.tags.join("|"),
                f.orders.to_string(),
                format!("{}.{:02}", f.spend_fen / 100, (f.spend_fen % 100).abs()),
                f.level.clone().unwrap_or_default(),
                f.points.to_string(),
            ];
            let line: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    Ok(out)
}
