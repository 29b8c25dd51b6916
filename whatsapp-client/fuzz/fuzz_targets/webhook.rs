//! Fuzz the webhook parsers and the signature check with arbitrary bodies.
//!
//! Run with `cargo +nightly fuzz run webhook` from `whatsapp-client/`;
//! seed it with `mkdir -p fuzz/corpus/webhook && cp tests/fixtures/*.json fuzz/corpus/webhook/`
//! (and the peer corpus, `../shared/peer-corpus/{whatsapp,fonnte}`).
//! CI runs the bounded, stable-toolchain equivalent instead:
//! `tests/integration/fuzz.rs` (proptest over arbitrary and damaged bodies).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp_client::webhook::{Event, parse_cloud, parse_fonnte, sign, verify_signature};

fuzz_target!(|data: &[u8]| {
    // Parsers must never panic; whatever they accept must carry usable ids.
    if let Ok(events) = parse_cloud(data) {
        for e in &events {
            match e {
                Event::Message(m) => {
                    assert!(!m.id.is_empty());
                    assert!(m.from.e164().starts_with('+'));
                }
                Event::UserIdMessage(m) => {
                    assert!(!m.id.is_empty());
                    assert!(!m.from.as_str().trim().is_empty());
                }
                _ => {}
            }
            let _ = e.dedup_key();
        }
    }
    if let Ok(Event::Message(m)) = parse_fonnte(data) {
        assert!(!m.id.is_empty());
    }
    // A body always verifies against its own signature, and the header
    // parser never panics on arbitrary text.
    let header = sign(b"fuzz-secret", data);
    assert!(verify_signature(b"fuzz-secret", &header, data).is_ok());
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = verify_signature(b"fuzz-secret", text, b"{}");
    }
});
