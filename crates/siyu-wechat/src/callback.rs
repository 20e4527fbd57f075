//! High-level callback handling: verify, decide, decrypt and parse a request; render and
//! (when required) encrypt the reply.

use crate::crypto::{KeySlot, WechatCrypto};
use crate::error::{Result, WechatError};
use crate::message::Message;
use crate::mode::{self, AccountMode, CallbackQuery, Envelope};
use crate::reply::PassiveReply;
use crate::signature;
use crate::xml::XmlLimits;

/// Everything needed to answer one request, including how the reply must be enveloped.
/// Cheap to clone and keep if the answer is produced later in the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyContext {
    /// How the request arrived (and therefore how the reply is sent).
    pub envelope: Envelope,
    /// Which AES key decrypted the request.
    pub key_slot: KeySlot,
    /// The request's `timestamp`, reused in the encrypted reply.
    pub timestamp: String,
    /// The request's `nonce`, reused in the encrypted reply.
    pub nonce: String,
}

/// An accepted, authenticated and parsed callback request.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// The parsed message or event.
    pub message: Message,
    /// The plaintext XML (decrypted if the request was encrypted).
    pub xml: String,
    /// How to answer.
    pub reply: ReplyContext,
}

/// Callback endpoint logic for one Official Account. `Debug` redacts the token and key.
#[derive(Clone)]
pub struct Callback {
    token: String,
    crypto: Option<WechatCrypto>,
    mode: AccountMode,
    limits: XmlLimits,
    max_skew: Option<u64>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("token", &"<redacted>")
            .field("crypto", &self.crypto)
            .field("mode", &self.mode)
            .field("limits", &self.limits)
            .field("max_skew", &self.max_skew)
            .finish()
    }
}

impl Callback {
    /// A plaintext-mode endpoint (no EncodingAESKey).
    pub fn plain(token: &str) -> Result<Callback> {
        if token.is_empty() {
            return Err(WechatError::Config("token must not be empty"));
        }
        Ok(Callback {
            token: token.to_owned(),
            crypto: None,
            mode: AccountMode::Plain,
            limits: XmlLimits::default(),
            max_skew: None,
        })
    }

    /// An endpoint in any mode; the token comes from `crypto`.
    pub fn new(crypto: WechatCrypto, mode: AccountMode) -> Callback {
        Callback {
            token: crypto.token().to_owned(),
            crypto: Some(crypto),
            mode,
            limits: XmlLimits::default(),
            max_skew: None,
        }
    }

    /// Overrides the XML limits (size, depth, element count).
    pub fn with_limits(mut self, limits: XmlLimits) -> Callback {
        self.limits = limits;
        self
    }

    /// Rejects requests whose `timestamp` is more than `secs` away from `now`.
    pub fn with_max_skew(mut self, secs: u64) -> Callback {
        self.max_skew = Some(secs);
        self
    }

    /// The configured mode.
    pub fn mode(&self) -> AccountMode {
        self.mode
    }

    /// GET URL verification: returns the `echostr` to echo byte-for-byte.
    pub fn verify_url<'q>(&self, query: &'q CallbackQuery) -> Result<&'q str> {
        let echostr = query
            .echostr
            .as_deref()
            .ok_or(WechatError::MissingField("echostr"))?;
        signature::verify_echo(
            &self.token,
            &query.signature,
            &query.timestamp,
            &query.nonce,
            echostr,
        )
    }

    /// Authenticates and parses a POST. Checks the mode policy, `signature`, the optional
    /// timestamp window (against `now`, unix seconds), `msg_signature` and the AppID for
    /// encrypted requests. Every error means "answer 4xx, do not process".
    pub fn open(&self, query: &CallbackQuery, body: &[u8], now: i64) -> Result<Inbound> {
        let envelope = mode::decide(self.mode, query)?;
        signature::verify_url_signature(
            &self.token,
            &query.signature,
            &query.timestamp,
            &query.nonce,
        )?;
        if let Some(skew) = self.max_skew {
            mode::check_timestamp(&query.timestamp, now, skew)?;
        }
        let (xml, key_slot) = match envelope {
            Envelope::Plain => {
                if body.len() > self.limits.max_bytes {
                    return Err(WechatError::TooLarge {
                        size: body.len(),
                        limit: self.limits.max_bytes,
                    });
                }
                let xml = std::str::from_utf8(body).map_err(|_| WechatError::InvalidUtf8)?;
                (xml.to_owned(), KeySlot::Current)
            }
            Envelope::Aes => {
                let crypto = self.crypto.as_ref().ok_or(WechatError::Config(
                    "encrypted request but no EncodingAESKey",
                ))?;
                let msg_signature = query.msg_signature.as_deref().unwrap_or_default();
                crypto.decrypt_message(
                    body,
                    msg_signature,
                    &query.timestamp,
                    &query.nonce,
                    &self.limits,
                )?
            }
        };
        let message = Message::parse(xml.as_bytes(), &self.limits)?;
        Ok(Inbound {
            message,
            xml,
            reply: ReplyContext {
                envelope,
                key_slot,
                timestamp: query.timestamp.clone(),
                nonce: query.nonce.clone(),
            },
        })
    }

    /// Renders the HTTP body for `reply`: `success` stays plaintext; a reply message is
    /// encrypted iff the request was (`encrypt_type=aes`).
    pub fn seal(&self, ctx: &ReplyContext, reply: &PassiveReply) -> Result<String> {
        let plain = reply.render()?;
        match (reply, ctx.envelope) {
            (PassiveReply::Success, _) | (_, Envelope::Plain) => Ok(plain),
            (PassiveReply::Reply(_), Envelope::Aes) => self
                .crypto
                .as_ref()
                .ok_or(WechatError::Config("encrypted reply but no EncodingAESKey"))?
                .encrypt_reply_with(ctx.key_slot, &plain, &ctx.timestamp, &ctx.nonce),
        }
    }
}
