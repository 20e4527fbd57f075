//! Parametric QR codes (WECHAT.md 2.2).

use serde::Deserialize;
use serde_json::{json, Value};

use super::core::CallOpts;
use super::WechatClient;
use crate::error::{Result, WechatError};

/// Where QR images are served (no token needed).
pub const SHOWQRCODE_URL: &str = "https://mp.weixin.qq.com/cgi-bin/showqrcode";
/// Maximum lifetime of a temporary code (30 days).
pub const MAX_EXPIRE_SECONDS: u32 = 2_592_000;

/// A QR scene value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrScene {
    /// `scene_id`: non-zero 32-bit for temporary codes, 1..=100000 for permanent ones.
    Id(u32),
    /// `scene_str`: 1..=64 characters.
    Str(String),
}

/// A `qrcode/create` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrCodeRequest {
    /// `QR_SCENE` / `QR_STR_SCENE`, valid for `expire_seconds` (≤ 30 days).
    Temporary {
        /// Scene.
        scene: QrScene,
        /// Lifetime in seconds.
        expire_seconds: u32,
    },
    /// `QR_LIMIT_SCENE` / `QR_LIMIT_STR_SCENE` (capped at 100,000 per account).
    Permanent {
        /// Scene.
        scene: QrScene,
    },
}

impl QrCodeRequest {
    /// A temporary string-scene code.
    pub fn temporary_str(scene: impl Into<String>, expire_seconds: u32) -> Self {
        QrCodeRequest::Temporary {
            scene: QrScene::Str(scene.into()),
            expire_seconds,
        }
    }

    /// A permanent string-scene code.
    pub fn permanent_str(scene: impl Into<String>) -> Self {
        QrCodeRequest::Permanent {
            scene: QrScene::Str(scene.into()),
        }
    }

    /// The JSON body, after checking the documented limits.
    pub fn to_json(&self) -> Result<Value> {
        let (scene, temporary) = match self {
            QrCodeRequest::Temporary { scene, .. } => (scene, true),
            QrCodeRequest::Permanent { scene } => (scene, false),
        };
        let (action, scene_json) = match scene {
            QrScene::Id(id) => {
                if *id == 0 || (!temporary && *id > 100_000) {
                    return Err(WechatError::InvalidRequest("scene_id out of range"));
                }
                (
                    if temporary {
                        "QR_SCENE"
                    } else {
                        "QR_LIMIT_SCENE"
                    },
                    json!({"scene_id": id}),
                )
            }
            QrScene::Str(s) => {
                let n = s.chars().count();
                if n == 0 || n > 64 {
                    return Err(WechatError::InvalidRequest(
                        "scene_str must be 1..=64 chars",
                    ));
                }
                let action = if temporary {
                    "QR_STR_SCENE"
                } else {
                    "QR_LIMIT_STR_SCENE"
                };
                (action, json!({"scene_str": s}))
            }
        };
        let mut body = json!({"action_name": action, "action_info": {"scene": scene_json}});
        if let QrCodeRequest::Temporary { expire_seconds, .. } = self {
            if *expire_seconds == 0 || *expire_seconds > MAX_EXPIRE_SECONDS {
                return Err(WechatError::InvalidRequest(
                    "expire_seconds must be 1..=2592000",
                ));
            }
            body["expire_seconds"] = json!(expire_seconds);
        }
        Ok(body)
    }
}

/// A created QR code.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct QrCode {
    /// Ticket (exchange for the image at [`show_url`](Self::show_url)).
    pub ticket: String,
    /// Lifetime (temporary codes only).
    #[serde(default)]
    pub expire_seconds: Option<u64>,
    /// The URL encoded in the image (render your own QR from it).
    #[serde(default)]
    pub url: String,
}

impl QrCode {
    /// The image URL: `showqrcode?ticket=<urlencoded ticket>`.
    pub fn show_url(&self) -> String {
        showqrcode_url(&self.ticket)
    }
}

/// `https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=<urlencoded ticket>`.
pub fn showqrcode_url(ticket: &str) -> String {
    let mut out = String::with_capacity(SHOWQRCODE_URL.len() + 8 + ticket.len() * 3);
    out.push_str(SHOWQRCODE_URL);
    out.push_str("?ticket=");
    for b in ticket.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl WechatClient {
    /// `POST /cgi-bin/qrcode/create`.
    pub async fn create_qrcode(&self, req: &QrCodeRequest) -> Result<QrCode> {
        let body = req.to_json()?;
        self.post("/cgi-bin/qrcode/create", &body, CallOpts::IDEMPOTENT)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies() {
        let t = QrCodeRequest::temporary_str("test", 604800)
            .to_json()
            .unwrap();
        assert_eq!(
            t,
            json!({"expire_seconds": 604800, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "test"}}})
        );
        let p = QrCodeRequest::permanent_str("test").to_json().unwrap();
        assert_eq!(
            p,
            json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "test"}}})
        );
        assert!(QrCodeRequest::temporary_str("", 60).to_json().is_err());
        assert!(QrCodeRequest::temporary_str("x", MAX_EXPIRE_SECONDS + 1)
            .to_json()
            .is_err());
        let big = QrCodeRequest::Permanent {
            scene: QrScene::Id(100_001),
        };
        assert!(big.to_json().is_err());
    }

    #[test]
    fn show_url_encodes_ticket() {
        assert_eq!(
            showqrcode_url("gQH4+/=="),
            "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH4%2B%2F%3D%3D"
        );
    }
}
