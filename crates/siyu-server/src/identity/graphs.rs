//! Each tenant's identity graph, held in memory on this node and following the database.
//!
//! The database is the truth: a tenant's graph is the replay of its change log
//! (`identity_log`). A writer locks the tenant's head row inside its transaction, brings the
//! cached graph up to the head (applying entries other nodes wrote, or rebuilding when the
//! cache cannot be trusted), runs one graph operation, and appends the operation's changes
//! and their projection into profile rows in the same transaction. A rolled-back transaction
//! leaves the cache claiming a head the database never saw, so the next writer rebuilds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use siyu_domain::TenantId;
use siyu_identity::{
    Change, Identity, IdentityGraph, IdentityKind, MergeReason, Policy, ProfileId,
};
use siyu_store::profiles::{self, Head, IdentityRow, NewMerge};
use siyu_store::Tx;
use tokio::sync::OwnedMutexGuard;

use crate::crypto::{random_token, Keys};
use crate::error::ApiError;

struct Cached {
    graph: IdentityGraph,
    head: Head,
    /// Customer ids of graph profiles seen so far (a profile's id never changes).
    customers: HashMap<u32, String>,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// The identity graphs of the tenants this node has written for.
pub struct Graphs {
    tenants: Mutex<HashMap<String, Slot>>,
    keys: Keys,
}

/// A real identity value next to the token the graph holds instead of it.
#[derive(Debug, Clone)]
pub struct Plain {
    /// The parsed identity.
    pub identity: Identity,
    /// The token (what the graph and the log hold).
    pub opaque: Identity,
}

impl Plain {
    /// Pairs `identity` with its token for `tenant`.
    pub fn new(keys: &Keys, tenant: &TenantId, identity: Identity) -> Self {
        let kind = identity.kind().clone();
        let token = token_of(keys, tenant, &identity);
        Self {
            opaque: Identity::opaque(kind, &token),
            identity,
        }
    }

    /// The token.
    pub fn token(&self) -> &str {
        self.opaque.value().as_str()
    }
}

/// The keyed hash that stands for an identity in the graph and its log.
pub fn token_of(keys: &Keys, tenant: &TenantId, identity: &Identity) -> String {
    let kind = identity.kind();
    let scope = kind.scope().map(|s| s.as_str()).unwrap_or("");
    keys.tag(
        "identity",
        &format!(
            "{}\0{}\0{}\0{}",
            tenant.as_str(),
            kind.name(),
            scope,
            identity.value().as_str()
        ),
        26,
    )
}

/// One open writer of one tenant's graph, inside one transaction.
pub struct Session {
    guard: OwnedMutexGuard<Option<Cached>>,
    tenant: TenantId,
    keys: Keys,
    /// In batch mode: the head before the batch, and the changes waiting for one log entry.
    batch: Option<(Head, Vec<Change>)>,
    /// New profiles and links waiting to be written together (see [`Session::defer_rows`]).
    deferred: Option<Deferred>,
}

/// Rows of new profiles, and of identities linked to profiles whose customer id is known,
/// written in a few statements when the batch finishes or before any other change.
#[derive(Default)]
struct Deferred {
    /// `(customer id, profile no, created at)`.
    profiles: Vec<(String, i64, i64)>,
    /// `(customer, token, kind, scope, value, source)`.
    links: Vec<(String, String, String, Option<String>, String, String)>,
}

impl Deferred {
    /// Takes `change` if it is one that waits; `false` if it must be written now.
    fn take(
        &mut self,
        change: &Change,
        ctx: &mut Context<'_>,
        cache: &mut HashMap<u32, String>,
    ) -> bool {
        match change {
            Change::ProfileCreated { profile, at } if ctx.adopt.is_none() => {
                let id = new_customer_id(*at);
                self.profiles
                    .push((id.clone(), i64::from(profile.get()), *at));
                cache.insert(profile.get(), id);
                true
            }
            Change::Linked { profile, identity } => {
                let token = identity.value().as_str();
                let (Some(customer), Some(p)) = (
                    cache.get(&profile.get()),
                    ctx.plain.iter().find(|p| p.token() == token),
                ) else {
                    return false;
                };
                let kind = p.identity.kind();
                self.links.push((
                    customer.clone(),
                    token.to_owned(),
                    kind.name().to_owned(),
                    kind.scope().map(|s| s.as_str().to_owned()),
                    p.identity.value().as_str().to_owned(),
                    ctx.source.to_owned(),
                ));
                ctx.linked.push((token.to_owned(), customer.clone()));
                true
            }
            _ => false,
        }
    }

    async fn flush(&mut self, tx: &mut Tx, tenant: &TenantId, now: i64) -> Result<(), ApiError> {
        if !self.profiles.is_empty() {
            profiles::create_profiles(tx, tenant, &self.profiles).await?;
            self.profiles.clear();
        }
        if !self.links.is_empty() {
            // One row per (token, customer): the latest link of it.
            let mut last: HashMap<(&str, &str), usize> = HashMap::new();
            for (i, l) in self.links.iter().enumerate() {
                last.insert((l.1.as_str(), l.0.as_str()), i);
            }
            let mut keep: Vec<usize> = last.into_values().collect();
            keep.sort_unstable();
            let rows: Vec<(String, IdentityRow)> = keep
                .into_iter()
                .map(|i| {
                    let (customer, token, kind, scope, value, source) = &self.links[i];
                    (
                        customer.clone(),
                        IdentityRow {
                            token,
                            kind,
                            scope: scope.as_deref(),
                            value,
                            source,
                        },
                    )
                })
                .collect();
            profiles::link_many(tx, tenant, &rows, now).await?;
            self.links.clear();
        }
        Ok(())
    }
}

/// A fresh customer id for a profile the graph created at `at` (Unix ms): ordered by time, so
/// a burst of new fans appends to the indexes on customer ids.
fn new_customer_id(at: i64) -> String {
    format!("cu_{}", siyu_domain::ids::ordered_suffix(at))
}

impl Graphs {
    /// No graphs yet; `keys` make the tokens.
    pub fn new(keys: Keys) -> Self {
        Self {
            tenants: Mutex::default(),
            keys,
        }
    }

    /// The real identity paired with its token for `tenant`.
    pub fn plain(&self, tenant: &TenantId, identity: Identity) -> Plain {
        Plain::new(&self.keys, tenant, identity)
    }

    /// Opens the tenant's graph for writing in `tx`: takes the tenant's lock and brings the
    /// graph up to the database's head.
    pub async fn open(
        &self,
        tx: &mut Tx,
        tenant: &TenantId,
        now: i64,
    ) -> Result<Session, ApiError> {
        let slot = {
            let mut map = self.tenants.lock().map_err(|_| ApiError::Internal)?;
            map.entry(tenant.as_str().to_owned()).or_default().clone()
        };
        let mut guard = slot.lock_owned().await;
        let head = profiles::lock_head(tx, tenant).await?;
        let usable = match guard.as_ref() {
            Some(c) if c.head == head => true,
            Some(c) if c.head.seq < head.seq => {
                c.head.seq == 0
                    || profiles::log_token_at(tx, tenant, c.head.seq)
                        .await?
                        .as_deref()
                        == Some(c.head.token.as_str())
            }
            _ => false,
        };
        let rebuilt = !usable;
        if rebuilt {
            *guard = Some(Cached {
                graph: IdentityGraph::new(Policy::default()),
                head: Head {
                    seq: 0,
                    token: String::new(),
                },
                customers: HashMap::new(),
            });
        }
        let cached = guard.as_mut().ok_or(ApiError::Internal)?;
        let policy = match profiles::policy_tx(tx, tenant).await? {
            Some(body) => serde_json::from_str(&body).unwrap_or_default(),
            None => Policy::default(),
        };
        if cached.graph.policy() != &policy {
            cached.graph.set_policy(policy);
        }
        for (seq, token, body) in profiles::log_since(tx, tenant, cached.head.seq).await? {
            let changes: Vec<Change> = serde_json::from_str(&body).map_err(|e| {
                tracing::error!(error = %e, seq, "unreadable identity log entry");
                ApiError::Internal
            })?;
            for change in &changes {
                cached.graph.apply(change).map_err(|e| {
                    tracing::error!(error = %e, seq, "identity log entry does not apply");
                    ApiError::Internal
                })?;
            }
            cached.head = Head { seq, token };
        }
        let mut session = Session {
            guard,
            tenant: tenant.clone(),
            keys: self.keys.clone(),
            batch: None,
            deferred: None,
        };
        if rebuilt {
            session.adopt_legacy(tx, now).await?;
        }
        Ok(session)
    }
}

/// What the changes of one operation are about: the real values of the tokens it used, and
/// where they came from.
pub struct Context<'a> {
    /// Token → real identity, for every identity the operation was given.
    pub plain: &'a [Plain],
    /// `api`, `import`, `wechat.callback`, …
    pub source: &'a str,
    /// A legacy customer row to become the profile the operation creates.
    pub adopt: Option<String>,
    /// Filled in: `(token, customer)` of every identity linked.
    pub linked: Vec<(String, String)>,
}

impl Session {
    /// The tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The graph.
    pub fn graph(&mut self) -> Result<&mut IdentityGraph, ApiError> {
        Ok(&mut self.guard.as_mut().ok_or(ApiError::Internal)?.graph)
    }

    /// Appends `changes` to the log and projects them into profile rows, in `tx`. In batch
    /// mode the log entry waits for [`Session::finish_batch`].
    pub async fn persist(
        &mut self,
        tx: &mut Tx,
        changes: &[Change],
        ctx: &mut Context<'_>,
        now: i64,
    ) -> Result<(), ApiError> {
        if changes.is_empty() {
            return Ok(());
        }
        let tenant = self.tenant.clone();
        if let Some((_, pending)) = self.batch.as_mut() {
            pending.extend_from_slice(changes);
        } else {
            let body = serde_json::to_string(changes).map_err(|_| ApiError::Internal)?;
            let head = self.claim_head()?;
            profiles::append_log(tx, &tenant, &head, &body, now).await?;
            profiles::set_head(tx, &tenant, &head).await?;
        }
        let cached = self.guard.as_mut().ok_or(ApiError::Internal)?;
        for change in changes {
            if let Some(d) = self.deferred.as_mut() {
                if d.take(change, ctx, &mut cached.customers) {
                    continue;
                }
                // Any other change may read or update the rows waiting.
                d.flush(tx, &tenant, now).await?;
            }
            project(tx, &tenant, change, ctx, &mut cached.customers, now).await?;
        }
        Ok(())
    }

    /// In batch mode, new profiles and their identities wait and are written together when
    /// the batch finishes: for callers that write nothing else about those profiles before
    /// [`Session::finish_batch`] (the follows of a batch of callbacks).
    pub fn defer_rows(&mut self) {
        if self.batch.is_some() {
            self.deferred = Some(Deferred::default());
        }
    }

    /// Claims the next head before anything can fail: if the transaction does not commit, the
    /// database's head differs from the cache's and the next writer rebuilds.
    fn claim_head(&mut self) -> Result<Head, ApiError> {
        let cached = self.guard.as_mut().ok_or(ApiError::Internal)?;
        cached.head = Head {
            seq: cached.head.seq + 1,
            token: random_token(),
        };
        Ok(cached.head.clone())
    }

    /// Starts batch mode: the changes of many operations become one log entry (imports).
    pub fn begin_batch(&mut self) -> Result<(), ApiError> {
        let before = self.guard.as_ref().ok_or(ApiError::Internal)?.head.clone();
        self.claim_head()?;
        self.batch = Some((before, Vec::new()));
        Ok(())
    }

    /// Writes the batch's log entry (if it changed anything) in `tx`; call before committing.
    pub async fn finish_batch(&mut self, tx: &mut Tx, now: i64) -> Result<(), ApiError> {
        if let Some(mut d) = self.deferred.take() {
            d.flush(tx, &self.tenant, now).await?;
        }
        let Some((before, pending)) = self.batch.take() else {
            return Ok(());
        };
        let cached = self.guard.as_mut().ok_or(ApiError::Internal)?;
        if pending.is_empty() {
            cached.head = before;
            return Ok(());
        }
        let head = cached.head.clone();
        let body = serde_json::to_string(&pending).map_err(|_| ApiError::Internal)?;
        profiles::append_log(tx, &self.tenant, &head, &body, now).await?;
        profiles::set_head(tx, &self.tenant, &head).await?;
        Ok(())
    }

    /// The customer id of a graph profile.
    pub async fn customer_of(
        &mut self,
        tx: &mut Tx,
        profile: ProfileId,
    ) -> Result<String, ApiError> {
        let tenant = self.tenant.clone();
        let cached = self.guard.as_mut().ok_or(ApiError::Internal)?;
        customer_id_of(tx, &tenant, &mut cached.customers, profile).await
    }

    /// Brings customer rows from before the graph into it, one profile each.
    async fn adopt_legacy(&mut self, tx: &mut Tx, now: i64) -> Result<(), ApiError> {
        let tenant = self.tenant.clone();
        for (customer, created_at) in profiles::unadopted(tx, &tenant).await? {
            let mut plain = Vec::new();
            for (kind, scope, value, _source, _at) in
                profiles::legacy_identities(tx, &customer).await?
            {
                let Ok(identity) = Identity::parse_parts(&kind, scope.as_deref(), &value) else {
                    continue;
                };
                plain.push(Plain::new(&self.keys, &tenant, identity));
            }
            if plain.is_empty() {
                continue;
            }
            let opaque: Vec<Identity> = plain.iter().map(|p| p.opaque.clone()).collect();
            let outcome = match self.graph()?.observe(&opaque, created_at) {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(customer, error = %e, "legacy customer not adopted");
                    continue;
                }
            };
            let mut ctx = Context {
                plain: &plain,
                source: "wechat.callback",
                adopt: Some(customer.clone()),
                linked: Vec::new(),
            };
            self.persist(tx, &outcome.changes, &mut ctx, now).await?;
        }
        Ok(())
    }
}

async fn customer_id_of(
    tx: &mut Tx,
    tenant: &TenantId,
    cache: &mut HashMap<u32, String>,
    profile: ProfileId,
) -> Result<String, ApiError> {
    if let Some(id) = cache.get(&profile.get()) {
        return Ok(id.clone());
    }
    let id = profiles::customer_of(tx, tenant, i64::from(profile.get())).await?;
    cache.insert(profile.get(), id.clone());
    Ok(id)
}

async fn project(
    tx: &mut Tx,
    tenant: &TenantId,
    change: &Change,
    ctx: &mut Context<'_>,
    cache: &mut HashMap<u32, String>,
    now: i64,
) -> Result<(), ApiError> {
    let no = |p: ProfileId| i64::from(p.get());
    match change {
        Change::ProfileCreated { profile, at } => {
            let id = match ctx.adopt.take() {
                Some(id) => {
                    profiles::adopt(tx, &id, no(*profile)).await?;
                    id
                }
                None => {
                    let id = new_customer_id(*at);
                    profiles::create_profile(tx, tenant, &id, no(*profile), *at).await?;
                    id
                }
            };
            cache.insert(profile.get(), id);
        }
        Change::Linked { profile, identity } => {
            let customer = customer_id_of(tx, tenant, cache, *profile).await?;
            let token = identity.value().as_str();
            let Some(p) = ctx.plain.iter().find(|p| p.token() == token) else {
                tracing::error!("linked identity without its value");
                return Err(ApiError::Internal);
            };
            let kind = p.identity.kind();
            let row = IdentityRow {
                token,
                kind: kind.name(),
                scope: kind.scope().map(|s| s.as_str()),
                value: p.identity.value().as_str(),
                source: ctx.source,
            };
            profiles::link(tx, tenant, &customer, &row, now).await?;
            ctx.linked.push((token.to_owned(), customer));
        }
        Change::Unlinked { profile, identity } => {
            let customer = customer_id_of(tx, tenant, cache, *profile).await?;
            profiles::unlink(tx, tenant, &customer, identity.value().as_str()).await?;
        }
        Change::Merged(rec) => {
            let survivor = customer_id_of(tx, tenant, cache, rec.survivor).await?;
            let absorbed = customer_id_of(tx, tenant, cache, rec.absorbed).await?;
            let reason = match &rec.reason {
                MergeReason::Observed {
                    survivor_via,
                    absorbed_via,
                } => {
                    let a = describe(ctx.plain, survivor_via);
                    let b = describe(ctx.plain, absorbed_via);
                    if a == b {
                        format!("both held {a}")
                    } else {
                        format!("seen together: {a} (on {survivor}) and {b} (on {absorbed})")
                    }
                }
                MergeReason::Explicit { note } => note.clone(),
            };
            let detail = serde_json::to_string(rec).map_err(|_| ApiError::Internal)?;
            let id = format!("mg_{}", &siyu_domain::JobId::generate().as_str()[3..]);
            profiles::merge(
                tx,
                tenant,
                &NewMerge {
                    id: &id,
                    merge_no: i64::from(rec.id.get()),
                    survivor: &survivor,
                    absorbed: &absorbed,
                    reason: &reason,
                    detail: &detail,
                    source: ctx.source,
                    at: now,
                },
            )
            .await?;
        }
        Change::Undone { merge, at } => {
            profiles::undo(tx, tenant, i64::from(merge.get()), *at).await?;
        }
        Change::ConflictRecorded(c) => {
            let kept = customer_id_of(tx, tenant, cache, c.profiles[0]).await?;
            let apart = customer_id_of(tx, tenant, cache, c.profiles[1]).await?;
            profiles::record_conflict(
                tx,
                tenant,
                c.kind.name(),
                &kept,
                &apart,
                &describe(ctx.plain, &c.via),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// `kind masked-value` of a token, when the operation knows the value; the kind alone if not.
fn describe(plain: &[Plain], opaque: &Identity) -> String {
    let kind: &IdentityKind = opaque.kind();
    match plain.iter().find(|p| p.opaque == *opaque) {
        Some(p) => format!("{} {}", kind.name(), p.identity.value().masked()),
        None => kind.name().to_owned(),
    }
}
