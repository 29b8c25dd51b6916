//! Bounded fuzzing on the stable toolchain: the notification parsers get
//! arbitrary bytes and damaged real notifications (the peer corpus with
//! bits flipped, bytes cut off or spliced in, fields deleted or given
//! another type). They must never panic and must answer with a typed
//! error or a notification whose checks (signature, amount, state) do not
//! panic either. The case counts keep each test to a few seconds;
//! `PROPTEST_CASES` raises them for a longer local run.

use std::sync::LazyLock;

use midtrans_client::{Error, IncomingNotification, Notification, SignatureError};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use crate::corpus::payloads;

static CORPUS: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| payloads().into_iter().map(|(_, b)| b).collect());

/// One way of damaging a body.
#[derive(Debug, Clone)]
enum Mutation {
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

fn arb_leaf() -> impl Strategy<Value = Value> {
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

fn arb_mutation() -> impl Strategy<Value = Mutation> {
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
fn mutate(body: &[u8], mutations: &[Mutation]) -> Vec<u8> {
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

/// Whatever the parsers make of `body`, nothing panics and errors are typed.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    let is_json = serde_json::from_slice::<Value>(body).is_ok();
    match Notification::from_slice(body) {
        Ok(n) => {
            prop_assert!(
                is_json,
                "accepted a body that is not JSON: {:?}",
                String::from_utf8_lossy(body)
            );
            check_notification(&n)?;
        }
        Err(Error::InvalidNotification(e)) => {
            // Valid JSON fails only for its content; a damaged body may be
            // reported for whatever the streaming decoder met first.
            if is_json {
                prop_assert!(e.is_data(), "{}", e);
            }
        }
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    match IncomingNotification::from_slice(body) {
        Ok(IncomingNotification::Transaction(n)) => check_notification(&n)?,
        Ok(IncomingNotification::Subscription(s)) => {
            let _shown = format!("{s:?}");
        }
        Ok(other) => prop_assert!(false, "unexpected {other:?}"),
        Err(Error::InvalidNotification(_)) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

fn check_notification(n: &Notification) -> Result<(), TestCaseError> {
    let _ = n.gross_amount_idr();
    let _ = n.payment_state();
    match n.verify_signature("fuzz-server-key") {
        // Only a digest made with this key could match.
        Ok(()) => prop_assert!(false, "a damaged body verified: {n:?}"),
        Err(SignatureError::Missing) => {
            prop_assert!(
                n.signature_key
                    .as_deref()
                    .is_none_or(|s| s.trim().is_empty())
            );
        }
        Err(_) => {}
    }
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
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
        check(&body)?;
    }

    #[test]
    fn damaged_notifications_never_panic(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..5),
    ) {
        let body = mutate(&CORPUS[which.index(CORPUS.len())], &mutations);
        check(&body)?;
    }

    #[test]
    fn signed_damaged_notifications_verify_only_when_the_signed_fields_survive(
        which in any::<Index>(),
        mutations in prop::collection::vec(arb_mutation(), 1..4),
    ) {
        // Re-sign a corpus notification with a test key, damage it, and
        // check that it verifies exactly when the three signed strings and
        // the signature came through unchanged.
        let Ok(original) = Notification::from_slice(&CORPUS[which.index(CORPUS.len())]) else {
            return Ok(());
        };
        let mut value: Value = serde_json::from_slice(&CORPUS[which.index(CORPUS.len())]).unwrap();
        let signature =
            Notification::sign(&original.order_id, &original.status_code, &original.gross_amount, "k");
        value["signature_key"] = Value::from(signature.clone());
        let body = mutate(&serde_json::to_vec(&value).unwrap(), &mutations);
        if let Ok(n) = Notification::from_slice(&body) {
            let intact = n.order_id == original.order_id
                && n.status_code == original.status_code
                && n.gross_amount == original.gross_amount
                && n.signature_key.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(&signature));
            prop_assert_eq!(n.verify_signature("k").is_ok(), intact);
        }
    }
}

#[test]
fn mutations_do_damage_the_payloads() {
    let body = br#"{"a":{"b":1,"c":[1,2]},"d":"x"}"#;
    assert_ne!(mutate(body, &[Mutation::DeleteField(0)]), body.to_vec());
    assert_ne!(
        mutate(body, &[Mutation::ReplaceValue(usize::MAX, Value::Null)]),
        body.to_vec()
    );
    assert!(mutate(body, &[Mutation::Truncate(17)]).len() < body.len());
}
