//! # siyu-wechat
//!
//! A standalone WeChat Official Account (公众号) protocol library:
//!
//! * [`signature`]: URL verification `signature` and safe-mode `msg_signature`
//!   (byte-sorted SHA-1, constant-time comparison).
//! * [`crypto`]: safe-mode AES-256-CBC message crypto with 32-byte PKCS#7, AppID check,
//!   the encrypted reply envelope and EncodingAESKey rotation.
//! * [`mode`]: plain / compatible / safe mode policy; reply encrypted iff the request was.
//! * [`xml`]: a hardened XML parser (no DTD, size / depth / element caps, CDATA-safe).
//! * [`message`]: typed messages and events with a dedupe key.
//! * [`reply`]: passive replies (serialize and parse).
//! * [`callback`]: the above glued into `open` (request → [`Message`]) and `seal`
//!   ([`PassiveReply`] → HTTP body).
//! * `client` (feature `client`, default): the api.weixin.qq.com client with a shared,
//!   single-flight access token, retries and rate limiting.
//!
//! ```
//! use siyu_wechat::{Callback, CallbackQuery, PassiveReply, Reply, signature};
//!
//! let cb = Callback::plain("token").unwrap();
//! let q = CallbackQuery {
//!     signature: signature::url_signature("token", "1700000000", "42"),
//!     timestamp: "1700000000".into(),
//!     nonce: "42".into(),
//!     ..Default::default()
//! };
//! let body = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>\
//!             <CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>\
//!             <Content><![CDATA[hi]]></Content><MsgId>1</MsgId></xml>";
//! let inbound = cb.open(&q, body.as_bytes(), 1_700_000_000).unwrap();
//! let reply = Reply::text(&inbound.message, 1_700_000_001, "hello");
//! let http_body = cb.seal(&inbound.reply, &PassiveReply::Reply(reply)).unwrap();
//! assert!(http_body.contains("<ToUserName><![CDATA[o1]]></ToUserName>"));
//! ```

#![warn(missing_docs)]

pub mod callback;
#[cfg(feature = "client")]
pub mod client;
pub mod crypto;
pub mod error;
pub mod message;
pub mod mode;
pub mod reply;
pub mod signature;
pub mod xml;

pub use callback::{Callback, Inbound, ReplyContext};
pub use crypto::{KeySlot, WechatCrypto};
pub use error::{Result, WechatError};
pub use message::{Event, Header, Message, MessageKind};
pub use mode::{AccountMode, CallbackQuery, Envelope};
pub use reply::{Article, PassiveReply, Reply, ReplyContent};
pub use xml::XmlLimits;
