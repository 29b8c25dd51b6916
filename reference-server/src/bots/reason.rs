//! Why the bot answered: a plugin's reply names what produced it
//! (`matched`: a keyword rule's id, `default`, `out-of-hours`,
//! `ai-reply:<intent>`, ...); this turns that, with the device's keyword
//! rules, into the [`BotReason`] stored with the reply and shown in the
//! inbox.

use std::collections::HashMap;

use crate::inbox::{BotReason, ReasonKind};

/// The keyword-rules plugin's name.
const KEYWORD_RULES: &str = "keyword-rules";
/// The AI plugin's name.
const AI_REPLY: &str = "ai-reply";

/// One keyword rule as the reason needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RuleKeywords {
    keywords: Vec<String>,
    /// The configured match kind (`contains` when not set).
    match_kind: String,
}

/// The keyword rules of a device's pipeline by rule id, read from its
/// keyword-rules configuration when the pipeline is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeywordIndex {
    rules: HashMap<String, RuleKeywords>,
}

impl KeywordIndex {
    /// The rules of a keyword-rules configuration (`rules[].id`,
    /// `keywords`, `match`); anything else in it is not needed here.
    pub(crate) fn from_config(config: &serde_json::Value) -> Self {
        let rules = config
            .get("rules")
            .and_then(serde_json::Value::as_array)
            .map(|rules| {
                rules
                    .iter()
                    .filter_map(|r| {
                        let id = r.get("id")?.as_str()?.to_owned();
                        let keywords = r
                            .get("keywords")?
                            .as_array()?
                            .iter()
                            .filter_map(|k| k.as_str().map(str::to_owned))
                            .collect();
                        let match_kind = r
                            .get("match")
                            .and_then(serde_json::Value::as_str)
                            .unwrap_or("contains")
                            .to_owned();
                        Some((
                            id,
                            RuleKeywords {
                                keywords,
                                match_kind,
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { rules }
    }
}

/// Why `plugin` sent a reply it reported as `matched`, to a customer who
/// wrote `text`; `handoff` when the same plugin also handed the
/// conversation to an agent.
pub(crate) fn explain(
    plugin: &str,
    matched: Option<&str>,
    handoff: bool,
    text: Option<&str>,
    keywords: &KeywordIndex,
) -> BotReason {
    let mut reason = BotReason::of(ReasonKind::Plugin);
    reason.plugin = Some(plugin.to_owned());
    reason.handoff = handoff;
    match (plugin, matched) {
        (KEYWORD_RULES, Some("out-of-hours")) => reason.kind = ReasonKind::OutOfHours,
        (KEYWORD_RULES, Some("default")) => reason.kind = ReasonKind::DefaultReply,
        (KEYWORD_RULES, Some(rule)) => {
            reason.kind = ReasonKind::KeywordRule;
            reason.rule = Some(rule.to_owned());
            if let Some(r) = keywords.rules.get(rule) {
                reason.keyword = Some(found_keyword(r, text));
                reason.match_kind = Some(r.match_kind.clone());
            }
        }
        (AI_REPLY, Some("ai-reply:fallback")) => reason.kind = ReasonKind::AiFallback,
        (AI_REPLY, matched) => {
            reason.kind = ReasonKind::AiReply;
            reason.rule = matched
                .map(|m| m.strip_prefix("ai-reply:").unwrap_or(m).to_owned())
                .filter(|m| !m.is_empty());
        }
        (_, matched) => reason.rule = matched.map(str::to_owned),
    }
    reason
}

/// The rule's keyword that appears in the customer's text (compared
/// without case), else the rule's keywords listed: the plugin reports the
/// rule, not the keyword, and a regex or an accent-folded match is not
/// recomputed here.
fn found_keyword(rule: &RuleKeywords, text: Option<&str>) -> String {
    let lower = text.unwrap_or_default().to_lowercase();
    if rule.match_kind != "regex"
        && let Some(k) = rule
            .keywords
            .iter()
            .find(|k| !k.is_empty() && lower.contains(&k.to_lowercase()))
    {
        return k.clone();
    }
    rule.keywords.join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::i18n::Lang;

    fn index() -> KeywordIndex {
        KeywordIndex::from_config(&serde_json::json!({
            "rules": [
                { "id": "harga", "keywords": ["harga", "price"], "reply": "Rp 10.000" },
                { "id": "resi", "keywords": ["^resi"], "match": "regex", "reply": "..." }
            ]
        }))
    }

    #[test]
    fn a_keyword_rule_names_the_keyword_found_and_the_match() {
        let r = explain(
            "keyword-rules",
            Some("harga"),
            false,
            Some("Berapa HARGA nya kak?"),
            &index(),
        );
        assert_eq!(r.kind, ReasonKind::KeywordRule);
        assert_eq!(r.keyword.as_deref(), Some("harga"));
        assert_eq!(r.match_kind.as_deref(), Some("contains"));
        assert_eq!(
            r.describe(Lang::En),
            "Keyword rule matched \"harga\" (contains) · rule harga"
        );
        assert_eq!(
            r.describe(Lang::Id),
            "Aturan kata kunci cocok: \"harga\" (mengandung) · aturan harga"
        );
        let re = explain(
            "keyword-rules",
            Some("resi"),
            true,
            Some("resi 1"),
            &index(),
        );
        assert_eq!(re.keyword.as_deref(), Some("^resi"));
        assert!(re.describe(Lang::En).ends_with("handed to an agent"));
    }

    #[test]
    fn other_answers_are_named() {
        let k = index();
        let kind = |p: &str, m: Option<&str>| explain(p, m, false, None, &k).kind;
        assert_eq!(
            kind("keyword-rules", Some("default")),
            ReasonKind::DefaultReply
        );
        assert_eq!(
            kind("keyword-rules", Some("out-of-hours")),
            ReasonKind::OutOfHours
        );
        assert_eq!(
            kind("ai-reply", Some("ai-reply:fallback")),
            ReasonKind::AiFallback
        );
        let ai = explain("ai-reply", Some("ai-reply:order"), false, None, &k);
        assert_eq!(
            (ai.kind, ai.rule.as_deref()),
            (ReasonKind::AiReply, Some("order"))
        );
        let other = explain("echo", None, false, None, &k);
        assert_eq!(other.kind, ReasonKind::Plugin);
        assert_eq!(other.describe(Lang::En), "Answered by plugin echo");
        // A rule deleted since the pipeline was built: still the rule id.
        let gone = explain("keyword-rules", Some("old"), false, None, &k);
        assert_eq!(gone.describe(Lang::En), "Keyword rule old matched");
    }
}
