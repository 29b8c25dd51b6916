#![doc = include_str!("../README.md")]

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching: lowercase, accents removed (`é` -> `e`), runs of
/// whitespace collapsed into one space, trimmed.
///
/// ```
/// assert_eq!(pesan_template::fold("  Café   CRÈME "), "cafe creme");
/// ```
#[must_use]
pub fn fold(input: &str) -> String {
    if input.is_ascii() {
        // Most messages: nothing to decompose and no marks to drop, so the
        // Unicode tables are not touched; and when their only whitespace is
        // single spaces between words, folding is lowercasing.
        let b = input.as_bytes();
        let plain_spaces = b.first() != Some(&b' ')
            && b.last() != Some(&b' ')
            && !b.windows(2).any(|w| w == b"  ")
            && !b.iter().any(|&c| c != b' ' && (c as char).is_whitespace());
        if plain_spaces {
            return input.to_ascii_lowercase();
        }
        fold_chars(input.chars(), input.len())
    } else {
        fold_chars(input.nfd().filter(|c| !is_combining_mark(*c)), input.len())
    }
}

/// Lowercases `chars` and collapses and trims their whitespace.
fn fold_chars(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut pending_space = false;
    for c in chars {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Removes accents (combining marks after canonical decomposition) and
/// nothing else: case, whitespace and ASCII punctuation stay as they are,
/// so it is safe on regular-expression source (`\S` stays `\S`).
///
/// ```
/// assert_eq!(pesan_template::strip_accents(r"^Résí\s+\S"), r"^Resi\s+\S");
/// ```
#[must_use]
pub fn strip_accents(input: &str) -> String {
    if input.is_ascii() {
        return input.to_owned();
    }
    input.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// Folds only the case (lowercase) and whitespace, keeping accents.
#[must_use]
pub fn fold_case(input: &str) -> String {
    input
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A source of variable values for [`Template::render`].
pub trait Vars {
    /// The value of `name`, or `None` when it has none.
    fn get(&self, name: &str) -> Option<Cow<'_, str>>;
}

impl<K: std::borrow::Borrow<str> + std::hash::Hash + Eq, V: AsRef<str>, S: std::hash::BuildHasher>
    Vars for HashMap<K, V, S>
{
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        HashMap::get(self, name).map(|v| Cow::Borrowed(v.as_ref()))
    }
}

impl<K: std::borrow::Borrow<str> + Ord, V: AsRef<str>> Vars for BTreeMap<K, V> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        BTreeMap::get(self, name).map(|v| Cow::Borrowed(v.as_ref()))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Vars for [(K, V)] {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        self.iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| Cow::Borrowed(v.as_ref()))
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Vars for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        Vars::get(self.as_slice(), name)
    }
}

impl<T: Vars + ?Sized> Vars for &T {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        (**self).get(name)
    }
}

/// Variables where a name without a value renders as empty text instead of
/// failing with [`TemplateErrorKind::MissingVariable`]: what a customer-facing
/// reply wants when a contact lacks a custom field (`{kota}`), since a reply
/// with a gap beats no reply at all.
///
/// ```
/// use pesan_template::{OrEmpty, render};
///
/// let vars = [("name", "Budi")];
/// assert!(render("Halo {name} dari {kota}", &vars[..], 1).is_err());
/// assert_eq!(render("Halo {name} dari {kota}", &OrEmpty(&vars[..]), 1).unwrap(), "Halo Budi dari ");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OrEmpty<V>(pub V);

impl<V: Vars> Vars for OrEmpty<V> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        Some(self.0.get(name).unwrap_or(Cow::Borrowed("")))
    }
}

/// A place in a template: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What is wrong with a template.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateErrorKind {
    /// A `{` without its `}`.
    Unclosed,
    /// A `}` without a `{` (write `}}` for a literal one).
    UnexpectedClose,
    /// `{}`: nothing between the braces.
    Empty,
    /// `{...}` without `|` whose content is not a variable name.
    BadVariableName(String),
    /// Groups nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A variable that has no value when rendering.
    MissingVariable(String),
}

/// How deeply spintax groups may nest.
pub const MAX_DEPTH: usize = 16;

/// A template that cannot be parsed or rendered, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong.
    pub kind: TemplateErrorKind,
    /// Where in the template.
    pub position: Position,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template error at {}: ", self.position)?;
        match &self.kind {
            TemplateErrorKind::Unclosed => f.write_str("`{` is never closed"),
            TemplateErrorKind::UnexpectedClose => {
                f.write_str("`}` without a matching `{` (write `}}` for a literal brace)")
            }
            TemplateErrorKind::Empty => f.write_str("`{}` is empty"),
            TemplateErrorKind::BadVariableName(n) => write!(
                f,
                "`{{{n}}}` is neither a variable name nor spintax (spintax options are separated by `|`)"
            ),
            TemplateErrorKind::TooDeep => {
                write!(f, "spintax nested deeper than {MAX_DEPTH} levels")
            }
            TemplateErrorKind::MissingVariable(n) => write!(f, "variable `{n}` has no value"),
        }
    }
}

impl std::error::Error for TemplateError {}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Var { name: String, at: Position },
    Spin(Vec<Vec<Node>>),
}

/// A parsed template; parse once, render many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// The template parser. It walks the source by bytes: the three bytes
/// that mean something (`{`, `}`, `|`) are ASCII, so every run of text
/// between them is copied in one piece, and the position is counted only
/// over those runs.
struct Parser<'a> {
    src: &'a str,
    /// Byte offset of the next unread byte.
    at: usize,
    pos: Position,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.at).copied()
    }

    /// Steps over one of the ASCII bytes `{`, `}` or `|`.
    fn step(&mut self) {
        self.at += 1;
        self.pos.column += 1;
    }

    /// The text from here to the next byte that means something at this
    /// depth (`|` separates options only inside a group), moving past it.
    fn text_run(&mut self, depth: usize) -> &'a str {
        let rest = &self.src.as_bytes()[self.at..];
        let len = run_length(rest, depth);
        for &b in &rest[..len] {
            if b == b'\n' {
                self.pos.line += 1;
                self.pos.column = 1;
            } else if b & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                self.pos.column += 1;
            }
        }
        let run = &self.src[self.at..self.at + len];
        self.at += len;
        run
    }

    fn err(kind: TemplateErrorKind, position: Position) -> TemplateError {
        TemplateError { kind, position }
    }

    /// Parses a sequence until `}` / `|` (inside a group) or the end.
    fn sequence(&mut self, depth: usize) -> Result<Vec<Node>, TemplateError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        loop {
            text.push_str(self.text_run(depth));
            match self.peek() {
                Some(b'{') => {
                    let open = self.pos;
                    self.step();
                    if self.peek() == Some(b'{') {
                        self.step();
                        text.push('{');
                        continue;
                    }
                    if !text.is_empty() {
                        nodes.push(Node::Text(std::mem::take(&mut text)));
                    }
                    nodes.push(self.group(open, depth + 1)?);
                }
                Some(b'}') if depth == 0 => {
                    let at = self.pos;
                    self.step();
                    if self.peek() == Some(b'}') {
                        self.step();
                        text.push('}');
                    } else {
                        return Err(Self::err(TemplateErrorKind::UnexpectedClose, at));
                    }
                }
                // The end, or the `}` / `|` that ends this option of a group.
                _ => break,
            }
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text));
        }
        Ok(nodes)
    }

    /// Parses a group after its `{`.
    fn group(&mut self, open: Position, depth: usize) -> Result<Node, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(Self::err(TemplateErrorKind::TooDeep, open));
        }
        let mut options = Vec::new();
        loop {
            options.push(self.sequence(depth)?);
            let closing = self.peek();
            match closing {
                Some(b'|') => self.step(),
                Some(b'}') => {
                    self.step();
                    break;
                }
                _ => return Err(Self::err(TemplateErrorKind::Unclosed, open)),
            }
        }
        if options.len() > 1 {
            return Ok(Node::Spin(options));
        }
        let only = options.pop().unwrap_or_default();
        match only.as_slice() {
            [] => Err(Self::err(TemplateErrorKind::Empty, open)),
            [Node::Text(name)] if is_variable_name(name) => Ok(Node::Var {
                name: name.clone(),
                at: open,
            }),
            _ => Err(Self::err(
                TemplateErrorKind::BadVariableName(flatten(&only)),
                open,
            )),
        }
    }
}

/// The length of the text at the start of `rest`: up to the first `{` or
/// `}`, or `|` inside a group (`depth > 0`), the bytes that mean something.
#[inline]
fn run_length(rest: &[u8], depth: usize) -> usize {
    rest.iter()
        .position(|&b| b == b'{' || b == b'}' || (b == b'|' && depth > 0))
        .unwrap_or(rest.len())
}

fn flatten(nodes: &[Node]) -> String {
    let mut s = String::new();
    for n in nodes {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::Var { name, .. } => {
                s.push('{');
                s.push_str(name);
                s.push('}');
            }
            Node::Spin(opts) => {
                s.push('{');
                let parts: Vec<String> = opts.iter().map(|o| flatten(o)).collect();
                s.push_str(&parts.join("|"));
                s.push('}');
            }
        }
    }
    s
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl Template {
    /// Parses `source`; the error says where the template is broken.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut p = Parser {
            src: source,
            at: 0,
            pos: Position { line: 1, column: 1 },
        };
        let nodes = p.sequence(0)?;
        Ok(Self { nodes })
    }

    /// The variable names the template uses, in order of first use.
    #[must_use]
    pub fn variables(&self) -> Vec<&str> {
        fn walk<'a>(nodes: &'a [Node], out: &mut Vec<&'a str>) {
            for n in nodes {
                match n {
                    Node::Text(_) => {}
                    Node::Var { name, .. } => {
                        if !out.contains(&name.as_str()) {
                            out.push(name);
                        }
                    }
                    Node::Spin(opts) => opts.iter().for_each(|o| walk(o, out)),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.nodes, &mut out);
        out
    }

    /// Renders with `vars`; spintax choices come from `seed`, so the same
    /// seed always gives the same text. A variable without a value is an error.
    pub fn render(&self, vars: &(impl Vars + ?Sized), seed: u64) -> Result<String, TemplateError> {
        let mut rng = SplitMix64::new(seed);
        let mut out = String::new();
        render_nodes(&self.nodes, vars, &mut rng, &mut out)?;
        Ok(out)
    }
}

fn render_nodes(
    nodes: &[Node],
    vars: &(impl Vars + ?Sized),
    rng: &mut SplitMix64,
    out: &mut String,
) -> Result<(), TemplateError> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Var { name, at } => match vars.get(name) {
                Some(v) => out.push_str(&v),
                None => {
                    return Err(TemplateError {
                        kind: TemplateErrorKind::MissingVariable(name.clone()),
                        position: *at,
                    });
                }
            },
            Node::Spin(opts) => {
                // `opts` is never empty: a group has at least one option.
                let i = rng.below(opts.len() as u64) as usize;
                if let Some(o) = opts.get(i) {
                    render_nodes(o, vars, rng, out)?;
                }
            }
        }
    }
    Ok(())
}

/// Parses and renders in one step: the same text as
/// `Template::parse(source)?.render(vars, seed)` (and the same error), but
/// without building the template, so a template used once (a plugin's
/// reply, rendered once per event) costs a walk over its source and the
/// output string.
pub fn render(
    source: &str,
    vars: &(impl Vars + ?Sized),
    seed: u64,
) -> Result<String, TemplateError> {
    // Broken templates (and missing variables) are rare: the parser and
    // the tree's renderer say what and where.
    walk_render(source, vars, seed).or_else(|Broken| Template::parse(source)?.render(vars, seed))
}

/// [`render`] by walking the source alone; `Err` for a broken template or
/// a variable without a value.
fn walk_render(source: &str, vars: &(impl Vars + ?Sized), seed: u64) -> Result<String, Broken> {
    let mut out = String::with_capacity(source.len() + 16);
    let mut walk = Walk { src: source, at: 0 };
    let mut emit = Emit {
        out: &mut out,
        vars,
        rng: SplitMix64::new(seed),
    };
    walk.sequence(0, Some(&mut emit))?;
    Ok(out)
}

/// A template problem found by [`Walk`]; the parser then reports it.
struct Broken;

/// Where [`Walk`] writes the chosen text.
struct Emit<'o, V: ?Sized> {
    out: &'o mut String,
    vars: &'o V,
    rng: SplitMix64,
}

/// Walks a template's source by the grammar of [`Parser`] and writes the
/// rendered text (or, without an [`Emit`], only checks the part it skips).
/// Spintax choices are drawn in the order the parsed template draws them:
/// each group on the rendered path, in text order, after its options are
/// counted.
struct Walk<'a> {
    src: &'a str,
    /// A byte offset; it only ever stops at the ASCII bytes `{`, `}`, `|`
    /// or the end, so it is always on a character boundary.
    at: usize,
}

impl<'a> Walk<'a> {
    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.at).copied()
    }

    /// The text up to the next `{` or `}` (or `|` inside a group).
    fn text_run(&mut self, depth: usize) -> &'a str {
        let rest = &self.src.as_bytes()[self.at..];
        let len = run_length(rest, depth);
        let run = self.src.get(self.at..self.at + len).unwrap_or_default();
        self.at += len;
        run
    }

    fn sequence<V: Vars + ?Sized>(
        &mut self,
        depth: usize,
        mut emit: Option<&mut Emit<'_, V>>,
    ) -> Result<(), Broken> {
        loop {
            let run = self.text_run(depth);
            if let Some(e) = emit.as_deref_mut() {
                e.out.push_str(run);
            }
            match self.peek() {
                Some(b'{') => {
                    self.at += 1;
                    if self.peek() == Some(b'{') {
                        self.at += 1;
                        if let Some(e) = emit.as_deref_mut() {
                            e.out.push('{');
                        }
                        continue;
                    }
                    self.group(depth + 1, emit.as_deref_mut())?;
                }
                Some(b'}') if depth == 0 => {
                    self.at += 1;
                    if self.peek() != Some(b'}') {
                        return Err(Broken);
                    }
                    self.at += 1;
                    if let Some(e) = emit.as_deref_mut() {
                        e.out.push('}');
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// Skips one option of a group and the `|` or `}` after it; `true`
    /// when that was the group's `}`.
    fn skip_option(&mut self, depth: usize) -> Result<bool, Broken> {
        self.sequence::<HashMap<String, String>>(depth, None)?;
        match self.peek() {
            Some(b'|') => {
                self.at += 1;
                Ok(false)
            }
            Some(b'}') => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(Broken),
        }
    }

    /// A group, after its `{`.
    fn group<V: Vars + ?Sized>(
        &mut self,
        depth: usize,
        emit: Option<&mut Emit<'_, V>>,
    ) -> Result<(), Broken> {
        if depth > MAX_DEPTH {
            return Err(Broken);
        }
        let first = self.at;
        let mut options = 1u64;
        while !self.skip_option(depth)? {
            options += 1;
        }
        let end = self.at;
        // Between the `{` and the `}`: both ASCII, so on boundaries.
        let inside = self.src.get(first..end - 1).unwrap_or_default();
        let Some(e) = emit else {
            // Checking only: a single option must be a variable name.
            return if options > 1 || is_variable_name(inside) {
                Ok(())
            } else {
                Err(Broken)
            };
        };
        if options == 1 {
            let name = inside;
            if !is_variable_name(name) {
                return Err(Broken);
            }
            let value = e.vars.get(name).ok_or(Broken)?;
            e.out.push_str(&value);
            return Ok(());
        }
        let chosen = e.rng.below(options);
        self.at = first;
        for _ in 0..chosen {
            self.skip_option(depth)?;
        }
        self.sequence(depth, Some(e))?;
        self.at = end;
        Ok(())
    }
}

/// A small deterministic pseudo-random generator (SplitMix64) used for
/// spintax choices. Not for anything secret.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is `0`).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for picking spintax options.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// A stable 64-bit hash (FNV-1a) of some strings, for deriving seeds from
/// ids (e.g. a message id) so rendering is reproducible.
#[must_use]
pub fn seed_from(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn vars() -> HashMap<&'static str, &'static str> {
        HashMap::from([("name", "Siti"), ("phone", "+628123"), ("kota", "Bandung")])
    }

    #[test]
    fn folds_case_accents_and_spaces() {
        assert_eq!(fold("ÀPA  Kabar\tÉmile"), "apa kabar emile");
        assert_eq!(fold("  "), "");
        assert_eq!(fold_case(" Café  OK "), "café ok");
    }

    #[test]
    fn ascii_text_folds_as_the_unicode_path_would() {
        // Vertical tab included: `char::is_whitespace` counts it,
        // `u8::is_ascii_whitespace` does not.
        for ascii in [
            "  Harga\x0bKAOS\r\n berapa? ",
            "ONGKIR_ke-Solo",
            "",
            " \t ",
            " ",
            "Harga  kaos",
            "Harga kaos",
            "harga kaos ",
            " Harga",
            "a\tb",
            "A\x0cB C",
        ] {
            let unicode = fold_chars(ascii.nfd().filter(|c| !is_combining_mark(*c)), 0);
            assert_eq!(fold(ascii), unicode, "{ascii:?}");
        }
    }

    #[test]
    fn variables_and_literals() {
        let t = Template::parse("Halo {name} ({phone}) {{ok}} dari {kota}").unwrap();
        assert_eq!(t.variables(), vec!["name", "phone", "kota"]);
        assert_eq!(
            t.render(&vars(), 0).unwrap(),
            "Halo Siti (+628123) {ok} dari Bandung"
        );
    }

    #[test]
    fn nested_spintax_covers_every_option_and_is_seeded() {
        let t = Template::parse("{Halo|Hai|{Selamat pagi|Pagi}} {name}").unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let a = t.render(&vars(), seed).unwrap();
            assert_eq!(a, t.render(&vars(), seed).unwrap());
            seen.insert(a);
        }
        let want: std::collections::BTreeSet<String> =
            ["Halo Siti", "Hai Siti", "Selamat pagi Siti", "Pagi Siti"]
                .into_iter()
                .map(String::from)
                .collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn empty_option_allowed() {
        let t = Template::parse("{Kak |}{name}").unwrap();
        let all: std::collections::BTreeSet<_> =
            (0..50).map(|s| t.render(&vars(), s).unwrap()).collect();
        assert_eq!(all.len(), 2);
        assert!(all.contains("Siti") && all.contains("Kak Siti"));
    }

    #[test]
    fn errors_say_where() {
        let e = Template::parse("ab\ncd {Halo|Hai").unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Unclosed);
        assert_eq!(e.position, Position { line: 2, column: 4 });
        let e = Template::parse("a } b").unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::UnexpectedClose);
        assert_eq!(e.position.column, 3);
        let e = Template::parse("x {}").unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::Empty);
        let e = Template::parse("{halo kak}").unwrap_err();
        assert!(matches!(e.kind, TemplateErrorKind::BadVariableName(ref n) if n == "halo kak"));
        let e = Template::parse("Hi {nama}")
            .unwrap()
            .render(&vars(), 1)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "template error at line 1, column 4: variable `nama` has no value"
        );
        let deep = "{a|".repeat(20) + &"}".repeat(20);
        assert_eq!(
            Template::parse(&deep).unwrap_err().kind,
            TemplateErrorKind::TooDeep
        );
    }

    #[test]
    fn literal_runs_keep_pipes_escapes_and_characters() {
        // `|` is text outside a group; `{{` is a literal inside one, and a
        // run of multi-byte text stays whole.
        let t = Template::parse("Harga | ongkir {a {{b|c} — çà {name}").unwrap();
        let outs: std::collections::BTreeSet<_> =
            (0..50).map(|s| t.render(&vars(), s).unwrap()).collect();
        let want: std::collections::BTreeSet<String> = [
            "Harga | ongkir a {b — çà Siti",
            "Harga | ongkir c — çà Siti",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(outs, want);
        // Columns count characters, not bytes, and restart on each line.
        let e = Template::parse("ÀÉ\nçà — } x").unwrap_err();
        assert_eq!(e.kind, TemplateErrorKind::UnexpectedClose);
        assert_eq!(e.position, Position { line: 2, column: 6 });
        let e = Template::parse("Halo 😀 {nama lengkap}").unwrap_err();
        assert_eq!(e.position, Position { line: 1, column: 8 });
    }

    #[test]
    fn or_empty_renders_missing_variables_as_empty_text() {
        let t = Template::parse("{Halo|Hai} {name} dari {kota}{negara}.").unwrap();
        let bare = HashMap::from([("name", "Siti")]);
        assert!(matches!(
            t.render(&bare, 1).unwrap_err().kind,
            TemplateErrorKind::MissingVariable(ref n) if n == "kota"
        ));
        let out = t.render(&OrEmpty(&bare), 1).unwrap();
        assert!(out.ends_with(" Siti dari ."), "{out}");
        // Present values still win.
        assert!(
            t.render(&OrEmpty(&vars()), 1)
                .unwrap()
                .ends_with("dari Bandung.")
        );
    }

    #[test]
    fn rendering_from_source_equals_parse_then_render() {
        // Random templates over the bytes that mean something, letters
        // that form variable names, and multi-byte text; broken ones too.
        let pieces = [
            "{", "}", "|", "{{", "}}", "a", "b", "name", "kota", " ", "\n", "é", "😀", "x.y",
        ];
        let vars = HashMap::from([("name", "Siti"), ("a", "A"), ("x.y", "XY"), ("b", "")]);
        let mut rng = SplitMix64::new(9);
        let (mut ok, mut broken) = (0, 0);
        for case in 0..200_000u64 {
            let len = rng.below(14) as usize;
            let src: String = (0..len)
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            let want = Template::parse(&src).and_then(|t| t.render(&vars, case));
            let got = render(&src, &vars, case);
            assert_eq!(got, want, "{src:?} seed {case}");
            let want_or_empty = Template::parse(&src).and_then(|t| t.render(&OrEmpty(&vars), case));
            assert_eq!(
                render(&src, &OrEmpty(&vars), case),
                want_or_empty,
                "{src:?} seed {case}"
            );
            // A template that parses is rendered by the walk itself, not by
            // the fallback to the parser.
            if let Ok(text) = &want_or_empty {
                let walked = walk_render(&src, &OrEmpty(&vars), case).ok();
                assert_eq!(walked.as_ref(), Some(text), "{src:?} seed {case}");
            }
            if want.is_ok() { ok += 1 } else { broken += 1 }
        }
        // Both kinds were exercised.
        assert!(ok > 20_000 && broken > 20_000, "{ok} {broken}");
    }

    #[test]
    fn strip_accents_keeps_everything_else() {
        assert_eq!(strip_accents("Café \\S+ CRÈME"), "Cafe \\S+ CREME");
        assert_eq!(strip_accents("plain"), "plain");
    }

    #[test]
    fn seeds_from_ids_are_stable() {
        assert_eq!(seed_from(&["a", "b"]), seed_from(&["a", "b"]));
        assert_ne!(seed_from(&["ab"]), seed_from(&["a", "b"]));
        let mut r = SplitMix64::new(7);
        assert!((0..1000).all(|_| r.below(3) < 3));
    }
}
