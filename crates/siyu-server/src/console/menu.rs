//! The custom menu editor and the follower-import button.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use minijinja::{context, Value};
use siyu_domain::Role;
use siyu_wechat::client::{Menu, MenuButton};

use super::login::parse_form;
use super::templates::format_time;
use super::{page, Session};
use crate::error::ApiError;
use crate::state::AppState;
use crate::wechat::menu;

use super::PageResult;

/// The button types the console offers (mini-program and limited-article buttons need the API).
fn kinds() -> Vec<&'static str> {
    menu::BUTTON_TYPES
        .iter()
        .copied()
        .filter(|k| !matches!(*k, "miniprogram" | "article_view_limited"))
        .collect()
}

fn value_of(b: &MenuButton) -> String {
    b.key
        .clone()
        .or_else(|| b.url.clone())
        .or_else(|| b.media_id.clone())
        .or_else(|| b.article_id.clone())
        .unwrap_or_default()
}

fn row(b: Option<&MenuButton>) -> Value {
    match b {
        Some(b) => {
            context! { name => b.name.clone(), kind => b.kind.clone().unwrap_or_else(|| "click".into()), value => value_of(b) }
        }
        None => context! { name => "", kind => "click", value => "" },
    }
}

/// Three top-level slots with five sub-slots each, filled from `menu`.
fn grid(menu: &Menu) -> Vec<Value> {
    (0..3)
        .map(|i| {
            let b = menu.button.get(i);
            let subs: Vec<Value> = (0..5)
                .map(|j| row(b.and_then(|b| b.sub_button.get(j))))
                .collect();
            let mut top = row(b);
            if let Some(b) = b.filter(|b| !b.sub_button.is_empty()) {
                top = context! { name => b.name.clone(), kind => "click", value => "" };
            }
            context! { ..top, ..context! { subs } }
        })
        .collect()
}

fn button(name: &str, kind: &str, value: &str) -> MenuButton {
    let mut b = MenuButton {
        kind: Some(kind.to_owned()),
        name: name.trim().to_owned(),
        ..MenuButton::default()
    };
    let v = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    match kind {
        "view" => b.url = v,
        "media_id" => b.media_id = v,
        "article_id" | "article_view_limited" => b.article_id = v,
        _ => b.key = v,
    }
    b
}

/// Reads the editor's fields into a menu; empty names mean empty slots.
fn parse(fields: &[(String, String)]) -> Menu {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let mut menu = Menu::default();
    for i in 0..3 {
        let name = get(&format!("b{i}_name"));
        let subs: Vec<MenuButton> = (0..5)
            .filter(|j| !get(&format!("b{i}_s{j}_name")).trim().is_empty())
            .map(|j| {
                button(
                    get(&format!("b{i}_s{j}_name")),
                    get(&format!("b{i}_s{j}_type")),
                    get(&format!("b{i}_s{j}_value")),
                )
            })
            .collect();
        if name.trim().is_empty() {
            continue;
        }
        menu.button.push(if subs.is_empty() {
            button(
                name,
                get(&format!("b{i}_type")),
                get(&format!("b{i}_value")),
            )
        } else {
            MenuButton::group(name.trim(), subs)
        });
    }
    menu
}

async fn editor(
    state: &AppState,
    s: &Session,
    id: &str,
    shown: Option<Menu>,
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
    let (saved, published) = siyu_store::wechat_accounts::menu(&state.store, tenant, id)
        .await
        .map_err(|e| fail(e.into()))?;
    let menu = shown.unwrap_or_else(|| {
        saved
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default()
    });
    let extra = context! {
        account_id => account.id, account_name => account.name, buttons => grid(&menu), kinds => kinds(),
        published => published.map(format_time), error, notice,
    };
    Ok(page(state, s, "menu.html", "wechat", extra, status))
}

/// `GET /console/wechat/{id}/menu`.
pub(super) async fn edit(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    editor(&state, &s, &id, None, None, None, StatusCode::OK).await
}

/// `POST /console/wechat/{id}/menu`: validates, saves and publishes; errors re-show the form.
pub(super) async fn save(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    let fields: Vec<(String, String)> = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let menu = parse(&fields);
    siyu_store::wechat_accounts::get(&state.store, &tenant, &id)
        .await
        .map_err(|e| s.fail(&state)(e.into()))?;
    match menu::save(&state, &tenant, &id, &menu, &s.actor()).await {
        Ok(_) => {
            let saved = super::i18n::messages(s.lang)["menu_saved"];
            editor(&state, &s, &id, None, None, Some(saved), StatusCode::OK).await
        }
        Err(e @ ApiError::Validation { .. }) => {
            let status = e.status();
            editor(
                &state,
                &s,
                &id,
                Some(menu),
                Some(e.to_string()),
                None,
                status,
            )
            .await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `POST /console/wechat/{id}/sync`: starts importing the account's existing followers.
pub(super) async fn sync(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_manage_tenant)?;
    let tenant = s.tenant_id()?.clone();
    crate::wechat::sync::start(&state, &tenant, &id, &s.actor())
        .await
        .map_err(s.fail(&state))?;
    let started = super::i18n::messages(s.lang)["sync_started"];
    super::fans::wechat_page(&state, &s, None, Some(started), StatusCode::ACCEPTED).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_fields_become_a_menu_and_back() {
        let f = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        let fields = vec![
            f("b0_name", "今日推荐"),
            f("b0_type", "click"),
            f("b0_value", "TODAY"),
            f("b1_name", "会员"),
            f("b1_type", "click"),
            f("b1_value", ""),
            f("b1_s0_name", "会员卡"),
            f("b1_s0_type", "view"),
            f("b1_s0_value", "https://example.com/card"),
            f("b1_s1_name", ""),
            f("b2_name", ""),
        ];
        let m = parse(&fields);
        assert_eq!(m.button.len(), 2);
        assert_eq!(m.button[0].key.as_deref(), Some("TODAY"));
        assert_eq!(
            m.button[1].sub_button[0].url.as_deref(),
            Some("https://example.com/card")
        );
        menu::validate(&m).unwrap();
        assert_eq!(grid(&m).len(), 3);
    }
}
