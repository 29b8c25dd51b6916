//! Reading the model's structured answer, leniently.

use serde_json::Value;

/// What the customer wants, as classified by the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Asks for information.
    Question,
    /// Wants to buy or order.
    Order,
    /// Unhappy about a product, a delivery or the service.
    Complaint,
    /// Asks for a person.
    Human,
    /// Greetings, thanks, anything else.
    Other,
}

impl Intent {
    /// Reads an intent label; unknown labels are [`Intent::Other`].
    pub fn from_label(label: &str) -> Self {
        match label.trim().to_lowercase().as_str() {
            "question" | "pertanyaan" | "faq" | "info" => Self::Question,
            "order" | "pesanan" | "purchase" | "buy" => Self::Order,
            "complaint" | "komplain" | "keluhan" => Self::Complaint,
            "human" | "agent" | "admin" | "handoff" | "escalate" | "manusia" => Self::Human,
            _ => Self::Other,
        }
    }

    /// The label used in the prompt and in analytics.
    pub fn label(self) -> &'static str {
        match self {
            Self::Question => "question",
            Self::Order => "order",
            Self::Complaint => "complaint",
            Self::Human => "human",
            Self::Other => "other",
        }
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelOutput {
    /// The classified intent.
    pub intent: Intent,
    /// The reply for the customer (may be empty).
    pub answer: String,
    /// Whether the model says it can answer from what it knows.
    pub can_answer: bool,
    /// Whether the answer came in the requested JSON shape (`false`: the
    /// model wrote plain text, which is taken as the answer).
    pub structured: bool,
}

/// Reads the model's text: the first JSON object with an `answer` or
/// `intent` field anywhere in it (code fences and chatter around it are
/// ignored), else the plain text as the answer.
///
/// Returns `None` when nothing usable is there: empty text, or something
/// that looks like JSON but cannot be read (typically an answer cut off by
/// the token limit, which should not reach the customer).
pub fn parse_output(text: &str) -> Option<ModelOutput> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Some(object) = first_object(trimmed) {
        return Some(from_object(&object));
    }
    if trimmed.contains('{') || trimmed.contains("\"answer\"") {
        return None;
    }
    let plain = strip_fences(trimmed);
    (!plain.is_empty()).then(|| ModelOutput {
        intent: Intent::Other,
        answer: plain.to_owned(),
        can_answer: true,
        structured: false,
    })
}

fn first_object(text: &str) -> Option<serde_json::Map<String, Value>> {
    text.match_indices('{').find_map(|(start, _)| {
        let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(Value::Object(map)))
                if map.contains_key("answer") || map.contains_key("intent") =>
            {
                Some(map)
            }
            _ => None,
        }
    })
}

fn from_object(object: &serde_json::Map<String, Value>) -> ModelOutput {
    let intent = object
        .get("intent")
        .and_then(Value::as_str)
        .map_or(Intent::Other, Intent::from_label);
    let answer = match object.get("answer") {
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => String::new(),
    };
    let can_answer = match object.get("can_answer") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(
                s.trim().to_lowercase().as_str(),
                "true" | "yes" | "ya" | "1"
            )
        }
        Some(Value::Number(n)) => n.as_f64().is_some_and(|n| n != 0.0),
        // Not said: judge by whether there is an answer.
        _ => !answer.is_empty(),
    };
    ModelOutput {
        intent,
        can_answer: can_answer && !answer.is_empty(),
        answer,
        structured: true,
    }
}

/// Removes a surrounding Markdown code fence (```` ```lang ... ``` ````).
fn strip_fences(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("```") else {
        return text;
    };
    let body = rest.split_once('\n').map_or("", |(_, body)| body);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structured(intent: Intent, answer: &str, can_answer: bool) -> Option<ModelOutput> {
        Some(ModelOutput {
            intent,
            answer: answer.to_owned(),
            can_answer,
            structured: true,
        })
    }

    #[test]
    fn plain_json() {
        assert_eq!(
            parse_output(r#"{"intent":"question","answer":"Rp18.000","can_answer":true}"#),
            structured(Intent::Question, "Rp18.000", true)
        );
    }

    #[test]
    fn fenced_json_with_chatter() {
        let text = "Berikut jawabannya:\n```json\n{\n  \"intent\": \"ORDER\",\n  \"answer\": \"Siap Kak, mau pesan berapa? {ukuran}\",\n  \"can_answer\": \"true\"\n}\n```\nSemoga membantu!";
        assert_eq!(
            parse_output(text),
            structured(Intent::Order, "Siap Kak, mau pesan berapa? {ukuran}", true)
        );
    }

    #[test]
    fn braces_before_the_object_are_skipped() {
        let text = r#"{not json} {"note": 1} {"intent": "complaint", "answer": "Maaf ya Kak", "can_answer": false}"#;
        assert_eq!(
            parse_output(text),
            structured(Intent::Complaint, "Maaf ya Kak", false)
        );
    }

    #[test]
    fn missing_or_odd_fields() {
        // No can_answer: an answer means it can.
        assert_eq!(
            parse_output(r#"{"intent":"other","answer":"Sama-sama!"}"#),
            structured(Intent::Other, "Sama-sama!", true)
        );
        // can_answer true but nothing to say is not an answer.
        assert_eq!(
            parse_output(r#"{"intent":"question","answer":"  ","can_answer":true}"#),
            structured(Intent::Question, "", false)
        );
        assert_eq!(
            parse_output(r#"{"intent":"human"}"#),
            structured(Intent::Human, "", false)
        );
        assert_eq!(
            parse_output(r#"{"intent":"weird","answer":"ok","can_answer":0}"#),
            structured(Intent::Other, "ok", false)
        );
    }

    #[test]
    fn plain_text_is_taken_as_the_answer() {
        assert_eq!(
            parse_output("  Halo Kak, ada yang bisa dibantu?  "),
            Some(ModelOutput {
                intent: Intent::Other,
                answer: "Halo Kak, ada yang bisa dibantu?".to_owned(),
                can_answer: true,
                structured: false,
            })
        );
        assert_eq!(
            parse_output("```\nHalo Kak\n```").map(|o| o.answer),
            Some("Halo Kak".to_owned())
        );
    }

    #[test]
    fn unusable_output() {
        assert_eq!(parse_output("   "), None);
        // Cut off by the token limit.
        assert_eq!(
            parse_output(r#"{"intent":"question","answer":"Kopi susu harganya Rp18"#),
            None
        );
        assert_eq!(parse_output(r#"{"foo": 1}"#), None);
    }

    #[test]
    fn intent_labels() {
        assert_eq!(Intent::from_label(" Keluhan "), Intent::Complaint);
        assert_eq!(Intent::from_label("HUMAN"), Intent::Human);
        assert_eq!(Intent::from_label("pesanan"), Intent::Order);
        assert_eq!(Intent::from_label(""), Intent::Other);
        for intent in [
            Intent::Question,
            Intent::Order,
            Intent::Complaint,
            Intent::Human,
            Intent::Other,
        ] {
            assert_eq!(Intent::from_label(intent.label()), intent);
        }
    }
}
