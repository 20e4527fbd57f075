//! The crate's single error type.

use thiserror::Error;

/// Everything that can go wrong in this crate.
///
/// Variants never carry secrets (tokens, AppSecret, AES keys); HTTP errors have their
/// URL stripped because outbound URLs carry `access_token`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WechatError {
    /// A `signature` or `msg_signature` did not match.
    #[error("signature mismatch")]
    InvalidSignature,
    /// The EncodingAESKey is not 43 base64 characters decoding to 32 bytes.
    #[error("invalid EncodingAESKey: {0}")]
    InvalidAesKey(&'static str),
    /// The `Encrypt` payload is not valid base64.
    #[error("ciphertext is not valid base64")]
    InvalidBase64,
    /// The ciphertext or its decrypted layout is malformed (length, padding, msg_len).
    #[error("malformed ciphertext: {0}")]
    InvalidCiphertext(&'static str),
    /// The AppID trailing the decrypted message is not ours.
    #[error("decrypted message belongs to another AppID")]
    AppIdMismatch,
    /// Text that must be UTF-8 is not.
    #[error("payload is not valid UTF-8")]
    InvalidUtf8,
    /// The XML input contains a `<!DOCTYPE`; DTDs and custom entities are never processed.
    #[error("DOCTYPE declarations are not allowed")]
    DoctypeForbidden,
    /// The input exceeds the configured size limit (bytes).
    #[error("input of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the offending input.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// The XML nests deeper than the configured limit.
    #[error("XML nesting exceeds the limit of {limit}")]
    TooDeep {
        /// Configured depth limit.
        limit: usize,
    },
    /// The XML is malformed.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// A required field is missing.
    #[error("missing field <{0}>")]
    MissingField(&'static str),
    /// A field has a value that cannot be interpreted (e.g. non-numeric `CreateTime`).
    #[error("invalid value for <{0}>")]
    InvalidField(&'static str),
    /// The request does not fit the account's message encryption mode.
    #[error("request rejected by mode policy: {0}")]
    ModeRejected(&'static str),
    /// The request timestamp is outside the allowed skew window.
    #[error("timestamp outside the allowed window")]
    TimestampSkew,
    /// A reply violates WeChat's rules (e.g. news with 0 or more than 8 articles).
    #[error("invalid reply: {0}")]
    InvalidReply(&'static str),
    /// WeChat answered with `errcode != 0`.
    #[error("WeChat API error {errcode}: {errmsg}")]
    Api {
        /// WeChat's numeric error code.
        errcode: i64,
        /// WeChat's error message.
        errmsg: String,
    },
    /// Transport-level HTTP failure (URL stripped).
    #[cfg(feature = "client")]
    #[error("HTTP error: {0}")]
    Http(reqwest::Error),
    /// A WeChat JSON response could not be decoded.
    #[error("unexpected response body: {0}")]
    Decode(String),
    /// A [`TokenStore`](crate::client::TokenStore) implementation failed.
    #[error("token store error: {0}")]
    TokenStore(String),
    /// An outbound request violates a documented limit (checked before sending).
    #[error("invalid request: {0}")]
    InvalidRequest(&'static str),
    /// Invalid client or callback configuration.
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

impl WechatError {
    /// The WeChat `errcode` if this is an API error.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WechatError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// Whether the failure is the caller's fault (bad signature, malformed input, mode
    /// mismatch) and deserves a 4xx rather than a 5xx when answering WeChat's callback.
    pub fn is_bad_request(&self) -> bool {
        !matches!(
            self,
            WechatError::Api { .. } | WechatError::TokenStore(_) | WechatError::Config(_)
        ) && !self.is_transport()
    }

    fn is_transport(&self) -> bool {
        #[cfg(feature = "client")]
        if matches!(self, WechatError::Http(_)) {
            return true;
        }
        matches!(self, WechatError::Decode(_))
    }
}

#[cfg(feature = "client")]
impl From<reqwest::Error> for WechatError {
    fn from(e: reqwest::Error) -> Self {
        WechatError::Http(e.without_url())
    }
}

/// Shorthand for `Result<T, WechatError>`.
pub type Result<T, E = WechatError> = std::result::Result<T, E>;
