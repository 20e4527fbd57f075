//! The identity graph's storage: each tenant's change log and its head (the writers' lock), and
//! the rows the graph's changes are projected into (profiles, identities, merges, conflicts).
//!
//! A customer row is one profile of the graph (`profile_no`). Merges never move events: every
//! event is recorded on the *home* profile of the identity it came through (the profile the
//! identity was first linked to), and a merged profile's rows point at the survivor through
//! `canonical_id`. Reading a customer reads its whole group; undoing a merge re-points the group.

use serde::Serialize;
use siyu_domain::TenantId;

use crate::db::{on_pool, on_tx};
use crate::{Store, StoreError, Tx};

/// A tenant's last log position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The last sequence number written (0 for an empty log).
    pub seq: i64,
    /// A random token written with it, so a node can tell its cached graph from another's.
    pub token: String,
}

/// Locks the tenant's head row for the rest of the transaction (PostgreSQL `FOR UPDATE`; a
/// SQLite transaction already holds the write lock) and returns it.
pub async fn lock_head(tx: &mut Tx, tenant: &TenantId) -> Result<Head, StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_heads (tenant_id, seq, token) VALUES ($1, 0, '') ON CONFLICT (tenant_id) DO NOTHING")
        .bind(tenant.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let row: (i64, String) = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_as("SELECT seq, token FROM identity_heads WHERE tenant_id = $1")
                .bind(tenant.as_str())
                .fetch_one(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_as("SELECT seq, token FROM identity_heads WHERE tenant_id = $1 FOR UPDATE")
                .bind(tenant.as_str())
                .fetch_one(&mut **t)
                .await?
        }
    };
    Ok(Head {
        seq: row.0,
        token: row.1,
    })
}

/// Moves the head after appending.
pub async fn set_head(tx: &mut Tx, tenant: &TenantId, head: &Head) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE identity_heads SET seq = $2, token = $3 WHERE tenant_id = $1")
        .bind(tenant.as_str()).bind(head.seq).bind(&head.token).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The token written at `seq`, if that entry exists.
pub async fn log_token_at(
    tx: &mut Tx,
    tenant: &TenantId,
    seq: i64,
) -> Result<Option<String>, StoreError> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT token FROM identity_log WHERE tenant_id = $1 AND seq = $2")
        .bind(tenant.as_str()).bind(seq).fetch_optional(c).await)?,
    )
}

/// Log entries after `seq`, in order: `(seq, token, body)`.
pub async fn log_since(
    tx: &mut Tx,
    tenant: &TenantId,
    seq: i64,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT seq, token, body FROM identity_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq")
        .bind(tenant.as_str()).bind(seq).fetch_all(c).await)?)
}

/// Appends one entry (a JSON array of changes).
pub async fn append_log(
    tx: &mut Tx,
    tenant: &TenantId,
    head: &Head,
    body: &str,
    at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_log (tenant_id, seq, token, body, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(tenant.as_str()).bind(head.seq).bind(&head.token).bind(body).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A new profile row.
pub async fn create_profile(
    tx: &mut Tx,
    tenant: &TenantId,
    id: &str,
    profile_no: i64,
    at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO customers (id, tenant_id, profile_no, canonical_id, created_at, updated_at) VALUES ($1, $2, $3, $1, $4, $4)")
        .bind(id).bind(tenant.as_str()).bind(profile_no).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// [`create_profile`] for many: `(id, profile_no, at)` each.
pub async fn create_profiles(
    tx: &mut Tx,
    tenant: &TenantId,
    rows: &[(String, i64, i64)],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_string(rows).map_err(|e| StoreError::Schema(e.to_string()))?;
    let sql = format!(
        "INSERT INTO customers (id, profile_no, created_at, canonical_id, updated_at, tenant_id)
         SELECT r.id, r.profile_no, r.created_at, r.id, r.created_at, $2 FROM ({}) AS r",
        crate::db::JsonRows::of(tx).select(
            1,
            &[
                ("id", "text"),
                ("profile_no", "bigint"),
                ("created_at", "bigint")
            ]
        )
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&json).bind(tenant.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The customer id of a graph profile.
pub async fn customer_of(
    tx: &mut Tx,
    tenant: &TenantId,
    profile_no: i64,
) -> Result<String, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM customers WHERE tenant_id = $1 AND profile_no = $2")
        .bind(tenant.as_str()).bind(profile_no).fetch_one(c).await)?)
}

/// The graph profile of a customer id (any member of a group).
pub async fn profile_of(
    tx: &mut Tx,
    tenant: &TenantId,
    customer: &str,
) -> Result<Option<i64>, StoreError> {
    let n: Option<Option<i64>> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT profile_no FROM customers WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL")
        .bind(tenant.as_str()).bind(customer).fetch_optional(c).await)?;
    Ok(n.flatten())
}

/// An identity row to write: the plain value next to its token.
#[derive(Debug, Clone, Copy)]
pub struct IdentityRow<'a> {
    /// Keyed hash of kind, scope and value: what the graph holds.
    pub token: &'a str,
    /// `openid`, `phone`, …
    pub kind: &'a str,
    /// AppID of an openid, namespace of an external id.
    pub scope: Option<&'a str>,
    /// The normalised value.
    pub value: &'a str,
    /// Where siyu learned it.
    pub source: &'a str,
}

/// The graph linked an identity to a live profile (its home and holder).
pub async fn link(
    tx: &mut Tx,
    tenant: &TenantId,
    customer: &str,
    row: &IdentityRow<'_>,
    at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO profile_identities (tenant_id, token, kind, scope, value, home_id, holder_id, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
         ON CONFLICT (tenant_id, token, home_id) DO UPDATE SET holder_id = excluded.holder_id")
        .bind(tenant.as_str()).bind(row.token).bind(row.kind).bind(row.scope).bind(row.value).bind(customer)
        .bind(row.source).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// [`link`] for many: `(customer, row)` each, no `(token, customer)` twice.
pub async fn link_many(
    tx: &mut Tx,
    tenant: &TenantId,
    rows: &[(String, IdentityRow<'_>)],
    at: i64,
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let json = serde_json::Value::Array(
        rows.iter()
            .map(|(customer, r)| {
                serde_json::json!([r.token, r.kind, r.scope, r.value, customer, r.source])
            })
            .collect(),
    )
    .to_string();
    let sql = format!(
        "INSERT INTO profile_identities (token, kind, scope, value, home_id, holder_id, source, tenant_id, created_at)
         SELECT r.token, r.kind, r.scope, r.value, r.customer, r.customer, r.source, $2, $3 FROM ({}) AS r WHERE true
         ON CONFLICT (tenant_id, token, home_id) DO UPDATE SET holder_id = excluded.holder_id",
        crate::db::JsonRows::of(tx).select(
            1,
            &[("token", "text"), ("kind", "text"), ("scope", "text"), ("value", "text"), ("customer", "text"), ("source", "text")]
        )
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&json).bind(tenant.as_str()).bind(at)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The graph unlinked an identity from a live profile.
pub async fn unlink(
    tx: &mut Tx,
    tenant: &TenantId,
    holder: &str,
    token: &str,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "DELETE FROM profile_identities WHERE tenant_id = $1 AND holder_id = $2 AND token = $3")
        .bind(tenant.as_str()).bind(holder).bind(token).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A merge: the absorbed profile's group and identities now belong to the survivor.
#[derive(Debug, Clone)]
pub struct NewMerge<'a> {
    /// Merge id (`mg_…`).
    pub id: &'a str,
    /// The graph's merge number.
    pub merge_no: i64,
    /// The survivor's customer id.
    pub survivor: &'a str,
    /// The absorbed customer id.
    pub absorbed: &'a str,
    /// Why, in words (values masked).
    pub reason: &'a str,
    /// The graph's record as JSON (tokens only).
    pub detail: &'a str,
    /// What caused it (`api`, `import`, `wechat.callback`, …).
    pub source: &'a str,
    /// When.
    pub at: i64,
}

/// Records a merge and re-points the absorbed group at the survivor.
pub async fn merge(tx: &mut Tx, tenant: &TenantId, m: &NewMerge<'_>) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO customer_merges (id, tenant_id, merge_no, survivor_id, absorbed_id, reason, detail, source, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(m.id).bind(tenant.as_str()).bind(m.merge_no).bind(m.survivor).bind(m.absorbed).bind(m.reason)
        .bind(m.detail).bind(m.source).bind(m.at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE customers SET merged_into = $2, updated_at = $3 WHERE id = $1")
        .bind(m.absorbed).bind(m.survivor).bind(m.at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE customers SET canonical_id = $2 WHERE tenant_id = $3 AND canonical_id = $1")
        .bind(m.absorbed).bind(m.survivor).bind(tenant.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE profile_identities SET holder_id = $2 WHERE tenant_id = $3 AND holder_id = $1")
        .bind(m.absorbed).bind(m.survivor).bind(tenant.as_str()).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (
    SELECT CAST($1 AS TEXT)
    UNION ALL SELECT c.id FROM customers c JOIN sub ON c.merged_into = sub.id
)";

/// Undoes merge `merge_no`: the absorbed profile's group and the identities whose home is in it
/// go back to it.
pub async fn undo(
    tx: &mut Tx,
    tenant: &TenantId,
    merge_no: i64,
    at: i64,
) -> Result<(), StoreError> {
    let (survivor, restored): (String, String) = on_tx!(tx, c => sqlx::query_as(
        "SELECT survivor_id, absorbed_id FROM customer_merges WHERE tenant_id = $1 AND merge_no = $2")
        .bind(tenant.as_str()).bind(merge_no).fetch_one(&mut *c).await)?;
    let sql = format!(
        "{SUBTREE} UPDATE customers SET canonical_id = $1 WHERE id IN (SELECT id FROM sub)"
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&restored).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    let sql = format!(
        "{SUBTREE} UPDATE profile_identities SET holder_id = $1 WHERE holder_id = $2 AND home_id IN (SELECT id FROM sub)"
    );
    on_tx!(tx, c => sqlx::query(&sql).bind(&restored).bind(&survivor).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE customers SET merged_into = NULL, updated_at = $2 WHERE id = $1")
        .bind(&restored).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("UPDATE customer_merges SET undone_at = $3 WHERE tenant_id = $1 AND merge_no = $2")
        .bind(tenant.as_str()).bind(merge_no).bind(at).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Keeps a conflict for review.
pub async fn record_conflict(
    tx: &mut Tx,
    tenant: &TenantId,
    kind: &str,
    kept: &str,
    apart: &str,
    via: &str,
    at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_conflicts (tenant_id, kind, kept_id, apart_id, via, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(tenant.as_str()).bind(kind).bind(kept).bind(apart).bind(via).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// `(home, holder)` of an identity token with one holder (unique kinds); for shared values the
/// oldest holding.
pub async fn find_token(
    tx: &mut Tx,
    tenant: &TenantId,
    token: &str,
) -> Result<Option<(String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT home_id, holder_id FROM profile_identities WHERE tenant_id = $1 AND token = $2 ORDER BY created_at LIMIT 1")
        .bind(tenant.as_str()).bind(token).fetch_optional(c).await)?)
}

/// [`find_token`] for many tokens at once: token → (home, holder) of each token held.
pub async fn find_tokens(
    tx: &mut Tx,
    tenant: &TenantId,
    tokens: &[&str],
) -> Result<std::collections::HashMap<String, (String, String)>, StoreError> {
    let mut out = std::collections::HashMap::with_capacity(tokens.len());
    if tokens.is_empty() {
        return Ok(out);
    }
    let one_each: Vec<[&str; 1]> = tokens.iter().map(|t| [*t]).collect();
    let json = serde_json::to_string(&one_each).map_err(|e| StoreError::Schema(e.to_string()))?;
    let sql = format!(
        "SELECT token, home_id, holder_id FROM profile_identities
         WHERE tenant_id = $2 AND token IN (SELECT t.token FROM ({}) AS t)
         ORDER BY created_at DESC",
        crate::db::JsonRows::of(tx).select(1, &[("token", "text")])
    );
    let rows: Vec<(String, String, String)> = on_tx!(tx, c => sqlx::query_as(&sql)
        .bind(&json).bind(tenant.as_str()).fetch_all(&mut *c).await)?;
    // Newest first, so the oldest row of a token is the one kept, as in `find_token`.
    for (token, home, holder) in rows {
        out.insert(token, (home, holder));
    }
    Ok(out)
}

/// Live customers (group roots) holding `kind:value`; any scope.
pub async fn holders(
    store: &Store,
    tenant: &TenantId,
    kind: &str,
    value: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT DISTINCT holder_id FROM profile_identities WHERE tenant_id = $1 AND kind = $2 AND value = $3 ORDER BY holder_id")
        .bind(tenant.as_str()).bind(kind).bind(value).fetch_all(p).await)?)
}

/// The live profile a customer id belongs to now (itself unless merged); `NotFound` when
/// there is no such customer or it was erased.
pub async fn canonical(store: &Store, tenant: &TenantId, id: &str) -> Result<String, StoreError> {
    let found: Option<Option<String>> = on_pool!(store, p => sqlx::query_scalar(
        "SELECT canonical_id FROM customers WHERE tenant_id = $1 AND id = $2 AND erased_at IS NULL")
        .bind(tenant.as_str()).bind(id).fetch_optional(p).await)?;
    match found {
        Some(c) => Ok(c.unwrap_or_else(|| id.to_owned())),
        None => Err(StoreError::NotFound),
    }
}

/// Customer ids in a live profile's group (itself first, then absorbed ones, oldest first).
pub async fn group(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2
         ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?)
}

/// A held identity, for display.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HeldIdentity {
    /// `openid`, `phone`, …
    pub kind: String,
    /// AppID or namespace.
    pub scope: Option<String>,
    /// The value.
    pub value: String,
    /// Where siyu learned it.
    pub source: String,
    /// The profile it was first linked to.
    pub home_id: String,
    /// When.
    pub created_at: i64,
}

/// The identities a live profile holds, oldest first (one row per value).
pub async fn identities_of(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<HeldIdentity>, StoreError> {
    let rows: Vec<HeldIdentity> = on_pool!(store, p => sqlx::query_as(
        "SELECT kind, scope, value, source, home_id, created_at FROM profile_identities
         WHERE tenant_id = $1 AND holder_id = $2 ORDER BY created_at, kind, value")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|r| seen.insert((r.kind.clone(), r.scope.clone(), r.value.clone())))
        .collect())
}

/// Tokens held by a live profile (distinct).
pub async fn tokens_of(
    tx: &mut Tx,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT token, kind FROM profile_identities WHERE tenant_id = $1 AND holder_id = $2 ORDER BY token")
        .bind(tenant.as_str()).bind(root).fetch_all(c).await)?)
}

/// One merge of the log, for display.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MergeRow {
    /// `mg_…`.
    pub id: String,
    /// The graph's merge number.
    pub merge_no: i64,
    /// The survivor.
    pub survivor_id: String,
    /// The absorbed profile.
    pub absorbed_id: String,
    /// Why, in words.
    pub reason: String,
    /// What caused it.
    pub source: String,
    /// When.
    pub at: i64,
    /// When it was undone.
    pub undone_at: Option<i64>,
}

const MERGE_COLUMNS: &str = "id, merge_no, survivor_id, absorbed_id, reason, source, at, undone_at";

/// Merges that involve any member of a live profile's group, newest first.
pub async fn merges_of(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<MergeRow>, StoreError> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM customer_merges WHERE tenant_id = $1 AND (
            survivor_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
            OR absorbed_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2))
         ORDER BY merge_no DESC"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(root).fetch_all(p).await)?,
    )
}

/// One merge by id.
pub async fn merge_by_id(
    store: &Store,
    tenant: &TenantId,
    id: &str,
) -> Result<MergeRow, StoreError> {
    let sql =
        format!("SELECT {MERGE_COLUMNS} FROM customer_merges WHERE tenant_id = $1 AND id = $2");
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(id).fetch_one(p).await)?,
    )
}

/// The stored attributes (JSON) of one profile row.
pub async fn attributes_json(tx: &mut Tx, id: &str) -> Result<String, StoreError> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT attributes FROM customers WHERE id = $1")
        .bind(id).fetch_one(c).await)?,
    )
}

/// Replaces one profile row's attributes (JSON).
pub async fn set_attributes(tx: &mut Tx, id: &str, json: &str, now: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE customers SET attributes = $2, updated_at = $3 WHERE id = $1")
        .bind(id).bind(json).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The attribute JSON of every member of a group, survivor first.
pub async fn group_attributes(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT attributes FROM customers WHERE tenant_id = $1 AND canonical_id = $2
         ORDER BY CASE WHEN id = $2 THEN 0 ELSE 1 END, created_at, id")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?)
}

/// Tags of a live profile, alphabetical.
pub async fn tags_of(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT DISTINCT t.tag FROM customer_tags t JOIN customers c ON c.id = t.customer_id
         WHERE c.tenant_id = $1 AND c.canonical_id = $2 ORDER BY t.tag")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?)
}

/// Adds and removes tags on a live profile (removal applies to its whole group).
pub async fn retag(
    tx: &mut Tx,
    tenant: &TenantId,
    root: &str,
    add: &[String],
    remove: &[String],
    now: i64,
) -> Result<(), StoreError> {
    for tag in remove {
        on_tx!(tx, c => sqlx::query(
            "DELETE FROM customer_tags WHERE tag = $3 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)")
            .bind(tenant.as_str()).bind(root).bind(tag).execute(c).await.map(|r| r.rows_affected()))?;
    }
    for tag in add {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO customer_tags (tenant_id, customer_id, tag, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (customer_id, tag) DO NOTHING")
            .bind(tenant.as_str()).bind(root).bind(tag).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Legacy customers (from before the graph) not yet adopted into it, oldest first.
pub async fn unadopted(tx: &mut Tx, tenant: &TenantId) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT id, created_at FROM customers WHERE tenant_id = $1 AND profile_no IS NULL AND erased_at IS NULL ORDER BY created_at, id")
        .bind(tenant.as_str()).fetch_all(c).await)?)
}

/// Legacy identities of a customer: `(kind, scope, value, source, created_at)`.
pub async fn legacy_identities(
    tx: &mut Tx,
    customer: &str,
) -> Result<Vec<(String, Option<String>, String, String, i64)>, StoreError> {
    Ok(on_tx!(tx, c => sqlx::query_as(
        "SELECT kind, scope, value, source, created_at FROM customer_identities WHERE customer_id = $1 ORDER BY created_at, kind")
        .bind(customer).fetch_all(c).await)?)
}

/// Marks a legacy customer as the graph's profile `profile_no` and drops its legacy identities.
pub async fn adopt(tx: &mut Tx, customer: &str, profile_no: i64) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query("UPDATE customers SET profile_no = $2, canonical_id = id WHERE id = $1")
        .bind(customer).bind(profile_no).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query("DELETE FROM customer_identities WHERE customer_id = $1")
        .bind(customer).execute(&mut *c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Erases a live profile's group: identities, messages, follow history, tags, merges and
/// conflicts go; the rows stay (anonymised) so that ledgers that point at them still add up.
pub async fn erase(tx: &mut Tx, tenant: &TenantId, root: &str, now: i64) -> Result<(), StoreError> {
    let members = "(SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)";
    for sql in [
        format!("DELETE FROM profile_identities WHERE tenant_id = $1 AND (holder_id IN {members} OR home_id IN {members})"),
        format!("DELETE FROM customer_identities WHERE tenant_id = $1 AND customer_id IN {members}"),
        format!("DELETE FROM customer_tags WHERE tenant_id = $1 AND customer_id IN {members}"),
        format!("DELETE FROM customer_consents WHERE tenant_id = $1 AND customer_id IN {members}"),
        format!("DELETE FROM wechat_inbound WHERE tenant_id = $1 AND customer_id IN {members}"),
        format!("DELETE FROM follow_history WHERE tenant_id = $1 AND customer_id IN {members}"),
        format!("DELETE FROM identity_conflicts WHERE tenant_id = $1 AND (kept_id IN {members} OR apart_id IN {members})"),
        format!("DELETE FROM customer_merges WHERE tenant_id = $1 AND (survivor_id IN {members} OR absorbed_id IN {members})"),
    ] {
        on_tx!(tx, c => sqlx::query(&sql).bind(tenant.as_str()).bind(root).execute(c).await.map(|r| r.rows_affected()))?;
    }
    on_tx!(tx, c => sqlx::query(
        "UPDATE customers SET nickname = NULL, attributes = '{}', last_latitude = NULL, last_longitude = NULL,
                last_location_at = NULL, following = FALSE, erased_at = $3, updated_at = $3
         WHERE tenant_id = $1 AND canonical_id = $2")
        .bind(tenant.as_str()).bind(root).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One merge by its number in the tenant's log.
pub async fn merge_by_no(
    store: &Store,
    tenant: &TenantId,
    merge_no: i64,
) -> Result<MergeRow, StoreError> {
    let sql = format!(
        "SELECT {MERGE_COLUMNS} FROM customer_merges WHERE tenant_id = $1 AND merge_no = $2"
    );
    Ok(
        on_pool!(store, p => sqlx::query_as(&sql).bind(tenant.as_str()).bind(merge_no).fetch_one(p).await)?,
    )
}

/// Every entry of a tenant's identity log, in order (for checks and support).
pub async fn log_bodies(store: &Store, tenant: &TenantId) -> Result<Vec<String>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT body FROM identity_log WHERE tenant_id = $1 ORDER BY seq")
        .bind(tenant.as_str()).fetch_all(p).await)?)
}

/// An order from another channel.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OrderRow {
    /// `taobao`, `jd`, `pos`, …
    pub source: String,
    /// The channel's order id.
    pub order_id: String,
    /// The profile row it was recorded on.
    pub customer_id: String,
    /// Amount in fen.
    pub amount_fen: i64,
    /// `paid`, `completed`, `refunded`, … as the import understood it.
    pub state: Option<String>,
    /// SKU, when the export has one.
    pub sku: Option<String>,
    /// Item text, when the export has one.
    pub items: Option<String>,
    /// Quantity.
    pub quantity: Option<i64>,
    /// When ordered, Unix ms.
    pub ordered_at: Option<i64>,
    /// When paid, Unix ms.
    pub paid_at: Option<i64>,
}

/// Records an order unless the channel's order id is already known; returns whether it was new.
pub async fn insert_order(
    tx: &mut Tx,
    tenant: &TenantId,
    o: &OrderRow,
    now: i64,
) -> Result<bool, StoreError> {
    let n = on_tx!(tx, c => sqlx::query(
        "INSERT INTO customer_orders (tenant_id, source, order_id, customer_id, amount_fen, state, sku, items, quantity, ordered_at, paid_at, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (tenant_id, source, order_id) DO NOTHING")
        .bind(tenant.as_str()).bind(&o.source).bind(&o.order_id).bind(&o.customer_id).bind(o.amount_fen).bind(&o.state)
        .bind(&o.sku).bind(&o.items).bind(o.quantity).bind(o.ordered_at).bind(o.paid_at).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A live profile's orders across its group, newest first.
pub async fn orders_of(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<OrderRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT source, order_id, customer_id, amount_fen, state, sku, items, quantity, ordered_at, paid_at FROM customer_orders
         WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
         ORDER BY ordered_at DESC, order_id")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?)
}

/// Messages and events a live profile's group sent since `since`.
pub async fn interactions_since(
    store: &Store,
    tenant: &TenantId,
    root: &str,
    since: i64,
) -> Result<i64, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM wechat_inbound WHERE tenant_id = $1 AND created_at >= $3
           AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)")
        .bind(tenant.as_str()).bind(root).bind(since).fetch_one(p).await)?)
}

/// `(last order time, orders, total fen)` of a live profile's group.
pub async fn order_totals(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<(Option<i64>, i64, i64), StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT MAX(COALESCE(ordered_at, paid_at, imported_at)), COUNT(*), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM customer_orders
         WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
           AND (state IS NULL OR state NOT IN ('closed', 'refunding', 'pending_payment'))")
        .bind(tenant.as_str()).bind(root).fetch_one(p).await)?)
}

/// A tenant's stitching rules (JSON), if set.
pub async fn policy(store: &Store, tenant: &TenantId) -> Result<Option<String>, StoreError> {
    Ok(
        on_pool!(store, p => sqlx::query_scalar("SELECT body FROM identity_policies WHERE tenant_id = $1")
        .bind(tenant.as_str()).fetch_optional(p).await)?,
    )
}

/// A tenant's stitching rules (JSON), if set, read in a transaction.
pub async fn policy_tx(tx: &mut Tx, tenant: &TenantId) -> Result<Option<String>, StoreError> {
    Ok(
        on_tx!(tx, c => sqlx::query_scalar("SELECT body FROM identity_policies WHERE tenant_id = $1")
        .bind(tenant.as_str()).fetch_optional(c).await)?,
    )
}

/// Sets a tenant's stitching rules (JSON).
pub async fn set_policy(
    tx: &mut Tx,
    tenant: &TenantId,
    body: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO identity_policies (tenant_id, body, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
        .bind(tenant.as_str()).bind(body).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One consent of a customer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Consent {
    /// `marketing`, `sms`, `profiling`.
    pub purpose: String,
    /// Given or withdrawn.
    pub granted: bool,
    /// Where it was recorded (`api`, `console`, …).
    pub source: String,
    /// When, Unix ms.
    pub at: i64,
}

/// Records a consent given or withdrawn on a live profile.
pub async fn set_consent(
    tx: &mut Tx,
    tenant: &TenantId,
    root: &str,
    purpose: &str,
    granted: bool,
    source: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO customer_consents (tenant_id, customer_id, purpose, granted, source, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (customer_id, purpose) DO UPDATE SET granted = excluded.granted, source = excluded.source, at = excluded.at")
        .bind(tenant.as_str()).bind(root).bind(purpose).bind(granted).bind(source).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The latest consent per purpose across a live profile's group.
pub async fn consents_of(
    store: &Store,
    tenant: &TenantId,
    root: &str,
) -> Result<Vec<Consent>, StoreError> {
    let rows: Vec<Consent> = on_pool!(store, p => sqlx::query_as(
        "SELECT purpose, granted, source, at FROM customer_consents
         WHERE tenant_id = $1 AND customer_id IN (SELECT id FROM customers WHERE tenant_id = $1 AND canonical_id = $2)
         ORDER BY purpose, at DESC")
        .bind(tenant.as_str()).bind(root).fetch_all(p).await)?;
    let mut out: Vec<Consent> = Vec::new();
    for r in rows {
        if out.last().is_none_or(|l| l.purpose != r.purpose) {
            out.push(r);
        }
    }
    Ok(out)
}

/// A conflict kept for review.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ConflictRow {
    /// The kind with two values.
    pub kind: String,
    /// The profile the observation went to.
    pub kept_id: String,
    /// The profile left apart.
    pub apart_id: String,
    /// The identity that pointed at the profile left apart (masked).
    pub via: String,
    /// When, Unix ms.
    pub at: i64,
}

/// A tenant's conflicts, newest first.
pub async fn conflicts(
    store: &Store,
    tenant: &TenantId,
    limit: i64,
) -> Result<Vec<ConflictRow>, StoreError> {
    Ok(on_pool!(store, p => sqlx::query_as(
        "SELECT kind, kept_id, apart_id, via, at FROM identity_conflicts WHERE tenant_id = $1 ORDER BY at DESC LIMIT $2")
        .bind(tenant.as_str()).bind(limit).fetch_all(p).await)?)
}
