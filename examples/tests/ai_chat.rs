//! Runs the `ai_chat` example as a user would, with typed lines on stdin and
//! no Ollama (a closed port), so the scripted model answers.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn terminal_chat_keyword_ai_handoff_and_hand_back() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ai_chat"))
        // Port 9 (discard) is closed here: the example falls back to its script.
        .env("OLLAMA_URL", "http://127.0.0.1:9")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ai_chat starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            "berapa harga kopi susu?\nada promo?\nsaya mau komplain, pesanan lama\nhalo?\n/balik\nkapan buka?\n"
                .as_bytes(),
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("AI by scripted model"), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let after = |prompt: &str| -> Vec<&str> {
        let i = lines
            .iter()
            .position(|l| *l == format!("> {prompt}"))
            .unwrap_or_else(|| panic!("no `> {prompt}` in\n{stdout}"));
        lines[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("> "))
            .copied()
            .collect()
    };
    // Keyword rules answer first; the AI is not asked.
    let price = after("berapa harga kopi susu?");
    assert_eq!(price.len(), 1, "{price:?}");
    assert!(price[0].starts_with("bot [harga]: "), "{price:?}");
    assert!(price[0].contains("kopi susu Rp18.000"), "{price:?}");
    // The AI answers the rest.
    let promo = after("ada promo?");
    assert!(
        promo[0].starts_with("bot [ai-reply:question]: Ada Kak! Beli 2 kopi susu"),
        "{promo:?}"
    );
    // Asking for a human / complaining hands the chat over, then silence.
    let complaint = after("saya mau komplain, pesanan lama");
    assert!(
        complaint
            .iter()
            .any(|l| l.starts_with("[handed to a human")),
        "{complaint:?}"
    );
    assert_eq!(
        after("halo?"),
        [
            "[a human owns this chat: the bot stays quiet]",
            "[the bot answers again]"
        ]
    );
    // Handed back: the bot answers again.
    let hours = after("kapan buka?");
    assert!(hours.iter().any(|l| l.contains("08.00-22.00")), "{hours:?}");
}
