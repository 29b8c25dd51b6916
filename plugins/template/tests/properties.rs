//! Property tests: rendering from source agrees with parse + render,
//! escapes, spintax choices, error positions and folding.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;

use pesan_template::{OrEmpty, Template, TemplateErrorKind, fold, render, strip_accents};
use proptest::prelude::*;

fn vars() -> HashMap<&'static str, &'static str> {
    HashMap::from([("name", "Siti"), ("a", "A"), ("x.y", "XY"), ("b", "")])
}

/// Template sources built from the pieces that mean something, names and
/// multi-byte text: mostly broken, many valid.
fn source() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "{", "}", "|", "{{", "}}", "a", "b", "name", "kota", " ", "\n", "é", "😀", "x.y", "{a}",
        "{name}", "{a|b}",
    ]);
    prop::collection::vec(piece, 0..24).prop_map(|p| p.concat())
}

/// Text without braces or pipes, for spintax options.
fn plain() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 .,!éç😀\n-]{0,12}"
}

proptest! {
    #[test]
    fn render_from_source_equals_parse_then_render(src in source(), seed in any::<u64>()) {
        let v = vars();
        let want = Template::parse(&src).and_then(|t| t.render(&v, seed));
        prop_assert_eq!(render(&src, &v, seed), want);
        let want = Template::parse(&src).and_then(|t| t.render(&OrEmpty(&v), seed));
        prop_assert_eq!(render(&src, &OrEmpty(&v), seed), want);
    }

    #[test]
    fn escaped_text_renders_as_itself(text in any::<String>(), seed in any::<u64>()) {
        let escaped = text.replace('{', "{{").replace('}', "}}");
        let t = Template::parse(&escaped).unwrap();
        prop_assert!(t.variables().is_empty());
        prop_assert_eq!(t.render(&vars(), seed).unwrap(), text.clone());
        prop_assert_eq!(render(&escaped, &vars(), seed).unwrap(), text);
    }

    #[test]
    fn spintax_picks_one_option_the_same_for_a_seed(
        options in prop::collection::vec(plain(), 2..6),
        seed in any::<u64>(),
    ) {
        let src = format!("{{{}}}", options.join("|"));
        let out = render(&src, &vars(), seed).unwrap();
        prop_assert!(options.contains(&out), "{out:?} not in {options:?}");
        prop_assert_eq!(render(&src, &vars(), seed).unwrap(), out);
    }

    #[test]
    fn errors_point_inside_the_template(src in source(), seed in any::<u64>()) {
        let Err(err) = Template::parse(&src).and_then(|t| t.render(&vars(), seed)) else {
            return Ok(());
        };
        let line = src.split('\n').nth(err.position.line as usize - 1);
        prop_assert!(line.is_some(), "{err} in {src:?}");
        let columns = line.unwrap_or_default().chars().count() as u32;
        prop_assert!(err.position.column >= 1 && err.position.column <= columns, "{err} in {src:?}");
        // Every error but a missing variable starts at a brace.
        let at = line.unwrap_or_default().chars().nth(err.position.column as usize - 1);
        match err.kind {
            TemplateErrorKind::UnexpectedClose => prop_assert_eq!(at, Some('}')),
            _ => prop_assert_eq!(at, Some('{')),
        }
    }

    #[test]
    fn folding_is_idempotent_and_normalises_spaces(text in any::<String>()) {
        let once = fold(&text);
        prop_assert_eq!(fold(&once), once.clone());
        prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        prop_assert!(once.chars().all(|c| c == ' ' || !c.is_whitespace()));
        prop_assert_eq!(strip_accents(&strip_accents(&text)), strip_accents(&text));
    }
}
