//! What the Official Account sends back: the reply shared by rules, FAQ entries and fallbacks.

use serde::{Deserialize, Serialize};

/// WeChat's limit for a passive text reply, in bytes of UTF-8 (a Chinese character is 3 bytes).
pub const MAX_REPLY_TEXT_BYTES: usize = 2_048;

/// A reply the server turns into a WeChat passive reply message.
///
/// Stored as JSON with a `type` tag and a `value`:
/// `{"type":"text","value":"…"}`, `{"type":"news","value":{"title":…}}`,
/// `{"type":"transfer_customer_service"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum ReplyAction {
    /// A plain text message.
    Text(String),
    /// A single news (图文) card linking to a page.
    News {
        /// Card title.
        title: String,
        /// Short description under the title.
        #[serde(default)]
        description: String,
        /// Page opened when the fan taps the card (http or https).
        url: String,
        /// Cover image URL; empty for none.
        #[serde(default)]
        pic_url: String,
    },
    /// Hand the conversation to a human agent (`transfer_customer_service`).
    TransferCustomerService,
}

/// Why a reply cannot be sent as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The text reply is empty or only whitespace.
    #[error("the reply text is empty")]
    EmptyText,
    /// The text reply is longer than WeChat accepts.
    #[error("the reply text is {bytes} bytes; WeChat accepts at most {max} bytes (about 680 Chinese characters)")]
    TextTooLong {
        /// Length of the text in UTF-8 bytes.
        bytes: usize,
        /// The limit, [`MAX_REPLY_TEXT_BYTES`].
        max: usize,
    },
    /// A news card has no title.
    #[error("the news card has no title")]
    EmptyTitle,
    /// A news card link is not an http(s) URL.
    #[error("the news card {field} must start with http:// or https:// (got {value:?})")]
    BadUrl {
        /// Which field: `url` or `pic_url`.
        field: &'static str,
        /// The value given.
        value: String,
    },
}

impl ReplyAction {
    /// Checks the reply against WeChat's limits, so a bad reply is refused when it is saved
    /// rather than when a fan triggers it.
    pub fn validate(&self) -> Result<(), ActionError> {
        match self {
            Self::Text(text) => {
                if text.trim().is_empty() {
                    return Err(ActionError::EmptyText);
                }
                if text.len() > MAX_REPLY_TEXT_BYTES {
                    return Err(ActionError::TextTooLong {
                        bytes: text.len(),
                        max: MAX_REPLY_TEXT_BYTES,
                    });
                }
                Ok(())
            }
            Self::News {
                title,
                url,
                pic_url,
                ..
            } => {
                if title.trim().is_empty() {
                    return Err(ActionError::EmptyTitle);
                }
                check_url("url", url)?;
                if !pic_url.is_empty() {
                    check_url("pic_url", pic_url)?;
                }
                Ok(())
            }
            Self::TransferCustomerService => Ok(()),
        }
    }
}

fn check_url(field: &'static str, value: &str) -> Result<(), ActionError> {
    let ok = ["http://", "https://"].iter().any(|scheme| {
        value.len() > scheme.len()
            && value
                .get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    if ok {
        Ok(())
    } else {
        Err(ActionError::BadUrl {
            field,
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news(url: &str, pic_url: &str) -> ReplyAction {
        ReplyAction::News {
            title: "新品".into(),
            description: String::new(),
            url: url.into(),
            pic_url: pic_url.into(),
        }
    }

    #[test]
    fn text_limits() {
        assert_eq!(
            ReplyAction::Text("  ".into()).validate(),
            Err(ActionError::EmptyText)
        );
        // 682 CJK characters = 2,046 bytes: fits; one more does not.
        assert!(ReplyAction::Text("好".repeat(682)).validate().is_ok());
        assert_eq!(
            ReplyAction::Text("好".repeat(683)).validate(),
            Err(ActionError::TextTooLong {
                bytes: 2_049,
                max: 2_048
            })
        );
    }

    #[test]
    fn news_urls() {
        assert!(news("https://shop.example/a", "").validate().is_ok());
        assert!(news("HTTP://shop.example/a", "https://img.example/a.jpg")
            .validate()
            .is_ok());
        assert!(matches!(
            news("javascript:alert(1)", "").validate(),
            Err(ActionError::BadUrl { field: "url", .. })
        ));
        assert!(matches!(
            news("https://a.example", "ftp://x").validate(),
            Err(ActionError::BadUrl {
                field: "pic_url",
                ..
            })
        ));
        assert!(matches!(
            news("https://", "").validate(),
            Err(ActionError::BadUrl { .. })
        ));
    }

    #[test]
    fn json_shape_uses_snake_case_tags() {
        let json = serde_json::to_string(&ReplyAction::TransferCustomerService).unwrap();
        assert_eq!(json, r#"{"type":"transfer_customer_service"}"#);
        let json = serde_json::to_string(&ReplyAction::Text("你好".into())).unwrap();
        assert_eq!(json, r#"{"type":"text","value":"你好"}"#);
        let back: ReplyAction = serde_json::from_str(
            r#"{"type":"news","value":{"title":"t","url":"https://x.example"}}"#,
        )
        .unwrap();
        let ReplyAction::News {
            title,
            description,
            pic_url,
            ..
        } = &back
        else {
            panic!("expected a news card, got {back:?}");
        };
        assert_eq!(
            (title.as_str(), description.as_str(), pic_url.as_str()),
            ("t", "", "")
        );
    }
}
