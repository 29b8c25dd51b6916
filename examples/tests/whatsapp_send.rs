//! `whatsapp_send` answers `--help` with its usage instead of reading it
//! as a phone number, and refuses unknown options.
#![allow(clippy::unwrap_used, missing_docs)]

use std::process::Command;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_whatsapp_send"))
        .args(args)
        // Never reach a real provider from a test.
        .env_remove("WHATSAPP_PROVIDER")
        .output()
        .unwrap()
}

#[test]
fn help_prints_usage_and_sends_nothing() {
    for flag in ["--help", "-h"] {
        let out = run(&[flag]);
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            stdout.starts_with("usage: whatsapp_send [PHONE] [TEXT]"),
            "{stdout}"
        );
        assert!(stdout.contains("WHATSAPP_PROVIDER=cloud"), "{stdout}");
        assert!(!stdout.contains("sending via"), "{stdout}");
    }
}

#[test]
fn an_unknown_option_is_an_error_not_a_number() {
    let out = run(&["--to", "0812-3456-7890"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("unknown option \"--to\"\n\nusage: whatsapp_send"),
        "{stderr}"
    );
    assert!(!stderr.contains("invalid number"), "{stderr}");
}

#[test]
fn without_a_provider_it_sends_to_a_local_fake() {
    let out = run(&["0812-3456-7890", "halo"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("sending via cloud_api to +6281234567890"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sent, message id Some(\"wamid.FAKE-1\")"),
        "{stdout}"
    );
}
