//! The custom menu: validated against WeChat's limits, saved, and published to WeChat by a
//! job written in the same transaction (so a saved menu always reaches WeChat, once per save).

use serde::{Deserialize, Serialize};
use siyu_domain::TenantId;
use siyu_wechat::client::{Menu, MenuButton};

use crate::error::ApiError;
use crate::jobs::{self, Job};
use crate::services::Actor;
use crate::state::AppState;

/// Button types WeChat accepts.
pub const BUTTON_TYPES: &[&str] = &[
    "click",
    "view",
    "scancode_push",
    "scancode_waitmsg",
    "pic_sysphoto",
    "pic_photo_or_album",
    "pic_weixin",
    "location_select",
    "media_id",
    "article_id",
    "article_view_limited",
    "miniprogram",
];

/// Checks a menu against WeChat's rules; the error names the button (`button[1].sub_button[0].name`).
pub fn validate(menu: &Menu) -> Result<(), ApiError> {
    if menu.button.is_empty() || menu.button.len() > 3 {
        return Err(ApiError::invalid(
            "button",
            "a menu has 1 to 3 top-level buttons",
        ));
    }
    for (i, b) in menu.button.iter().enumerate() {
        let at = format!("button[{i}]");
        check_name(&b.name, 16, &at)?;
        if b.sub_button.is_empty() {
            check_action(b, &at)?;
        } else {
            if b.sub_button.len() > 5 {
                return Err(ApiError::invalid(
                    format!("{at}.sub_button"),
                    "at most 5 sub-buttons",
                ));
            }
            for (j, s) in b.sub_button.iter().enumerate() {
                let at = format!("{at}.sub_button[{j}]");
                check_name(&s.name, 60, &at)?;
                if !s.sub_button.is_empty() {
                    return Err(ApiError::invalid(
                        format!("{at}.sub_button"),
                        "sub-buttons cannot have sub-buttons",
                    ));
                }
                check_action(s, &at)?;
            }
        }
    }
    Ok(())
}

fn check_name(name: &str, max_bytes: usize, at: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() || name.len() > max_bytes {
        return Err(ApiError::invalid(
            format!("{at}.name"),
            format!(
                "must be 1 to {max_bytes} bytes (about {} Chinese characters)",
                max_bytes / 3
            ),
        ));
    }
    Ok(())
}

fn check_action(b: &MenuButton, at: &str) -> Result<(), ApiError> {
    let kind = b.kind.as_deref().unwrap_or_default();
    if !BUTTON_TYPES.contains(&kind) {
        return Err(ApiError::invalid(
            format!("{at}.type"),
            format!("'{kind}' is not a menu button type"),
        ));
    }
    let need = |v: &Option<String>, field: &str, max: usize| match v.as_deref() {
        Some(s) if !s.is_empty() && s.len() <= max => Ok(()),
        _ => Err(ApiError::invalid(
            format!("{at}.{field}"),
            format!("is required for {kind} buttons (at most {max} bytes)"),
        )),
    };
    match kind {
        "view" => {
            need(&b.url, "url", 1024)?;
            if !b
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(ApiError::invalid(
                    format!("{at}.url"),
                    "must start with http:// or https://",
                ));
            }
            Ok(())
        }
        "miniprogram" => {
            need(&b.url, "url", 1024)?;
            need(&b.appid, "appid", 64)?;
            need(&b.pagepath, "pagepath", 1024)
        }
        "media_id" => need(&b.media_id, "media_id", 128),
        "article_id" | "article_view_limited" => need(&b.article_id, "article_id", 128),
        _ => need(&b.key, "key", 128),
    }
}

/// Publishes an account's saved menu to WeChat.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublishMenu {
    /// The Official Account.
    pub account_id: String,
}

impl Job for PublishMenu {
    const KIND: &'static str = "wechat.publish_menu";
}

/// Saves a menu and enqueues its publication; returns the job id.
pub async fn save(
    state: &AppState,
    tenant: &TenantId,
    account: &str,
    menu: &Menu,
    actor: &Actor,
) -> Result<String, ApiError> {
    validate(menu)?;
    let json = serde_json::to_string(menu).map_err(|_| ApiError::Internal)?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    siyu_store::wechat_accounts::set_menu(&mut tx, tenant, account, &json, now).await?;
    let job = jobs::enqueue(
        &mut tx,
        Some(tenant),
        &PublishMenu {
            account_id: account.to_owned(),
        },
        None,
        now,
        now,
    )
    .await?
    .ok_or(ApiError::Internal)?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "wechat_menu.save",
        Some(account),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(job.to_string())
}

/// The job handler: sends the currently saved menu (the latest save wins).
pub async fn publish(state: AppState, job: PublishMenu) -> Result<(), String> {
    let account = siyu_store::wechat_accounts::get_for_callback(&state.store, &job.account_id)
        .await
        .map_err(|e| e.to_string())?;
    let tenant = TenantId::parse(&account.tenant_id).map_err(|e| e.to_string())?;
    let (menu, _) = siyu_store::wechat_accounts::menu(&state.store, &tenant, &account.id)
        .await
        .map_err(|e| e.to_string())?;
    let Some(menu) = menu else { return Ok(()) };
    let menu: Menu = serde_json::from_str(&menu).map_err(|e| e.to_string())?;
    let client = super::client::client_for(&state, &account).map_err(|e| e.to_string())?;
    client.create_menu(&menu).await.map_err(|e| e.to_string())?;
    siyu_store::wechat_accounts::mark_menu_published(&state.store, &account.id, state.now())
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_menu() -> Menu {
        Menu {
            button: vec![
                MenuButton::click("今日推荐", "TODAY"),
                MenuButton::group(
                    "会员",
                    vec![
                        MenuButton::view("会员卡", "https://example.com/card"),
                        MenuButton::click("积分", "POINTS"),
                    ],
                ),
            ],
        }
    }

    #[test]
    fn accepts_a_valid_menu() {
        validate(&ok_menu()).unwrap();
    }

    #[test]
    fn enforces_wechat_limits() {
        let field = |m: &Menu| match validate(m) {
            Err(ApiError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut m = ok_menu();
        m.button
            .extend([MenuButton::click("a", "a"), MenuButton::click("b", "b")]);
        assert_eq!(field(&m), "button");
        let mut m = ok_menu();
        m.button[0].name = "一二三四五六".into(); // 18 bytes > 16
        assert_eq!(field(&m), "button[0].name");
        let mut m = ok_menu();
        m.button[1].sub_button = (0..6)
            .map(|i| MenuButton::click(format!("s{i}"), "k"))
            .collect();
        assert_eq!(field(&m), "button[1].sub_button");
        let mut m = ok_menu();
        m.button[1].sub_button[0].url = Some("ftp://x".into());
        assert_eq!(field(&m), "button[1].sub_button[0].url");
        let mut m = ok_menu();
        m.button[0].kind = Some("dance".into());
        assert_eq!(field(&m), "button[0].type");
        let mut m = ok_menu();
        m.button[0].key = None;
        assert_eq!(field(&m), "button[0].key");
    }
}
