//! Auto-replies: keyword rules, the FAQ knowledge base and the fallback, per account.
//! Each node keeps a compiled [`Responder`] per account and rebuilds it when the account's
//! `replies_version` (read with the account on every callback) moves on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use siyu_domain::TenantId;
use siyu_replies::{Entry, Fallback, KnowledgeBase, ReplyAction, Responder, Rule, RuleSet};
use siyu_store::wechat_accounts::Account;
use siyu_wechat::{Article, Message, PassiveReply, Reply, ReplyContent};

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// An account's auto-reply configuration, as stored and as the API takes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepliesConfig {
    /// Keyword rules (`{"id","priority","matcher":{"type":"exact|contains|regex","value":…},"reply":{"type":"text","value":…},"windows":[…],"enabled"}`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<Rule>,
    /// FAQ entries (`{"id","questions":[…],"answer":{"type":"text","value":…}}`).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub knowledge_base: Vec<Entry>,
    /// What to answer when nothing matches: `{"type":"none"}`, `{"type":"text","value":…}` or `{"type":"transfer_customer_service"}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fallback: Fallback,
    /// Knowledge-base match threshold in 0..=1 (default 0.45).
    pub kb_threshold: Option<f64>,
}

/// Compiles a configuration, or says which rule or entry is wrong.
pub fn compile(c: &RepliesConfig) -> Result<Responder, ApiError> {
    let rules =
        RuleSet::compile(c.rules.clone()).map_err(|e| ApiError::invalid("rules", e.to_string()))?;
    let kb = if c.knowledge_base.is_empty() {
        None
    } else {
        let mut kb = KnowledgeBase::build(c.knowledge_base.clone())
            .map_err(|e| ApiError::invalid("knowledge_base", e.to_string()))?;
        if let Some(t) = c.kb_threshold {
            if !(0.0..=1.0).contains(&t) {
                return Err(ApiError::invalid("kb_threshold", "must be between 0 and 1"));
            }
            kb = kb.with_threshold(t);
        }
        Some(kb)
    };
    if let Fallback::Text(t) = &c.fallback {
        ReplyAction::Text(t.clone())
            .validate()
            .map_err(|e| ApiError::invalid("fallback", e.to_string()))?;
    }
    Ok(Responder::new(rules, kb, c.fallback.clone()))
}

/// Loads the saved configuration (empty if none).
pub async fn load(state: &AppState, account: &str) -> Result<RepliesConfig, ApiError> {
    match siyu_store::wechat_accounts::replies(&state.store, account).await? {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            tracing::error!(wechat.account = %account, error = %e, "stored auto-reply configuration is unreadable");
            ApiError::Internal
        }),
        None => Ok(RepliesConfig::default()),
    }
}

/// Validates and saves a configuration (audited); the next callback on any node uses it.
pub async fn save(
    state: &AppState,
    tenant: &TenantId,
    account: &str,
    c: &RepliesConfig,
    actor: &Actor,
) -> Result<(), ApiError> {
    compile(c)?;
    let json = serde_json::to_string(c).map_err(|_| ApiError::Internal)?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    siyu_store::wechat_accounts::set_replies(&mut tx, tenant, account, &json, now).await?;
    let detail =
        serde_json::json!({"rules": c.rules.len(), "knowledge_base": c.knowledge_base.len()});
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "wechat_replies.save",
        Some(account),
        Some(detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Compiled responders by account, each with the version it was built from.
#[derive(Default)]
pub struct ResponderCache(Mutex<HashMap<String, (i64, Arc<Responder>)>>);

impl ResponderCache {
    /// The responder for `account` at its current version, rebuilt if stale.
    pub async fn get(
        &self,
        state: &AppState,
        account: &Account,
    ) -> Result<Arc<Responder>, ApiError> {
        if let Some((v, r)) = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&account.id)
        {
            if *v == account.replies_version {
                return Ok(r.clone());
            }
        }
        let config = load(state, &account.id).await?;
        // Building segments every FAQ question; keep it off the async workers.
        let responder = tokio::task::spawn_blocking(move || compile(&config))
            .await
            .map_err(|_| ApiError::Internal)??;
        let responder = Arc::new(responder);
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(
            account.id.clone(),
            (account.replies_version, responder.clone()),
        );
        Ok(responder)
    }
}

/// The passive reply for a decided action.
pub fn passive(m: &Message, now_secs: i64, action: &ReplyAction) -> PassiveReply {
    let content = match action {
        ReplyAction::Text(t) => ReplyContent::Text { content: t.clone() },
        ReplyAction::News {
            title,
            description,
            url,
            pic_url,
        } => ReplyContent::News {
            articles: vec![Article {
                title: title.clone(),
                description: description.clone(),
                pic_url: pic_url.clone(),
                url: url.clone(),
            }],
        },
        ReplyAction::TransferCustomerService => {
            ReplyContent::TransferCustomerService { kf_account: None }
        }
    };
    PassiveReply::Reply(Reply::to(m, now_secs, content))
}

/// What the saved configuration answers to `text` (for the console's try box and the API).
pub async fn try_text(
    state: &AppState,
    account: &Account,
    text: &str,
) -> Result<crate::api::TriedReply, ApiError> {
    let responder = state.responders.get(state, account).await?;
    let r = responder.respond(text, state.now());
    let (source, matched, score) = match r.source {
        siyu_replies::Source::Rule(id) => ("rule", Some(id), None),
        siyu_replies::Source::Knowledge(id, s) => ("knowledge", Some(id), Some(s)),
        siyu_replies::Source::Fallback => ("fallback", None, None),
        siyu_replies::Source::Nothing => ("nothing", None, None),
    };
    Ok(crate::api::TriedReply {
        source: source.into(),
        matched,
        score,
        reply: r.action,
    })
}
