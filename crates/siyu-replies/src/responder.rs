//! Rules first, then the knowledge base, then the merchant's fallback.

use serde::{Deserialize, Serialize};

use crate::action::ReplyAction;
use crate::kb::{KbOutcome, KnowledgeBase};
use crate::rules::RuleSet;

/// What to do when neither a rule nor the knowledge base answers.
///
/// Stored as JSON like `{"type":"text","value":"…"}` or `{"type":"none"}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Fallback {
    /// Stay silent (the server answers WeChat with an empty `success`).
    #[default]
    None,
    /// Send a fixed text, e.g. "没听懂，回复【人工】转客服".
    Text(String),
    /// Hand the conversation to a human agent.
    TransferCustomerService,
}

/// Where a response came from, for logs and the console's reply statistics.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A keyword rule, by id.
    Rule(String),
    /// A knowledge-base entry, by id, with its normalised score.
    Knowledge(String, f64),
    /// The merchant's fallback.
    Fallback,
    /// Nothing answered and the fallback is [`Fallback::None`].
    Nothing,
}

/// The decision for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The reply to send; `None` means reply nothing.
    pub action: Option<ReplyAction>,
    /// What decided it.
    pub source: Source,
}

/// Decides the reply to a fan's text message. Cheap to share: build one per account when its
/// configuration changes and keep it behind an `Arc`.
#[derive(Debug, Clone)]
pub struct Responder {
    rules: RuleSet,
    kb: Option<KnowledgeBase>,
    fallback: Fallback,
}

impl Responder {
    /// A responder from compiled rules, an optional knowledge base and a fallback.
    #[must_use]
    pub fn new(rules: RuleSet, kb: Option<KnowledgeBase>, fallback: Fallback) -> Responder {
        Responder {
            rules,
            kb,
            fallback,
        }
    }

    /// The reply to `text` received at `now_unix_ms` (milliseconds since the Unix epoch; it
    /// decides which rule windows are open).
    #[must_use]
    pub fn respond(&self, text: &str, now_unix_ms: i64) -> Response {
        if let Some(rule) = self.rules.matching(text, now_unix_ms) {
            return Response {
                action: Some(rule.reply.clone()),
                source: Source::Rule(rule.id.clone()),
            };
        }
        if let Some(KbOutcome::Matched {
            entry_id,
            score,
            answer,
        }) = self.kb.as_ref().map(|kb| kb.answer(text))
        {
            return Response {
                action: Some(answer.clone()),
                source: Source::Knowledge(entry_id.to_owned(), score),
            };
        }
        match &self.fallback {
            Fallback::None => Response {
                action: None,
                source: Source::Nothing,
            },
            Fallback::Text(text) => Response {
                action: Some(ReplyAction::Text(text.clone())),
                source: Source::Fallback,
            },
            Fallback::TransferCustomerService => Response {
                action: Some(ReplyAction::TransferCustomerService),
                source: Source::Fallback,
            },
        }
    }

    /// The compiled rules.
    #[must_use]
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The knowledge base, if any.
    #[must_use]
    pub fn knowledge_base(&self) -> Option<&KnowledgeBase> {
        self.kb.as_ref()
    }

    /// The fallback.
    #[must_use]
    pub fn fallback(&self) -> &Fallback {
        &self.fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Entry;
    use crate::rules::{Matcher, Rule};

    const NOW: i64 = 1_704_038_400_000;

    fn responder(fallback: Fallback) -> Responder {
        let rules = RuleSet::compile(vec![Rule {
            id: "human".into(),
            priority: 0,
            matcher: Matcher::Contains(vec!["人工".into()]),
            reply: ReplyAction::TransferCustomerService,
            windows: Vec::new(),
            enabled: true,
        }])
        .unwrap();
        let kb = KnowledgeBase::build(vec![Entry {
            id: "invoice".into(),
            questions: vec!["可以开发票吗".into(), "发票怎么开".into()],
            answer: ReplyAction::Text("订单详情里申请开票".into()),
        }])
        .unwrap();
        Responder::new(rules, Some(kb), fallback)
    }

    #[test]
    fn rules_come_first() {
        // Mentions 发票 too, but the rule answers before the knowledge base is asked.
        let r = responder(Fallback::None).respond("发票的事我要找人工", NOW);
        assert_eq!(r.source, Source::Rule("human".into()));
        assert_eq!(r.action, Some(ReplyAction::TransferCustomerService));
    }

    #[test]
    fn knowledge_base_answers_when_no_rule_does() {
        let r = responder(Fallback::None).respond("能开发票吗？", NOW);
        let Source::Knowledge(id, score) = &r.source else {
            panic!("expected a knowledge answer, got {r:?}");
        };
        assert_eq!(id, "invoice");
        assert!(*score > 0.45 && *score <= 1.0);
        assert_eq!(
            r.action,
            Some(ReplyAction::Text("订单详情里申请开票".into()))
        );
    }

    #[test]
    fn fallback_variants() {
        let msg = "今天天气不错";
        let none = responder(Fallback::None).respond(msg, NOW);
        assert_eq!(
            none,
            Response {
                action: None,
                source: Source::Nothing
            }
        );
        let text = responder(Fallback::Text("没听懂，回复【人工】转客服".into())).respond(msg, NOW);
        assert_eq!(
            text.action,
            Some(ReplyAction::Text("没听懂，回复【人工】转客服".into()))
        );
        assert_eq!(text.source, Source::Fallback);
        let human = responder(Fallback::TransferCustomerService).respond(msg, NOW);
        assert_eq!(human.action, Some(ReplyAction::TransferCustomerService));
        assert_eq!(human.source, Source::Fallback);
    }

    #[test]
    fn works_without_a_knowledge_base() {
        let r = Responder::new(RuleSet::default(), None, Fallback::Text("稍后回复".into()));
        assert_eq!(r.respond("能开发票吗", NOW).source, Source::Fallback);
        assert!(r.knowledge_base().is_none() && r.rules().is_empty());
        assert_eq!(r.fallback(), &Fallback::Text("稍后回复".into()));
    }

    #[test]
    fn fallback_json_shape() {
        assert_eq!(
            serde_json::to_string(&Fallback::None).unwrap(),
            r#"{"type":"none"}"#
        );
        let f: Fallback = serde_json::from_str(r#"{"type":"text","value":"hi"}"#).unwrap();
        assert_eq!(f, Fallback::Text("hi".into()));
    }
}
