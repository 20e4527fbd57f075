//! Segments evaluated in memory: each node keeps one `siyu-audience` index per tenant, built from
//! the database on first use and brought up to date from the change feed before every read, so
//! every node counts the same members as the database holds.

pub mod resolve;
pub mod segments;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use siyu_audience::{Facts, Index, Purchase};
use siyu_domain::TenantId;
use siyu_identity::{merge_attributes, AttributePolicy, AttributeValue, Attributes};
use siyu_store::audience::{self as feed, Cursor, Scope};
use siyu_store::StoreError;
use tokio::sync::RwLock;

use crate::error::ApiError;
use crate::state::AppState;

/// Profiles reloaded per query when catching up.
const RELOAD_CHUNK: usize = 500;

/// One tenant's index and where it stands in the change feed.
pub struct TenantIndex {
    /// The index, keyed by live profile id.
    pub index: Index<String>,
    cursor: Cursor,
}

type Slot = Arc<RwLock<Option<TenantIndex>>>;

/// Every tenant's index on this node.
#[derive(Default)]
pub struct Audiences {
    tenants: Mutex<HashMap<String, Slot>>,
}

impl Audiences {
    /// No index yet; each is built on first use.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, tenant: &TenantId) -> Slot {
        let mut map = self
            .tenants
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(tenant.as_str().to_owned()).or_default().clone()
    }

    /// Runs `f` over the tenant's index once it holds everything committed before this call.
    pub async fn read<R>(
        &self,
        state: &AppState,
        tenant: &TenantId,
        f: impl FnOnce(&Index<String>) -> R,
    ) -> Result<R, ApiError> {
        let slot = self.slot(tenant);
        {
            let mut guard = slot.write().await;
            match guard.as_mut() {
                None => *guard = Some(build(state, tenant).await?),
                Some(t) => {
                    if !catch_up(state, tenant, t).await? {
                        *guard = Some(build(state, tenant).await?);
                    }
                }
            }
        }
        let guard = slot.read().await;
        match guard.as_ref() {
            Some(t) => Ok(f(&t.index)),
            None => Err(ApiError::Internal),
        }
    }
}

/// Builds a tenant's index from the database.
async fn build(state: &AppState, tenant: &TenantId) -> Result<TenantIndex, ApiError> {
    let cursor = feed::head(&state.store, tenant).await?;
    let mut index = Index::new();
    for (root, facts) in load(state, tenant, Scope::All).await? {
        index.upsert(root, &facts);
    }
    tracing::debug!(tenant = %tenant, profiles = index.len(), "audience index built");
    Ok(TenantIndex { index, cursor })
}

/// Applies the changes since the index's cursor; false when the feed no longer reaches back
/// that far (the caller rebuilds).
async fn catch_up(
    state: &AppState,
    tenant: &TenantId,
    t: &mut TenantIndex,
) -> Result<bool, ApiError> {
    let (changed, cursor) = feed::changes_since(&state.store, tenant, t.cursor).await?;
    if changed.is_empty() {
        t.cursor = cursor;
        return Ok(true);
    }
    // Changes this node never read were deleted: catching up would miss them.
    if feed::pruned_upto(&state.store, tenant).await? > t.cursor.seq {
        return Ok(false);
    }
    let ids: Vec<String> = changed
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut roots = BTreeSet::new();
    for chunk in ids.chunks(RELOAD_CHUNK) {
        for (row, root) in feed::roots_of(&state.store, tenant, chunk).await? {
            if root.as_deref() != Some(row.as_str()) {
                t.index.remove(&row);
            }
            if let Some(r) = root {
                roots.insert(r);
            }
        }
    }
    let roots: Vec<String> = roots.into_iter().collect();
    for chunk in roots.chunks(RELOAD_CHUNK) {
        let mut loaded = load(state, tenant, Scope::Roots(chunk)).await?;
        for root in chunk {
            match loaded.remove(root) {
                Some(facts) => {
                    t.index.upsert(root.clone(), &facts);
                }
                None => {
                    t.index.remove(root);
                }
            }
        }
    }
    t.cursor = cursor;
    Ok(true)
}

#[derive(Default)]
struct Group {
    rows: Vec<feed::Row>,
    facts: Facts,
}

/// Reads the facts of every live profile in scope.
pub async fn load(
    state: &AppState,
    tenant: &TenantId,
    scope: Scope<'_>,
) -> Result<HashMap<String, Facts>, StoreError> {
    let store = &state.store;
    let now = state.now();
    let mut groups: HashMap<String, Group> = HashMap::new();
    let mut root_of: HashMap<String, String> = HashMap::new();
    for row in feed::rows(store, tenant, scope).await? {
        if row.erased {
            continue;
        }
        let root = row.canonical_id.clone().unwrap_or_else(|| row.id.clone());
        root_of.insert(row.id.clone(), root.clone());
        groups.entry(root).or_default().rows.push(row);
    }
    // A group whose live row is erased or missing is not a profile.
    groups.retain(|root, g| g.rows.iter().any(|r| &r.id == root));
    for (row, tag) in feed::tags(store, tenant, scope).await? {
        if let Some(g) = root_of.get(&row).and_then(|r| groups.get_mut(r)) {
            g.facts.tags.push(tag);
        }
    }
    for o in feed::orders(store, tenant, scope).await? {
        if let Some(g) = root_of.get(&o.customer_id).and_then(|r| groups.get_mut(r)) {
            let f = &mut g.facts;
            f.orders += 1;
            f.spend_fen += o.amount_fen;
            f.last_order_at = f.last_order_at.max(Some(o.at));
            f.purchases.push(Purchase {
                sku: o.sku,
                category: None,
                at: o.at,
            });
        }
    }
    let mut card_root: HashMap<String, String> = HashMap::new();
    for (row, card, level) in feed::cards(store, tenant, scope).await? {
        if let Some(root) = root_of.get(&row) {
            if let Some(g) = groups.get_mut(root) {
                g.facts.level = level;
                g.facts.identity_kinds.push("member_card".into());
                card_root.insert(card, root.clone());
            }
        }
    }
    let ledger = feed::ledger(store, tenant, scope).await?;
    for run in ledger.chunk_by(|a, b| a.card_id == b.card_id) {
        let Some(g) = run
            .first()
            .and_then(|r| card_root.get(&r.card_id))
            .and_then(|root| groups.get_mut(root))
        else {
            continue;
        };
        let rows: Vec<_> = run.iter().map(|r| r.row.clone()).collect();
        let entries = crate::membership::entries(&rows);
        g.facts.points = siyu_domain::points::balance(&entries, now, 0).available;
    }
    for (holder, kind) in feed::identity_kinds(store, tenant, scope).await? {
        if let Some(g) = groups.get_mut(&holder) {
            g.facts.identity_kinds.push(kind);
        }
    }
    let mut latest: HashMap<(String, String), (i64, bool)> = HashMap::new();
    for (row, purpose, granted, at) in feed::consents(store, tenant, scope).await? {
        if let Some(root) = root_of.get(&row) {
            let e = latest
                .entry((root.clone(), purpose))
                .or_insert((i64::MIN, false));
            if at >= e.0 {
                *e = (at, granted);
            }
        }
    }
    for ((root, purpose), (_, granted)) in latest {
        if granted {
            if let Some(g) = groups.get_mut(&root) {
                g.facts.consents.push(purpose);
            }
        }
    }
    let policy = AttributePolicy::default();
    Ok(groups
        .into_iter()
        .map(|(root, mut g)| {
            finish(&root, &mut g, &policy);
            (root, g.facts)
        })
        .collect())
}

/// Fills in what comes from the group's rows: follow state, touches, interaction, region.
fn finish(root: &str, g: &mut Group, policy: &AttributePolicy) {
    let rows = &mut g.rows;
    rows.sort_by(|a, b| {
        (a.id != root, a.created_at, &a.id).cmp(&(b.id != root, b.created_at, &b.id))
    });
    let f = &mut g.facts;
    f.following = rows.iter().any(|r| r.following);
    f.ever_followed = rows.iter().any(|r| r.followed_at.is_some());
    f.followed_at = rows.iter().filter_map(|r| r.followed_at).max();
    f.last_interaction_at = rows.iter().filter_map(|r| r.last_interaction_at).max();
    f.first_channel = rows
        .iter()
        .filter(|r| r.first_scene.is_some())
        .min_by_key(|r| (r.followed_at.unwrap_or(i64::MAX), r.created_at))
        .and_then(|r| r.first_scene.clone());
    f.last_channel = rows
        .iter()
        .filter(|r| r.last_scene.is_some())
        .max_by_key(|r| r.updated_at)
        .and_then(|r| r.last_scene.clone());
    let mut attrs = Attributes::new();
    for r in rows.iter() {
        let theirs: Attributes = serde_json::from_str(&r.attributes).unwrap_or_default();
        attrs = merge_attributes(&attrs, &theirs, policy);
    }
    let text = |k: &str| match attrs.get(k).map(|a| &a.value) {
        Some(AttributeValue::Text(t)) if !t.is_empty() => Some(t.clone()),
        _ => None,
    };
    f.province = text("province").map(|p| resolve::region_name(&p));
    f.city = text("city").map(|c| resolve::region_name(&c));
    f.tags.sort();
    f.tags.dedup();
    f.identity_kinds.sort();
    f.identity_kinds.dedup();
    f.consents.sort();
}
