//! The auto-reply editor: keyword rules, FAQ entries, the fallback, and a box to try a question.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;
use siyu_replies::{Entry, Fallback, Matcher, ReplyAction, Rule};

use super::login::parse_form;
use super::{page, Session};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wechat::replies::{self, RepliesConfig};

use super::PageResult;

fn action_text(a: &ReplyAction) -> String {
    match a {
        ReplyAction::Text(t) => t.clone(),
        ReplyAction::News { title, url, .. } => format!("{title} ({url})"),
        ReplyAction::TransferCustomerService => "→ 客服 / customer service".into(),
    }
}

fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &crate::crypto::random_token()[..8]
            .to_ascii_lowercase()
            .replace(['-', '_'], "x")
    )
}

async fn editor(
    state: &AppState,
    s: &Session,
    id: &str,
    error: Option<String>,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    s.require(state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let account = siyu_store::wechat_accounts::get(&state.store, tenant, id)
        .await
        .map_err(|e| fail(e.into()))?;
    let c = replies::load(state, id).await.map_err(&fail)?;
    let rules: Vec<Value> = c
        .rules
        .iter()
        .map(|r| {
            let (kind, keywords) = match &r.matcher {
                Matcher::Exact(k) => ("exact", k.clone()),
                Matcher::Contains(ks) => ("contains", ks.join("，")),
                Matcher::Regex(p) => ("regex", p.clone()),
            };
            context! { id => r.id.clone(), kind, keywords, reply => action_text(&r.reply), priority => r.priority }
        })
        .collect();
    let entries: Vec<Value> = c
        .knowledge_base
        .iter()
        .map(|e| context! { id => e.id.clone(), questions => e.questions.join(" / "), answer => action_text(&e.answer) })
        .collect();
    let (fallback_text, fallback_transfer) = match &c.fallback {
        Fallback::Text(t) => (t.clone(), false),
        Fallback::TransferCustomerService => (String::new(), true),
        Fallback::None => (String::new(), false),
    };
    let extra = context! { account_id => account.id, account_name => account.name, rules, entries, fallback_text, fallback_transfer, error, notice };
    Ok(page(state, s, "replies.html", "wechat", extra, status))
}

/// `GET /console/wechat/{id}/replies`.
pub(super) async fn edit(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    editor(&state, &s, &id, None, None, StatusCode::OK).await
}

/// Applies `change` to the saved configuration and saves it; validation errors re-show the page.
async fn update(
    state: &AppState,
    s: &Session,
    id: &str,
    change: impl FnOnce(&mut RepliesConfig) -> Result<(), ApiError>,
) -> PageResult {
    s.require(state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    siyu_store::wechat_accounts::get(&state.store, &tenant, id)
        .await
        .map_err(|e| s.fail(state)(e.into()))?;
    let mut c = replies::load(state, id).await.map_err(s.fail(state))?;
    let result = match change(&mut c) {
        Ok(()) => replies::save(state, &tenant, id, &c, &s.actor()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => {
            let saved = super::i18n::messages(s.lang)["replies_saved"];
            editor(state, s, id, None, Some(saved), StatusCode::OK).await
        }
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            editor(state, s, id, Some(e.to_string()), None, status).await
        }
        Err(e) => Err(s.fail(state)(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct RuleForm {
    kind: String,
    keywords: String,
    reply: String,
    priority: Option<String>,
}

/// `POST /console/wechat/{id}/replies/rules`: adds a keyword rule.
pub(super) async fn add_rule(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    let f: RuleForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    update(&state, &s, &id, |c| {
        let keywords = f.keywords.trim().to_owned();
        let matcher = match f.kind.as_str() {
            "exact" => Matcher::Exact(keywords),
            "regex" => Matcher::Regex(keywords),
            _ => Matcher::Contains(
                keywords
                    .split([',', '，', '、', ' ', '\n'])
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        let priority = match f
            .priority
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            None => 0,
            Some(p) => p
                .parse()
                .map_err(|_| ApiError::invalid("priority", "must be a whole number"))?,
        };
        let reply = ReplyAction::Text(f.reply.trim().to_owned());
        c.rules.push(Rule {
            id: new_id("r"),
            priority,
            matcher,
            reply,
            windows: Vec::new(),
            enabled: true,
        });
        Ok(())
    })
    .await
}

/// `POST /console/wechat/{id}/replies/rules/{rule}/delete`.
pub(super) async fn delete_rule(
    State(state): State<AppState>,
    s: Session,
    Path((id, rule)): Path<(String, String)>,
) -> PageResult {
    update(&state, &s, &id, |c| {
        c.rules.retain(|r| r.id != rule);
        Ok(())
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct EntryForm {
    questions: String,
    answer: String,
}

/// `POST /console/wechat/{id}/replies/kb`: adds an FAQ entry (one phrasing per line).
pub(super) async fn add_entry(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    let f: EntryForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    update(&state, &s, &id, |c| {
        let questions = f
            .questions
            .lines()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned)
            .collect();
        c.knowledge_base.push(Entry {
            id: new_id("q"),
            questions,
            answer: ReplyAction::Text(f.answer.trim().to_owned()),
        });
        Ok(())
    })
    .await
}

/// `POST /console/wechat/{id}/replies/kb/{entry}/delete`.
pub(super) async fn delete_entry(
    State(state): State<AppState>,
    s: Session,
    Path((id, entry)): Path<(String, String)>,
) -> PageResult {
    update(&state, &s, &id, |c| {
        c.knowledge_base.retain(|e| e.id != entry);
        Ok(())
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct FallbackForm {
    text: String,
    transfer: Option<String>,
}

/// `POST /console/wechat/{id}/replies/fallback`.
pub(super) async fn set_fallback(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    let f: FallbackForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    update(&state, &s, &id, |c| {
        c.fallback = match (f.transfer.is_some(), f.text.trim()) {
            (true, _) => Fallback::TransferCustomerService,
            (false, "") => Fallback::None,
            (false, t) => Fallback::Text(t.to_owned()),
        };
        Ok(())
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct TryForm {
    text: String,
}

/// `POST /console/wechat/{id}/replies/try` (htmx): shows what the account would answer.
pub(super) async fn try_it(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: TryForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let account = siyu_store::wechat_accounts::get(&state.store, &tenant, &id)
        .await
        .map_err(|e| s.fail(&state)(e.into()))?;
    let tried = replies::try_text(&state, &account, &f.text)
        .await
        .map_err(s.fail(&state))?;
    let extra = context! {
        source => tried.source, matched => tried.matched, score => tried.score.map(|x| format!("{x:.2}")),
        reply => tried.reply.as_ref().map(action_text),
    };
    Ok(page(
        &state,
        &s,
        "try_result.html",
        "wechat",
        extra,
        StatusCode::OK,
    ))
}
