//! How a WeChat Official Account answers a fan's free-text message.
//!
//! Pure logic — no IO, no clock, no database — so the callback handler can call it on every
//! incoming text message:
//!
//! 1. [`rules`]: keyword auto-reply rules (exact / contains / regex, priorities, time windows),
//! 2. [`kb`]: an FAQ knowledge base matched with jieba segmentation, bigrams and BM25,
//! 3. [`Responder`]: rules first, then the knowledge base, then the merchant's fallback.
//!
//! Rules, entries and replies are serde types with snake_case tags, so the server stores them as
//! JSON and rebuilds a [`RuleSet`] / [`KnowledgeBase`] when the merchant saves.
//!
//! ```
//! use siyu_replies::{Entry, Fallback, KnowledgeBase, ReplyAction, Responder, RuleSet, Source};
//!
//! let rules = RuleSet::from_json(r#"[{"id": "human",
//!     "matcher": {"type": "exact", "value": "人工"},
//!     "reply": {"type": "transfer_customer_service"}}]"#)?;
//! let kb = KnowledgeBase::build(vec![Entry {
//!     id: "invoice".into(),
//!     questions: vec!["可以开发票吗".into(), "发票怎么开".into()],
//!     answer: ReplyAction::Text("在订单详情里点【申请开票】".into()),
//! }])?;
//! let responder = Responder::new(rules, Some(kb), Fallback::Text("没听懂，回复【人工】".into()));
//!
//! let now_ms = 1_704_038_400_000; // passed in by the caller, never read from the clock
//! assert_eq!(responder.respond("人工", now_ms).source, Source::Rule("human".into()));
//! assert!(matches!(responder.respond("能开发票吗？", now_ms).source, Source::Knowledge(..)));
//! assert_eq!(responder.respond("今天天气如何", now_ms).source, Source::Fallback);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod action;
pub mod kb;
pub mod normalize;
mod responder;
pub mod rules;

pub use action::{ActionError, ReplyAction, MAX_REPLY_TEXT_BYTES};
pub use kb::{Entry, KbError, KbOutcome, KnowledgeBase, DEFAULT_THRESHOLD};
pub use normalize::normalize;
pub use responder::{Fallback, Responder, Response, Source};
pub use rules::{Matcher, Rule, RuleError, RuleSet, TimeWindow, Weekday, Weekdays};
