//! Bounded fuzzing on the stable toolchain: the webhook parsers get
//! arbitrary bytes and damaged real payloads (the peer corpus with bits
//! flipped, bytes cut off or spliced in, fields deleted or given another
//! type). They must never panic, must answer with a typed error or typed
//! events, and what they accept must carry usable ids. The case counts
//! keep each test to a few seconds; `PROPTEST_CASES` raises them for a
//! longer local run.

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;
use whatsapp_client::webhook::{Event, ParseError, parse_cloud, parse_fonnte, parse_fonnte_form};

use crate::corpus::{cloud_payloads, fonnte_payloads};

static CLOUD: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| cloud_payloads().into_iter().map(|(_, b)| b).collect());
static FONNTE: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| fonnte_payloads().into_iter().map(|(_, b)| b).collect());

/// One way of damaging a body.
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Flip one bit of one byte.
    FlipBit(usize, u8),
    /// Keep only a prefix.
    Truncate(usize),
    /// Insert bytes at a position.
    Splice(usize, Vec<u8>),
    /// Remove one key of one object (anywhere in the JSON tree).
    DeleteField(usize),
    /// Replace one value (anywhere in the tree) with another JSON value.
    ReplaceValue(usize, Value),
}

pub(crate) fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,16}".prop_map(Value::String),
        Just(Value::String(String::new())),
        Just(Value::String("0".into())),
        Just(Value::Array(Vec::new())),
        Just(Value::Object(serde_json::Map::new())),
    ]
}

pub(crate) fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Splice(i, b)),
        any::<usize>().prop_map(Mutation::DeleteField),
        any::<usize>().prop_map(Mutation::DeleteField),
        (any::<usize>(), arb_leaf()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
        (any::<usize>(), arb_leaf()).prop_map(|(i, v)| Mutation::ReplaceValue(i, v)),
    ]
}

/// A step from a JSON node to one of its children.
enum Step {
    Key(String),
    At(usize),
}

/// Paths to every node below the root.
fn paths(v: &Value, prefix: &mut Vec<usize>, all: &mut Vec<Vec<usize>>) {
    let children: Vec<&Value> = match v {
        Value::Object(o) => o.values().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => return,
    };
    for (i, child) in children.into_iter().enumerate() {
        prefix.push(i);
        all.push(prefix.clone());
        paths(child, prefix, all);
        prefix.pop();
    }
}

/// The parent of the node at `path` and the step to it.
fn parent_mut<'a>(root: &'a mut Value, path: &[usize]) -> Option<(&'a mut Value, Step)> {
    let (last, init) = path.split_last()?;
    let mut node = root;
    for &i in init {
        node = match node {
            Value::Object(o) => o.values_mut().nth(i)?,
            Value::Array(a) => a.get_mut(i)?,
            _ => return None,
        };
    }
    let step = match node {
        Value::Object(o) => Step::Key(o.keys().nth(*last)?.clone()),
        Value::Array(_) => Step::At(*last),
        _ => return None,
    };
    Some((node, step))
}

/// Applies the mutations in order. Structural ones act on the JSON tree
/// when the body (still) parses, and leave it unchanged otherwise.
pub(crate) fn mutate(body: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut body = body.to_vec();
    for m in mutations {
        match m {
            Mutation::FlipBit(i, bit) if !body.is_empty() => {
                let at = pick(*i, body.len());
                body[at] ^= 1 << bit;
            }
            Mutation::FlipBit(..) => {}
            Mutation::Truncate(i) => {
                let at = pick(*i, body.len() + 1);
                body.truncate(at);
            }
            Mutation::Splice(i, bytes) => {
                let at = pick(*i, body.len() + 1);
                body.splice(at..at, bytes.iter().copied());
            }
            Mutation::DeleteField(i) | Mutation::ReplaceValue(i, _) => {
                let Ok(mut root) = serde_json::from_slice::<Value>(&body) else {
                    continue;
                };
                let mut all = Vec::new();
                paths(&root, &mut Vec::new(), &mut all);
                if all.is_empty() {
                    continue;
                }
                let path = &all[pick(*i, all.len())];
                let Some((parent, step)) = parent_mut(&mut root, path) else {
                    continue;
                };
                match (m, parent, step) {
                    (Mutation::DeleteField(_), Value::Object(o), Step::Key(k)) => {
                        o.remove(&k);
                    }
                    (Mutation::DeleteField(_), Value::Array(a), Step::At(n)) => {
                        a.remove(n);
                    }
                    (Mutation::ReplaceValue(_, v), Value::Object(o), Step::Key(k)) => {
                        o.insert(k, v.clone());
                    }
                    (Mutation::ReplaceValue(_, v), Value::Array(a), Step::At(n)) => {
                        a[n] = v.clone();
                    }
                    _ => {}
                }
                body = serde_json::to_vec(&root).unwrap_or(body);
            }
        }
    }
    body
}

/// A position in `0..len` chosen by `i` (`len` must not be 0).
fn pick(i: usize, len: usize) -> usize {
    i % len
}

/// What any accepted event must satisfy.
fn check_event(event: &Event) -> Result<(), TestCaseError> {
    match event {
        Event::Message(m) => {
            prop_assert!(!m.id.is_empty());
            prop_assert!(m.from.e164().starts_with('+'));
            prop_assert_eq!(event.dedup_key(), Some(format!("msg:{}", m.id)));
        }
        Event::UserIdMessage(m) => {
            prop_assert!(!m.id.is_empty());
            prop_assert!(whatsapp_client::UserId::parse(m.from.as_str()).is_ok());
            prop_assert_eq!(event.dedup_key(), Some(format!("msg:{}", m.id)));
        }
        Event::Status(s) => {
            prop_assert!(event.dedup_key().is_some_and(|k| k.contains(&s.message_id)));
        }
        _ => {}
    }
    Ok(())
}

/// A body that is not JSON must fail as a syntax error of the JSON parser.
fn check_cloud(body: &[u8]) -> Result<(), TestCaseError> {
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    match parse_cloud(body) {
        Ok(events) => {
            prop_assert!(
                is_json,
                "accepted a body that is not JSON: {:?}",
                String::from_utf8_lossy(body)
            );
            for e in &events {
                check_event(e)?;
            }
        }
        Err(ParseError::Syntax { format, .. }) => {
            prop_assert!(!is_json);
            prop_assert_eq!(format, "JSON");
        }
        Err(ParseError::Shape(_)) => prop_assert!(is_json),
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

fn check_fonnte(body: &[u8]) -> Result<(), TestCaseError> {
    match parse_fonnte(body) {
        Ok(event) => {
            check_event(&event)?;
            // Deterministic: the same body is the same event (and key).
            prop_assert_eq!(parse_fonnte(body), Ok(event));
        }
        Err(ParseError::Syntax { .. } | ParseError::Shape(_)) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

pub(crate) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn arbitrary_bytes_never_panic_and_fail_typed(body in prop::collection::vec(any::<u8>(), 0..1024)) {
        check_cloud(&body)?;
        check_fonnte(&body)?;
    }

    #[test]
    fn damaged_cloud_payloads_never_panic(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..5),
    ) {
        let body = mutate(&CLOUD[which.index(CLOUD.len())], &mutations);
        check_cloud(&body)?;
    }

    #[test]
    fn damaged_fonnte_payloads_never_panic(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..5),
    ) {
        let body = mutate(&FONNTE[which.index(FONNTE.len())], &mutations);
        check_fonnte(&body)?;
    }

    #[test]
    fn fonnte_form_fields_never_panic(
        fields in prop::collection::vec(
            (prop::sample::select(vec![
                "device", "sender", "member", "message", "text", "inboxid", "id", "url",
                "filename", "extension", "location", "status", "state", "stateid",
                "timestamp", "token", "isgroup", "name",
            ]), "\\PC{0,20}"),
            0..10,
        ),
    ) {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        check_event(&parse_fonnte_form(pairs))?;
    }

    #[test]
    fn the_fonnte_device_token_never_reaches_an_event(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 0..3),
    ) {
        // Damage first, then add the token as a field: a mutation that
        // renames the `token` field would test nothing.
        let damaged = mutate(&FONNTE[which.index(FONNTE.len())], &mutations);
        let body = match serde_json::from_slice::<Value>(&damaged) {
            Ok(Value::Object(mut o)) => {
                o.insert("token".into(), Value::from("SECRET-DEVICE-TOKEN-1f9a"));
                serde_json::to_vec(&o).unwrap()
            }
            _ => [damaged.as_slice(), b"&token=SECRET-DEVICE-TOKEN-1f9a"].concat(),
        };
        let shown = match parse_fonnte(&body) {
            Ok(event) => format!("{event:?}"),
            Err(e) => format!("{e} {e:?}"),
        };
        prop_assert!(!shown.contains("SECRET-DEVICE-TOKEN"), "{}", shown);
    }
}

#[test]
fn mutations_do_damage_the_payloads() {
    // The mutation helpers must actually change bodies, or the properties
    // above would only ever see the intact corpus.
    let body = br#"{"a":{"b":1,"c":[1,2]},"d":"x"}"#;
    let deleted = mutate(body, &[Mutation::DeleteField(0)]);
    assert_ne!(deleted, body.to_vec());
    let replaced = mutate(body, &[Mutation::ReplaceValue(usize::MAX, Value::Null)]);
    assert_ne!(replaced, body.to_vec());
    let cut = mutate(body, &[Mutation::Truncate(17)]);
    assert!(cut.len() < body.len());
    let flipped = mutate(body, &[Mutation::FlipBit(0, 0)]);
    assert_ne!(flipped, body.to_vec());
}
