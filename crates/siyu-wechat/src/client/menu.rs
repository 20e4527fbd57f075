//! Custom menu (WECHAT.md 2.8).

use serde::{Deserialize, Serialize};

use super::core::CallOpts;
use super::{Ack, WechatClient};
use crate::error::{Result, WechatError};

/// errcode for "menu no exist".
const MENU_NOT_EXIST: i64 = 46003;

/// A menu: up to 3 top-level buttons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    /// Top-level buttons.
    #[serde(default)]
    pub button: Vec<MenuButton>,
}

/// A menu button: either an action (`kind` set) or a group (`sub_button` non-empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuButton {
    /// `type`: click, view, scancode_push, scancode_waitmsg, pic_sysphoto, pic_photo_or_album,
    /// pic_weixin, location_select, media_id, article_id, article_view_limited, miniprogram.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Label (≤ 16 bytes top-level, ≤ 60 bytes in a group).
    pub name: String,
    /// `key` for click-like types (≤ 128 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// `url` for view / miniprogram fallback (≤ 1024 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `media_id` for media_id / view_limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    /// `article_id` for article_id / article_view_limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Mini program `appid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// Mini program `pagepath`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagepath: Option<String>,
    /// Sub-buttons (≤ 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_button: Vec<MenuButton>,
}

impl MenuButton {
    /// A `click` button.
    pub fn click(name: impl Into<String>, key: impl Into<String>) -> Self {
        MenuButton {
            kind: Some("click".into()),
            name: name.into(),
            key: Some(key.into()),
            ..Self::default()
        }
    }

    /// A `view` (link) button.
    pub fn view(name: impl Into<String>, url: impl Into<String>) -> Self {
        MenuButton {
            kind: Some("view".into()),
            name: name.into(),
            url: Some(url.into()),
            ..Self::default()
        }
    }

    /// A group of sub-buttons.
    pub fn group(name: impl Into<String>, sub_button: Vec<MenuButton>) -> Self {
        MenuButton {
            name: name.into(),
            sub_button,
            ..Self::default()
        }
    }
}

impl Menu {
    /// Checks the documented limits: ≤ 3 buttons, ≤ 5 sub-buttons, name/key/url byte lengths.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &'static str| Err(WechatError::InvalidRequest(m));
        if self.button.is_empty() || self.button.len() > 3 {
            return bad("menu needs 1..=3 top-level buttons");
        }
        for b in &self.button {
            check_button(b, 16)?;
            if b.sub_button.len() > 5 {
                return bad("at most 5 sub-buttons");
            }
            for s in &b.sub_button {
                check_button(s, 60)?;
                if !s.sub_button.is_empty() {
                    return bad("sub-buttons cannot nest");
                }
            }
        }
        Ok(())
    }
}

fn check_button(b: &MenuButton, name_max: usize) -> Result<()> {
    if b.name.is_empty() || b.name.len() > name_max {
        return Err(WechatError::InvalidRequest("button name too long or empty"));
    }
    if b.key.as_ref().is_some_and(|k| k.len() > 128) {
        return Err(WechatError::InvalidRequest("button key over 128 bytes"));
    }
    if b.url.as_ref().is_some_and(|u| u.len() > 1024) {
        return Err(WechatError::InvalidRequest("button url over 1024 bytes"));
    }
    if b.kind.is_none() && b.sub_button.is_empty() {
        return Err(WechatError::InvalidRequest(
            "button needs a type or sub-buttons",
        ));
    }
    Ok(())
}

/// `menu/get` response.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct MenuInfo {
    /// The default menu.
    #[serde(default)]
    pub menu: Menu,
    /// Conditional menus, raw.
    #[serde(default)]
    pub conditionalmenu: Vec<serde_json::Value>,
}

impl WechatClient {
    /// `POST /cgi-bin/menu/create` (validated first).
    pub async fn create_menu(&self, menu: &Menu) -> Result<()> {
        menu.validate()?;
        let _: Ack = self
            .post("/cgi-bin/menu/create", menu, CallOpts::IDEMPOTENT)
            .await?;
        Ok(())
    }

    /// `GET /cgi-bin/menu/get`; `None` when no menu exists (46003).
    pub async fn get_menu(&self) -> Result<Option<MenuInfo>> {
        match self.get("/cgi-bin/menu/get", &[]).await {
            Ok(info) => Ok(Some(info)),
            Err(WechatError::Api { errcode, .. }) if errcode == MENU_NOT_EXIST => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /cgi-bin/menu/delete`.
    pub async fn delete_menu(&self) -> Result<()> {
        let _: Ack = self.get("/cgi-bin/menu/delete", &[]).await?;
        Ok(())
    }
}
