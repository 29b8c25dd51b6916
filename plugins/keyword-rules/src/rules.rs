//! The rule engine, independent of the WIT bindings so it also runs natively
//! (tests, and the native handler in bot-core's benchmark).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use pesan_template::{self as text, OrEmpty, Template, TemplateError, Vars};
use regex::{Regex, RegexBuilder};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How a rule's keywords are compared with the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// The whole message equals the keyword.
    Exact,
    /// The message contains the keyword anywhere.
    #[default]
    Contains,
    /// The message starts with the keyword.
    StartsWith,
    /// The keyword appears as whole words (not inside another word).
    WholeWord,
    /// The keyword is a regular expression (Rust `regex` syntax), matched
    /// case-insensitively against the folded message (so `^Resi` matches
    /// "resi 123"). With `fold_accents` the pattern's accents are removed
    /// too, as they are from the message. Unicode `\w`, `\d`, `\s` and
    /// case folding are available; script and category classes
    /// (`\p{Greek}`) are not in the plugin's build of the engine and are
    /// refused (natively they work when another crate of the build enables
    /// `regex`'s Unicode tables).
    Regex,
}

/// When a rule may fire with respect to business hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Hours {
    /// Any time (default).
    #[default]
    Any,
    /// Only while open.
    Open,
    /// Only while closed (outside the windows, or on a holiday).
    Closed,
}

/// Conditions a rule needs besides its keywords. All given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    /// The contact has at least one of these tags (empty: no condition).
    pub tags_any: Vec<String>,
    /// The contact has none of these tags.
    pub tags_none: Vec<String>,
    /// The conversation state equals this value (`""` means "no state").
    pub state: Option<String>,
    /// Business-hours condition.
    pub hours: Hours,
}

/// One keyword rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Rule id, reported as what matched (for analytics).
    pub id: String,
    /// Keywords; any of them may match.
    pub keywords: Vec<String>,
    /// How keywords are compared (default `contains`).
    #[serde(default, rename = "match")]
    pub match_kind: MatchKind,
    /// Higher priority rules are tried first; ties keep the listed order.
    #[serde(default)]
    pub priority: i32,
    /// The reply template: variables `{name}` (`Kak` when the contact has no
    /// name), `{phone}`, custom fields (empty text when the contact lacks
    /// the field), and spintax `{Halo|Hai}` (nested allowed).
    pub reply: String,
    /// Extra conditions.
    #[serde(default)]
    pub when: Conditions,
    /// Set the conversation state to this value (`""` clears it).
    #[serde(default)]
    pub set_state: Option<String>,
    /// Tags to add to the contact.
    #[serde(default)]
    pub add_tags: Vec<String>,
    /// Hand the conversation to a human after replying.
    #[serde(default)]
    pub handoff: bool,
}

/// A `HH:MM-HH:MM` opening window (end exclusive; `24:00` allowed as end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Window(
    /// `HH:MM-HH:MM`, e.g. `08:00-17:00`.
    #[schemars(regex(pattern = r"^\d{2}:\d{2}-\d{2}:\d{2}$"))]
    pub String,
);

/// Opening hours in the vendor's time zone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BusinessHours {
    /// Windows per day; keys `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`.
    /// A missing day is closed all day.
    pub days: BTreeMap<Day, Vec<Window>>,
    /// Closed days, as `YYYY-MM-DD`.
    pub holidays: Vec<String>,
    /// Sent when a message arrives while closed, at most once per day per
    /// contact (a template, like rule replies).
    pub out_of_hours_reply: Option<String>,
}

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// The plugin's configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Reply when no rule matches (none: stay silent).
    #[serde(default)]
    pub default_reply: Option<String>,
    /// Opening hours; without them the vendor is always open.
    #[serde(default)]
    pub business_hours: Option<BusinessHours>,
    /// Fold accents as well as case (default true): `café` matches `cafe`.
    #[serde(default = "yes")]
    pub fold_accents: bool,
    /// When set, spintax is rendered from this seed (same seed, same text);
    /// otherwise from the message id.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Stop the plugins after this one when a rule matched (default true).
    #[serde(default = "yes")]
    pub stop_on_match: bool,
    /// What `{name}` says when the contact has no name (default `Kak`, the
    /// Indonesian form of address; e.g. `there` for English replies).
    #[serde(default)]
    #[schemars(length(max = 40))]
    pub name_fallback: Option<String>,
}

fn yes() -> bool {
    true
}

/// Why a configuration cannot be used. Each variant names the field as a
/// JSON pointer into the configuration (`/rules/2/reply`), like the host's
/// schema errors.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// A reply template is broken.
    Template {
        /// Where (`/rules/2/reply`, `/default_reply` ...).
        field: String,
        /// What is wrong and where in the template.
        error: TemplateError,
    },
    /// A regex keyword does not compile.
    Regex {
        /// Where.
        field: String,
        /// The regex error.
        error: String,
    },
    /// A window or a holiday is malformed.
    Hours {
        /// Where.
        field: String,
        /// The bad value.
        value: String,
    },
    /// Prepared bytes ([`Rules::prepare`]) that do not decode.
    Prepared(String),
}

impl ConfigError {
    /// The JSON pointer of the field that is wrong.
    #[must_use]
    pub fn field(&self) -> &str {
        match self {
            Self::Template { field, .. }
            | Self::Regex { field, .. }
            | Self::Hours { field, .. } => field,
            Self::Prepared(_) => "/",
        }
    }

    /// What is wrong, without the field.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Template { error, .. } => error.to_string(),
            Self::Regex { error, .. } => format!("invalid regex: {error}"),
            Self::Hours { value, .. } => format!("`{value}` is not valid"),
            Self::Prepared(e) => format!("prepared configuration unreadable: {e}"),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Template { field, error } => write!(f, "{field}: {error}"),
            Self::Regex { field, error } => write!(f, "{field}: invalid regex: {error}"),
            Self::Hours { field, value } => write!(f, "{field}: `{value}` is not valid"),
            Self::Prepared(e) => write!(f, "/: prepared configuration unreadable: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {}

enum Matcher {
    Words(Vec<String>),
    /// The rule's own keywords: prepared rules carry them folded already.
    PreparedWords,
    /// Patterns (already accent-stripped when folding accents) and their
    /// compiled form, built on first use in lazy mode.
    Regex(Vec<(String, OnceLock<Regex>)>),
}

fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        // Keyword patterns are short; refuse ones that compile to something
        // huge instead of spending a plugin's memory on them.
        .size_limit(1 << 20)
        .build()
}

/// A rule's matcher and reply: both built up front ([`Rules::new`]), or the
/// matcher when a message first reaches the rule and no parsed reply (the
/// reply is rendered from its source: [`Rules::new_lazy`],
/// [`Rules::from_prepared`]).
struct CompiledRule {
    index: usize,
    matcher: OnceLock<Matcher>,
    reply: Option<Template>,
}

fn parse_reply(rule: &Rule, index: usize) -> Result<Template, ConfigError> {
    // The field is formatted only when the template fails.
    Template::parse(&rule.reply).map_err(|error| ConfigError::Template {
        field: format!("/rules/{index}/reply"),
        error,
    })
}

fn parse_template(source: &str, field: &str) -> Result<Template, ConfigError> {
    Template::parse(source).map_err(|error| ConfigError::Template {
        field: field.to_owned(),
        error,
    })
}

const OOH_FIELD: &str = "/business_hours/out_of_hours_reply";

/// The out-of-hours reply's template source, when there is one.
fn ooh_source(config: &Config) -> Option<&str> {
    config
        .business_hours
        .as_ref()?
        .out_of_hours_reply
        .as_deref()
}

/// Builds a rule's matcher; with `eager`, regexes are compiled now (and
/// checked), otherwise on first use.
fn build_matcher(
    rule: &Rule,
    index: usize,
    fold_accents: bool,
    eager: bool,
) -> Result<Matcher, ConfigError> {
    let keywords = folded_keywords(rule, fold_accents);
    Ok(match rule.match_kind {
        MatchKind::Regex => Matcher::Regex(
            keywords
                .into_iter()
                .enumerate()
                .map(|(k, pattern)| {
                    let cell = OnceLock::new();
                    if eager {
                        let re = build_regex(&pattern).map_err(|e| ConfigError::Regex {
                            field: format!("/rules/{index}/keywords/{k}"),
                            error: e.to_string(),
                        })?;
                        let _ = cell.set(re);
                    }
                    Ok((pattern, cell))
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => Matcher::Words(keywords),
    })
}

/// The matcher of a rule from prepared bytes, whose keywords
/// [`encode_prepared`] folded (regex patterns: accents stripped) already.
fn prepared_matcher(rule: &KeywordsRef<'_>) -> Matcher {
    match rule.match_kind {
        MatchKind::Regex => Matcher::Regex(
            rule.keywords
                .iter()
                .map(|p| (p.to_owned(), OnceLock::new()))
                .collect(),
        ),
        _ => Matcher::PreparedWords,
    }
}

/// A rule's keywords as its matcher compares them: folded like messages
/// are, regex patterns only without accents (and only with `fold_accents`).
fn folded_keywords(rule: &Rule, fold_accents: bool) -> Vec<String> {
    rule.keywords
        .iter()
        .map(|k| match rule.match_kind {
            MatchKind::Regex if fold_accents => text::strip_accents(k),
            MatchKind::Regex => k.clone(),
            _ => fold(k, fold_accents),
        })
        .collect()
}

/// The value in `cell`, made by `make` the first time.
fn get_or_try<T>(
    cell: &OnceLock<T>,
    make: impl FnOnce() -> Result<T, ConfigError>,
) -> Result<&T, ConfigError> {
    if let Some(v) = cell.get() {
        return Ok(v);
    }
    let v = make()?;
    Ok(cell.get_or_init(|| v))
}

/// What the engine needs to know about one message.
pub struct Input<'a, V: Vars + ?Sized> {
    /// The message text.
    pub text: &'a str,
    /// The contact's tags.
    pub tags: &'a [String],
    /// The conversation state.
    pub state: Option<&'a str>,
    /// Variables for templates.
    pub vars: &'a V,
    /// Local time: ISO weekday 1..=7, minutes since midnight, date `YYYY-MM-DD`.
    pub weekday: u8,
    /// Minutes since local midnight.
    pub minute_of_day: u16,
    /// Local date, `YYYY-MM-DD`.
    pub date: &'a str,
    /// Seed for spintax when the configuration has none.
    pub fallback_seed: u64,
    /// Whether the out-of-hours reply was already sent to this contact today.
    pub out_of_hours_sent_today: bool,
}

/// The decision for one message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Replies: the text and what produced it (a rule id, `default` or
    /// `out-of-hours`).
    pub replies: Vec<(String, String)>,
    /// New conversation state (`Some(None)` clears it).
    pub set_state: Option<Option<String>>,
    /// Tags to add.
    pub add_tags: Vec<String>,
    /// Hand to a human (reason).
    pub handoff: Option<String>,
    /// Stop the pipeline.
    pub stop: bool,
    /// The out-of-hours reply was sent now (remember it for today).
    pub out_of_hours_sent: bool,
}

/// A compiled configuration.
pub struct Rules {
    /// The configuration; its `rules` are empty when the rules come from
    /// prepared bytes (`source`).
    config: Config,
    source: RuleSource,
    /// Sorted by priority (desc), stable.
    compiled: Vec<CompiledRule>,
    /// Parsed up front ([`Rules::new`]); lazy rules render these replies
    /// from their source.
    default_reply: Option<Template>,
    ooh_reply: Option<Template>,
    /// Per ISO weekday (index 0 = Monday), windows in minutes.
    windows: [Vec<(u16, u16)>; 7],
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    ((h < 24 && m < 60) || (h == 24 && m == 0)).then_some(h * 60 + m)
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && s[..4].parse::<u16>().is_ok()
        && matches!(s[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(s[8..].parse::<u8>(), Ok(1..=31))
}

impl Rules {
    /// Compiles `config`: templates, regexes and hours are checked here, so
    /// a broken configuration fails with the field that is wrong.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        Self::build(config, true)
    }

    /// Like [`Rules::new`], but each rule's keywords are folded and its
    /// regexes compiled when a message first reaches the rule, and replies
    /// are rendered straight from their source when sent, rather than
    /// parsed up front (the hours are still checked here). For a
    /// configuration already accepted by [`Rules::new`] (the plugin's
    /// `prepare-config`), when the rules live for one message only: rules
    /// after the first match cost nothing. A rule that turns out broken
    /// fails [`Rules::decide`].
    pub fn new_lazy(config: Config) -> Result<Self, ConfigError> {
        Self::build(config, false)
    }

    fn build(config: Config, eager: bool) -> Result<Self, ConfigError> {
        let mut compiled = Vec::with_capacity(config.rules.len());
        for i in priority_order(&config.rules) {
            let (index, rule) = (i as usize, &config.rules[i as usize]);
            let (matcher, mut reply) = (OnceLock::new(), None);
            if eager {
                reply = Some(parse_reply(rule, index)?);
                let _ = matcher.set(build_matcher(rule, index, config.fold_accents, true)?);
            }
            compiled.push(CompiledRule {
                index,
                matcher,
                reply,
            });
        }
        let (mut default_reply, mut ooh_reply) = (None, None);
        if eager {
            if let Some(t) = config.default_reply.as_deref() {
                default_reply = Some(parse_template(t, "/default_reply")?);
            }
            if let Some(t) = ooh_source(&config) {
                ooh_reply = Some(parse_template(t, OOH_FIELD)?);
            }
        }
        let windows = opening_windows(&config)?;
        Ok(Self {
            config,
            source: RuleSource::Config,
            compiled,
            default_reply,
            ooh_reply,
            windows,
        })
    }

    /// Checks `config` like [`Rules::new`] and encodes it for
    /// [`Rules::from_prepared`]: the settings, the rules' order by priority
    /// and each rule on its own, so a message decodes only the rules it
    /// reaches.
    pub fn prepare(config: Config) -> Result<Vec<u8>, ConfigError> {
        Self::new(config.clone())?;
        encode_prepared(config)
    }

    /// Rules from what [`Rules::prepare`] made, built lazily like
    /// [`Rules::new_lazy`]: a rule is read in place, without copying its
    /// text, when a message reaches it (its keywords were folded when
    /// prepared). Bytes that do not decode fail here or, for one rule's
    /// part, in [`Rules::decide`].
    pub fn from_prepared(bytes: &[u8]) -> Result<Self, ConfigError> {
        let (head, tail): (PreparedHead, &[u8]) =
            postcard::take_from_bytes(bytes).map_err(prepared_error)?;
        let n = head.ends.len();
        let mut start = 0;
        for &end in &head.ends {
            let end = end as usize;
            if end < start || end > tail.len() {
                return Err(ConfigError::Prepared("rule offsets out of range".into()));
            }
            start = end;
        }
        let mut seen = vec![false; n];
        for &i in &head.order {
            match seen.get_mut(i as usize) {
                Some(s) if !*s => *s = true,
                _ => {
                    return Err(ConfigError::Prepared(
                        "rule order is not a permutation".into(),
                    ));
                }
            }
        }
        if head.order.len() != n {
            return Err(ConfigError::Prepared(
                "rule order is not a permutation".into(),
            ));
        }
        let windows = opening_windows(&head.config)?;
        Ok(Self {
            config: head.config,
            source: RuleSource::Encoded {
                raw: tail.to_vec(),
                ends: head.ends,
            },
            compiled: head
                .order
                .iter()
                .map(|&i| CompiledRule {
                    index: i as usize,
                    matcher: OnceLock::new(),
                    reply: None,
                })
                .collect(),
            default_reply: None,
            ooh_reply: None,
            windows,
        })
    }

    /// The conditions of the rule at `index` of the configuration, and the
    /// rest of its prepared bytes (empty for configured rules). A rule from
    /// prepared bytes is read in place (its text is borrowed from them,
    /// nothing is copied), part by part and each time it is asked for: the
    /// rules live for one message, which reaches each rule at most once.
    fn conditions(&self, index: usize) -> Result<(CondRef<'_>, &[u8]), ConfigError> {
        match &self.source {
            RuleSource::Config => {
                let c = &self.config.rules[index].when;
                let view = CondRef {
                    tags_any: Texts::Config(&c.tags_any),
                    tags_none: Texts::Config(&c.tags_none),
                    state: c.state.as_deref(),
                    hours: c.hours,
                };
                Ok((view, &[]))
            }
            RuleSource::Encoded { raw, ends } => {
                // `from_prepared` checked that the ends rise within `raw`.
                let a = index.checked_sub(1).map_or(0, |i| ends[i] as usize);
                let b = ends[index] as usize;
                let (c, rest): (EncodedConditions<'_>, _) =
                    postcard::take_from_bytes(&raw[a..b]).map_err(prepared_error)?;
                let view = CondRef {
                    tags_any: Texts::Encoded(c.tags_any),
                    tags_none: Texts::Encoded(c.tags_none),
                    state: c.state,
                    hours: c.hours,
                };
                Ok((view, rest))
            }
        }
    }

    /// The keywords of the rule at `index`; `rest` is what
    /// [`Rules::conditions`] left of its prepared bytes.
    fn keywords<'s>(
        &'s self,
        index: usize,
        rest: &'s [u8],
    ) -> Result<(KeywordsRef<'s>, &'s [u8]), ConfigError> {
        match &self.source {
            RuleSource::Config => {
                let r = &self.config.rules[index];
                let view = KeywordsRef {
                    match_kind: r.match_kind,
                    keywords: Texts::Config(&r.keywords),
                };
                Ok((view, &[]))
            }
            RuleSource::Encoded { .. } => {
                let (EncodedKeywords(match_kind, keywords), rest) =
                    postcard::take_from_bytes(rest).map_err(prepared_error)?;
                let view = KeywordsRef {
                    match_kind,
                    keywords: Texts::Encoded(keywords),
                };
                Ok((view, rest))
            }
        }
    }

    /// What the rule at `index` does; `rest` is what [`Rules::keywords`]
    /// left of its prepared bytes.
    fn outcome<'s>(&'s self, index: usize, rest: &'s [u8]) -> Result<OutcomeRef<'s>, ConfigError> {
        match &self.source {
            RuleSource::Config => {
                let r = &self.config.rules[index];
                Ok(OutcomeRef {
                    id: &r.id,
                    reply: &r.reply,
                    set_state: r.set_state.as_deref(),
                    add_tags: Texts::Config(&r.add_tags),
                    handoff: r.handoff,
                })
            }
            RuleSource::Encoded { .. } => {
                let EncodedOutcome(id, reply, set_state, add_tags, handoff) =
                    postcard::from_bytes(rest).map_err(prepared_error)?;
                Ok(OutcomeRef {
                    id,
                    reply,
                    set_state,
                    add_tags: Texts::Encoded(add_tags),
                    handoff,
                })
            }
        }
    }

    /// The configuration. Rules built by [`Rules::from_prepared`] keep
    /// their rules encoded, so its `rules` list is empty there; every other
    /// setting is present.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the vendor is open at this local time.
    #[must_use]
    pub fn is_open(&self, weekday: u8, minute_of_day: u16, date: &str) -> bool {
        let Some(bh) = &self.config.business_hours else {
            return true;
        };
        if bh.holidays.iter().any(|h| h == date) {
            return false;
        }
        let Some(day) = self.windows.get(usize::from(weekday.clamp(1, 7)) - 1) else {
            return false;
        };
        day.iter().any(|&(a, b)| (a..b).contains(&minute_of_day))
    }

    fn conditions_hold<V: Vars + ?Sized>(
        &self,
        c: &CondRef<'_>,
        input: &Input<'_, V>,
        open: bool,
    ) -> bool {
        let has = |t: &str| input.tags.iter().any(|x| x.eq_ignore_ascii_case(t));
        (c.tags_any.is_empty() || c.tags_any.iter().any(has))
            && !c.tags_none.iter().any(has)
            && match c.state {
                None => true,
                Some("") => input.state.is_none_or(str::is_empty),
                Some(s) => input.state == Some(s),
            }
            && match c.hours {
                Hours::Any => true,
                Hours::Open => open,
                Hours::Closed => !open,
            }
    }

    /// Decides what to do with one message.
    ///
    /// Variables without a value (a custom field the contact lacks) render
    /// as empty text; the only error is a broken rule (a regex that does
    /// not compile, a reply that does not parse), which [`Rules::new`]
    /// would have refused and [`Rules::new_lazy`] finds here.
    pub fn decide<V: Vars + ?Sized>(&self, input: &Input<'_, V>) -> Result<Decision, ConfigError> {
        let vars = OrEmpty(input.vars);
        let folded = fold(input.text, self.config.fold_accents);
        let seed = self.config.seed.unwrap_or(input.fallback_seed);
        let open = self.is_open(input.weekday, input.minute_of_day, input.date);
        let mut d = Decision::default();
        if !open
            && !input.out_of_hours_sent_today
            && let Some(source) = ooh_source(&self.config)
        {
            let text = reply_text(
                self.ooh_reply.as_ref(),
                source,
                || OOH_FIELD.to_owned(),
                &vars,
                seed,
            )?;
            d.replies.push((text, "out-of-hours".to_owned()));
            d.out_of_hours_sent = true;
        }
        let mut hit = None;
        for c in &self.compiled {
            let (when, rest) = self.conditions(c.index)?;
            // Conditions first: they are cheap and spare a lazy regex (and,
            // for prepared rules, reading the rest of the rule).
            if !self.conditions_hold(&when, input, open) {
                continue;
            }
            let (keywords, rest) = self.keywords(c.index, rest)?;
            let matcher = get_or_try(&c.matcher, || match self.source {
                RuleSource::Config => build_matcher(
                    &self.config.rules[c.index],
                    c.index,
                    self.config.fold_accents,
                    false,
                ),
                RuleSource::Encoded { .. } => Ok(prepared_matcher(&keywords)),
            })?;
            if matches(matcher, &keywords, &folded, c.index)? {
                hit = Some((c, rest));
                break;
            }
        }
        match hit {
            Some((c, rest)) => {
                let rule = self.outcome(c.index, rest)?;
                let field = || format!("/rules/{}/reply", c.index);
                let text = reply_text(c.reply.as_ref(), rule.reply, field, &vars, seed)?;
                d.replies.push((text, rule.id.to_owned()));
                d.set_state = rule
                    .set_state
                    .map(|s| (!s.is_empty()).then(|| s.to_owned()));
                d.add_tags = rule.add_tags.iter().map(str::to_owned).collect();
                if rule.handoff {
                    d.handoff = Some(format!("keyword rule `{}`", rule.id));
                }
                d.stop = self.config.stop_on_match;
            }
            None if d.out_of_hours_sent => {}
            None => {
                if let Some(source) = self.config.default_reply.as_deref() {
                    let field = || "/default_reply".to_owned();
                    let text = reply_text(self.default_reply.as_ref(), source, field, &vars, seed)?;
                    d.replies.push((text, "default".to_owned()));
                }
            }
        }
        Ok(d)
    }
}

/// Where [`Rules`] reads its rules from.
enum RuleSource {
    /// `Rules::config.rules`.
    Config,
    /// Prepared bytes: rule `i` is `raw[ends[i - 1]..ends[i]]` (from 0 for
    /// the first), as [`encode_rule`] wrote it, read when used.
    Encoded { raw: Vec<u8>, ends: Vec<u32> },
}

/// A rule's conditions as [`encode_rule`] writes them (postcard of
/// [`Conditions`], so the same fields in the same order), read without
/// copying their text.
#[derive(Deserialize)]
struct EncodedConditions<'a> {
    #[serde(borrow)]
    tags_any: Vec<&'a str>,
    #[serde(borrow)]
    tags_none: Vec<&'a str>,
    #[serde(borrow)]
    state: Option<&'a str>,
    hours: Hours,
}

/// A rule's match kind and (folded) keywords, as [`encode_rule`] writes them.
#[derive(Deserialize)]
struct EncodedKeywords<'a>(MatchKind, #[serde(borrow)] Vec<&'a str>);

/// What a matching rule does, as [`encode_rule`] writes it: id, reply,
/// state to set, tags to add, hand-off.
#[derive(Deserialize)]
struct EncodedOutcome<'a>(
    &'a str,
    &'a str,
    #[serde(borrow)] Option<&'a str>,
    #[serde(borrow)] Vec<&'a str>,
    bool,
);

/// A rule of prepared bytes: its conditions, then its keywords, then what
/// it does, each part readable on its own, so a message decodes only what
/// it gets to (a rule whose conditions fail is not read further).
fn encode_rule(rule: &Rule) -> postcard::Result<Vec<u8>> {
    let mut out = postcard::to_allocvec(&rule.when)?;
    out.extend(postcard::to_allocvec(&(rule.match_kind, &rule.keywords))?);
    out.extend(postcard::to_allocvec(&(
        &rule.id,
        &rule.reply,
        &rule.set_state,
        &rule.add_tags,
        rule.handoff,
    ))?);
    Ok(out)
}

/// Texts of a rule: the configuration's own, or borrowed from prepared bytes.
#[derive(Debug)]
enum Texts<'a> {
    Config(&'a [String]),
    Encoded(Vec<&'a str>),
}

impl Texts<'_> {
    fn iter(&self) -> impl Iterator<Item = &str> {
        let (config, encoded): (&[String], &[&str]) = match self {
            Self::Config(v) => (v, &[]),
            Self::Encoded(v) => (&[], v),
        };
        config
            .iter()
            .map(String::as_str)
            .chain(encoded.iter().copied())
    }

    fn is_empty(&self) -> bool {
        match self {
            Self::Config(v) => v.is_empty(),
            Self::Encoded(v) => v.is_empty(),
        }
    }
}

/// Equal when they hold the same texts, wherever they live.
impl PartialEq for Texts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// A rule's conditions, from either source.
#[derive(Debug, PartialEq)]
struct CondRef<'a> {
    tags_any: Texts<'a>,
    tags_none: Texts<'a>,
    state: Option<&'a str>,
    hours: Hours,
}

/// A rule's keywords and how they are compared, from either source.
#[derive(Debug, PartialEq)]
struct KeywordsRef<'a> {
    match_kind: MatchKind,
    keywords: Texts<'a>,
}

/// What a rule does when it matches, from either source.
#[derive(Debug, PartialEq)]
struct OutcomeRef<'a> {
    id: &'a str,
    reply: &'a str,
    set_state: Option<&'a str>,
    add_tags: Texts<'a>,
    handoff: bool,
}

/// The first part of [`Rules::prepare`]'s bytes; each rule's encoding
/// follows, in configuration order.
#[derive(Serialize, Deserialize)]
struct PreparedHead {
    /// The settings, with no rules.
    config: Config,
    /// Rule indices, highest priority first (stable).
    order: Vec<u32>,
    /// Where each rule's encoding ends in the bytes after the head.
    ends: Vec<u32>,
}

fn encode_prepared(mut config: Config) -> Result<Vec<u8>, ConfigError> {
    let mut rules = std::mem::take(&mut config.rules);
    let mut tail = Vec::new();
    let mut ends = Vec::with_capacity(rules.len());
    for rule in &mut rules {
        // Folded once here rather than for every message that reaches it.
        rule.keywords = folded_keywords(rule, config.fold_accents);
        tail.extend(encode_rule(rule).map_err(prepared_error)?);
        ends.push(
            u32::try_from(tail.len()).map_err(|_| ConfigError::Prepared("too large".into()))?,
        );
    }
    let head = PreparedHead {
        order: priority_order(&rules),
        config,
        ends,
    };
    let mut out = postcard::to_allocvec(&head).map_err(prepared_error)?;
    out.extend(tail);
    Ok(out)
}

// `map_err` hands the error over by value; the signature follows it.
#[allow(clippy::needless_pass_by_value)]
fn prepared_error(e: postcard::Error) -> ConfigError {
    ConfigError::Prepared(e.to_string())
}

/// Rule indices, highest priority first; equal priorities keep the
/// configured order.
fn priority_order(rules: &[Rule]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..rules.len() as u32).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(rules[i as usize].priority));
    order
}

/// The opening windows per ISO weekday (index 0 = Monday), checked.
fn opening_windows(config: &Config) -> Result<[Vec<(u16, u16)>; 7], ConfigError> {
    let mut windows: [Vec<(u16, u16)>; 7] = Default::default();
    if let Some(bh) = &config.business_hours {
        for (day, list) in &bh.days {
            for (i, w) in list.iter().enumerate() {
                let bad = || ConfigError::Hours {
                    field: format!("/business_hours/days/{}/{i}", day_name(*day)),
                    value: w.0.clone(),
                };
                let (a, b) = w.0.split_once('-').ok_or_else(bad)?;
                let (a, b) = (
                    parse_hhmm(a).ok_or_else(bad)?,
                    parse_hhmm(b).ok_or_else(bad)?,
                );
                if a >= b {
                    return Err(bad());
                }
                windows[*day as usize].push((a, b));
            }
        }
        for (i, h) in bh.holidays.iter().enumerate() {
            if !valid_date(h) {
                return Err(ConfigError::Hours {
                    field: format!("/business_hours/holidays/{i}"),
                    value: h.clone(),
                });
            }
        }
    }
    Ok(windows)
}

/// Renders with variables that never miss (see [`OrEmpty`]), so rendering
/// cannot fail: parsing already checked the template.
fn render<V: Vars>(t: &Template, vars: &OrEmpty<V>, seed: u64) -> String {
    t.render(vars, seed).unwrap_or_default()
}

/// A reply's text: from its parsed template when the rules were built
/// eagerly, else straight from `source` (a lazy reply is rendered once per
/// event, so parsing it into a template first is wasted work). A broken
/// template fails with `field`.
fn reply_text<V: Vars>(
    parsed: Option<&Template>,
    source: &str,
    field: impl FnOnce() -> String,
    vars: &OrEmpty<V>,
    seed: u64,
) -> Result<String, ConfigError> {
    if let Some(t) = parsed {
        return Ok(render(t, vars, seed));
    }
    text::render(source, vars, seed).map_err(|error| ConfigError::Template {
        field: field(),
        error,
    })
}

fn day_name(d: Day) -> &'static str {
    match d {
        Day::Mon => "mon",
        Day::Tue => "tue",
        Day::Wed => "wed",
        Day::Thu => "thu",
        Day::Fri => "fri",
        Day::Sat => "sat",
        Day::Sun => "sun",
    }
}

fn fold(s: &str, accents: bool) -> String {
    if accents {
        text::fold(s)
    } else {
        text::fold_case(s)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn whole_word(haystack: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

fn matches(m: &Matcher, r: &KeywordsRef<'_>, text: &str, rule: usize) -> Result<bool, ConfigError> {
    match m {
        Matcher::Regex(res) => {
            for (k, (pattern, cell)) in res.iter().enumerate() {
                let re = match cell.get() {
                    Some(re) => re,
                    None => {
                        let re = build_regex(pattern).map_err(|e| ConfigError::Regex {
                            field: format!("/rules/{rule}/keywords/{k}"),
                            error: e.to_string(),
                        })?;
                        cell.get_or_init(|| re)
                    }
                };
                if re.is_match(text) {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Matcher::Words(words) => Ok(words_match(
            words.iter().map(String::as_str),
            r.match_kind,
            text,
        )),
        Matcher::PreparedWords => Ok(words_match(r.keywords.iter(), r.match_kind, text)),
    }
}

fn words_match<'k>(mut words: impl Iterator<Item = &'k str>, kind: MatchKind, text: &str) -> bool {
    words.any(|k| match kind {
        MatchKind::Exact => text == k,
        MatchKind::Contains => !k.is_empty() && text.contains(k),
        MatchKind::StartsWith => !k.is_empty() && text.starts_with(k),
        MatchKind::WholeWord | MatchKind::Regex => whole_word(text, k),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(v: serde_json::Value) -> Rules {
        Rules::new(serde_json::from_value(v).unwrap()).unwrap()
    }

    fn input<'a>(
        text: &'a str,
        tags: &'a [String],
        vars: &'a [(&'a str, &'a str)],
    ) -> Input<'a, [(&'a str, &'a str)]> {
        Input {
            text,
            tags,
            state: None,
            vars,
            weekday: 1,
            minute_of_day: 10 * 60,
            date: "2026-11-23",
            fallback_seed: 1,
            out_of_hours_sent_today: false,
        }
    }

    const VARS: &[(&str, &str)] = &[("name", "Budi"), ("phone", "+62812"), ("kota", "Solo")];

    #[test]
    fn match_kinds_and_folding() {
        let r = rules(json!({"rules": [
            {"id": "exact", "keywords": ["harga"], "match": "exact", "reply": "E"},
            {"id": "start", "keywords": ["halo"], "match": "starts-with", "reply": "S"},
            {"id": "word", "keywords": ["ongkir"], "match": "whole-word", "reply": "W"},
            {"id": "re", "keywords": ["^no\\s*rek"], "match": "regex", "reply": "R"},
            {"id": "contains", "keywords": ["kafe"], "reply": "C"},
        ]}));
        let tags = vec![];
        let id = |t: &str| {
            r.decide(&input(t, &tags, VARS))
                .unwrap()
                .replies
                .first()
                .map(|x| x.1.clone())
        };
        assert_eq!(id("  HARGA "), Some("exact".into()));
        assert_eq!(id("harga berapa"), None);
        assert_eq!(id("Halo kak"), Some("start".into()));
        assert_eq!(id("berapa ONGKIR ke solo?"), Some("word".into()));
        assert_eq!(id("ongkirnya berapa"), None);
        assert_eq!(id("No  Rek dong"), Some("re".into()));
        assert_eq!(id("di KÁFÉ mana"), Some("contains".into()));
    }

    #[test]
    fn priority_then_order() {
        let r = rules(json!({"rules": [
            {"id": "low", "keywords": ["promo"], "reply": "a"},
            {"id": "high", "keywords": ["promo"], "priority": 5, "reply": "b"},
            {"id": "high2", "keywords": ["promo"], "priority": 5, "reply": "c"},
        ]}));
        let d = r.decide(&input("ada promo?", &[], VARS)).unwrap();
        assert_eq!(d.replies, vec![("b".into(), "high".into())]);
        assert!(d.stop);
    }

    #[test]
    fn default_reply_variables_and_spintax() {
        let r = rules(
            json!({"rules": [], "default_reply": "{Halo|Hai} {name} dari {kota} ({phone})", "seed": 9}),
        );
        let a = r.decide(&input("apa aja", &[], VARS)).unwrap();
        let b = r.decide(&input("lain lagi", &[], VARS)).unwrap();
        assert_eq!(a, b, "a configured seed renders the same text");
        assert!(a.replies[0].0.ends_with("Budi dari Solo (+62812)"));
        assert_eq!(a.replies[0].1, "default");
        assert!(!a.stop);
    }

    #[test]
    fn tag_and_state_conditions() {
        let r = rules(json!({"rules": [
            {"id": "vip", "keywords": ["harga"], "reply": "vip", "when": {"tags_any": ["VIP"]}},
            {"id": "new", "keywords": ["harga"], "reply": "new", "when": {"tags_none": ["vip"], "state": ""},
             "set_state": "asked-price", "add_tags": ["lead"]},
            {"id": "again", "keywords": ["harga"], "reply": "again", "when": {"state": "asked-price"}, "set_state": ""},
        ]}));
        let vip = vec!["vip".to_owned()];
        assert_eq!(
            r.decide(&input("harga", &vip, VARS)).unwrap().replies[0].1,
            "vip"
        );
        let d = r.decide(&input("harga", &[], VARS)).unwrap();
        assert_eq!(d.replies[0].1, "new");
        assert_eq!(d.set_state, Some(Some("asked-price".into())));
        assert_eq!(d.add_tags, vec!["lead".to_owned()]);
        let mut i = input("harga", &[], VARS);
        i.state = Some("asked-price");
        let d = r.decide(&i).unwrap();
        assert_eq!(d.replies[0].1, "again");
        assert_eq!(d.set_state, Some(None));
    }

    #[test]
    fn business_hours_holidays_and_out_of_hours_once() {
        let r = rules(json!({
            "rules": [
                {"id": "open-only", "keywords": ["cs"], "reply": "CS siap", "when": {"hours": "open"}, "handoff": true},
                {"id": "any", "keywords": ["jam"], "reply": "Buka 08-17"}
            ],
            "default_reply": "default",
            "business_hours": {
                "days": {"mon": ["08:00-12:00", "13:00-17:00"], "sat": ["09:00-12:00"]},
                "holidays": ["2026-12-25"],
                "out_of_hours_reply": "Kami tutup, {name}"
            }
        }));
        assert!(r.is_open(1, 8 * 60, "2026-11-23"));
        assert!(!r.is_open(1, 12 * 60 + 30, "2026-11-23"));
        assert!(!r.is_open(1, 17 * 60, "2026-11-23"));
        assert!(!r.is_open(7, 10 * 60, "2026-11-29"));
        assert!(!r.is_open(5, 10 * 60, "2026-12-25"));
        let mut i = input("cs dong", &[], VARS);
        let d = r.decide(&i).unwrap();
        assert_eq!(d.replies[0].1, "open-only");
        assert!(d.handoff.is_some());
        i.minute_of_day = 20 * 60;
        let d = r.decide(&i).unwrap();
        assert_eq!(
            d.replies,
            vec![("Kami tutup, Budi".into(), "out-of-hours".into())]
        );
        assert!(d.out_of_hours_sent && d.handoff.is_none());
        i.out_of_hours_sent_today = true;
        let d = r.decide(&i).unwrap();
        assert_eq!(d.replies, vec![("default".into(), "default".into())]);
        i.text = "jam buka?";
        i.out_of_hours_sent_today = false;
        let d = r.decide(&i).unwrap();
        assert_eq!(
            d.replies.len(),
            2,
            "out-of-hours notice plus the matched rule"
        );
    }

    #[test]
    fn broken_config_names_the_field() {
        let bad = |v: serde_json::Value| {
            Rules::new(serde_json::from_value(v).unwrap())
                .err()
                .unwrap()
                .to_string()
        };
        assert!(bad(json!({"rules": [{"id": "a", "keywords": ["x"], "reply": "ok"}, {"id": "b", "keywords": ["x"], "reply": "{Halo|Hai"}]}))
            .starts_with("/rules/1/reply: template error at line 1, column 1"));
        assert!(
            bad(
                json!({"rules": [{"id": "a", "keywords": ["(x"], "match": "regex", "reply": "ok"}]})
            )
            .starts_with("/rules/0/keywords/0: invalid regex")
        );
        assert_eq!(
            bad(json!({"business_hours": {"days": {"tue": ["08:00-12:00", "17:00-08:00"]}}})),
            "/business_hours/days/tue/1: `17:00-08:00` is not valid"
        );
        assert!(
            bad(json!({"business_hours": {"holidays": ["25-12-2026"]}}))
                .starts_with("/business_hours/holidays/0")
        );
        let e = Rules::new(serde_json::from_value(json!({"default_reply": "Halo {name"})).unwrap())
            .err()
            .unwrap();
        assert_eq!(e.field(), "/default_reply");
        assert_eq!(
            e.message(),
            "template error at line 1, column 6: `{` is never closed"
        );
    }

    #[test]
    fn missing_custom_field_renders_empty_and_the_reply_is_sent() {
        let r = rules(json!({"rules": [
            {"id": "kirim", "keywords": ["kirim"], "reply": "Halo {name}, kami kirim ke {kota}."}
        ]}));
        let bare: &[(&str, &str)] = &[("name", "Budi")];
        let d = r.decide(&input("kirim dong", &[], bare)).unwrap();
        assert_eq!(
            d.replies,
            vec![("Halo Budi, kami kirim ke .".to_owned(), "kirim".to_owned())]
        );
        let d = r.decide(&input("kirim dong", &[], VARS)).unwrap();
        assert_eq!(d.replies[0].0, "Halo Budi, kami kirim ke Solo.");
    }

    #[test]
    fn regex_is_case_insensitive_and_accent_folded() {
        let r = rules(json!({"rules": [
            {"id": "resi", "keywords": ["^Resi\\s+[A-Z0-9]+$"], "match": "regex", "reply": "R"},
            {"id": "kafe", "keywords": ["^KAFÉ"], "match": "regex", "reply": "K"}
        ]}));
        let id = |t: &str| {
            r.decide(&input(t, &[], VARS))
                .unwrap()
                .replies
                .first()
                .map(|x| x.1.clone())
        };
        assert_eq!(id("RESI jne123"), Some("resi".into()));
        assert_eq!(id("resi   JNE123"), Some("resi".into()));
        assert_eq!(id("cek resi jne123"), None);
        assert_eq!(id("Kafe buka?"), Some("kafe".into()));
        assert_eq!(id("kafé buka?"), Some("kafe".into()));
        // Without accent folding the accent must match, the case still not.
        let r = rules(json!({"fold_accents": false, "rules": [
            {"id": "kafe", "keywords": ["^KAFÉ"], "match": "regex", "reply": "K"}
        ]}));
        let hit = |t: &str| !r.decide(&input(t, &[], VARS)).unwrap().replies.is_empty();
        assert!(hit("kafé buka?"));
        assert!(!hit("kafe buka?"));
    }

    #[test]
    fn lazy_mode_compiles_a_regex_only_when_a_message_reaches_it() {
        let config = json!({"rules": [
            {"id": "harga", "keywords": ["harga"], "reply": "H"},
            {"id": "bad", "keywords": ["(unclosed"], "match": "regex", "reply": "B"}
        ]});
        assert!(Rules::new(serde_json::from_value(config.clone()).unwrap()).is_err());
        let lazy = Rules::new_lazy(serde_json::from_value(config).unwrap()).unwrap();
        let d = lazy.decide(&input("harga?", &[], VARS)).unwrap();
        assert_eq!(d.replies[0].1, "harga", "the first rule answers first");
        let e = lazy.decide(&input("lain", &[], VARS)).unwrap_err();
        assert_eq!(e.field(), "/rules/1/keywords/0");
        // A reply is parsed only for the rule that matched.
        let config = json!({"rules": [
            {"id": "harga", "keywords": ["harga"], "reply": "H"},
            {"id": "bad", "keywords": ["promo"], "reply": "{Halo|"}
        ]});
        assert!(Rules::new(serde_json::from_value(config.clone()).unwrap()).is_err());
        let lazy = Rules::new_lazy(serde_json::from_value(config).unwrap()).unwrap();
        assert_eq!(
            lazy.decide(&input("harga", &[], VARS)).unwrap().replies[0].0,
            "H"
        );
        let e = lazy.decide(&input("promo", &[], VARS)).unwrap_err();
        assert_eq!(e.field(), "/rules/1/reply");
        // The default reply is parsed only when it is sent.
        let config = json!({"rules": [{"id": "harga", "keywords": ["harga"], "reply": "H"}],
                            "default_reply": "Maaf {name"});
        assert!(Rules::new(serde_json::from_value(config.clone()).unwrap()).is_err());
        let lazy = Rules::new_lazy(serde_json::from_value(config).unwrap()).unwrap();
        assert!(lazy.decide(&input("harga", &[], VARS)).is_ok());
        let e = lazy.decide(&input("lain", &[], VARS)).unwrap_err();
        assert_eq!(e.field(), "/default_reply");
        // Lazy and eager agree on a good configuration.
        let good = json!({"rules": [
            {"id": "resi", "keywords": ["^resi\\s+\\w+$"], "match": "regex", "reply": "R"}
        ]});
        let eager = Rules::new(serde_json::from_value(good.clone()).unwrap()).unwrap();
        let lazy = Rules::new_lazy(serde_json::from_value(good).unwrap()).unwrap();
        for t in ["Resi ABC", "resi", "no resi x"] {
            assert_eq!(
                eager.decide(&input(t, &[], VARS)).unwrap(),
                lazy.decide(&input(t, &[], VARS)).unwrap(),
                "{t}"
            );
        }
    }

    #[test]
    fn prepared_rules_decide_like_eager_ones() {
        let config = json!({
            "rules": [
                {"id": "salam", "keywords": ["halo"], "match": "starts-with", "reply": "{Halo|Hai} {name}!"},
                {"id": "vip", "keywords": ["promo"], "priority": 5, "reply": "VIP", "when": {"tags_any": ["vip"]}},
                {"id": "promo", "keywords": ["promo", "diskon"], "reply": "Diskon", "add_tags": ["promo"]},
                {"id": "resi", "keywords": ["^resi\\s+\\w+$"], "match": "regex", "reply": "Dicek"},
                {"id": "cs", "keywords": ["admin"], "match": "exact", "reply": "Sebentar", "handoff": true,
                 "set_state": "cs"},
                // Keywords the prepared form stores folded.
                {"id": "ongkir", "keywords": ["Ongkos  KIRIM"], "match": "whole-word", "reply": "Ongkir"},
                {"id": "kafe", "keywords": ["Kafé"], "match": "starts-with", "reply": "Kafe"},
                {"id": "nota", "keywords": ["^Nótä\\s+\\d+$"], "match": "regex", "reply": "Nota"}
            ],
            "default_reply": "Maaf {name}",
            "business_hours": {"days": {"mon": ["08:00-17:00"]}, "out_of_hours_reply": "Tutup"},
            "seed": 3
        });
        let eager = Rules::new(serde_json::from_value(config.clone()).unwrap()).unwrap();
        let bytes = Rules::prepare(serde_json::from_value(config).unwrap()).unwrap();
        let prepared = Rules::from_prepared(&bytes).unwrap();
        let vip = ["VIP".to_owned()];
        for text in [
            "Halo kak",
            "promo dong",
            "Resi AB12",
            "admin",
            "apa ini",
            "",
            "berapa ongkos kirim?",
            "KAFE buka?",
            "nota 12",
        ] {
            for tags in [&[][..], &vip[..]] {
                for minute in [10 * 60, 20 * 60] {
                    let mut a = input(text, tags, VARS);
                    a.minute_of_day = minute;
                    assert_eq!(
                        eager.decide(&a).unwrap(),
                        prepared.decide(&a).unwrap(),
                        "{text:?} {tags:?} {minute}"
                    );
                }
            }
        }
        for (text, id) in [
            ("berapa ongkos kirim?", "ongkir"),
            ("KAFE buka?", "kafe"),
            ("nota 12", "nota"),
        ] {
            let d = prepared.decide(&input(text, &[], VARS)).unwrap();
            assert!(d.replies.iter().any(|(_, m)| m == id), "{text:?}: {d:?}");
        }
        assert_eq!(
            prepared.config().default_reply.as_deref(),
            Some("Maaf {name}")
        );
    }

    #[test]
    fn encoded_rules_read_back_every_field() {
        // A prepared rule reads back, part by part, what the configured
        // rule says: every field set, and every optional field left out.
        let full = json!({
            "id": "r1", "keywords": ["harga", "ongkir"], "match": "whole-word",
            "priority": -3, "reply": "{Halo|Hai} {name}",
            "when": {"tags_any": ["vip", "baru"], "tags_none": ["blokir"],
                     "state": "tanya", "hours": "closed"},
            "set_state": "jawab", "add_tags": ["minat"], "handoff": true
        });
        let bare = json!({"id": "b", "keywords": [], "reply": ""});
        for rule in [full, bare] {
            let config: Config = serde_json::from_value(json!({
                "rules": [rule], "fold_accents": false
            }))
            .unwrap();
            let configured = Rules::new(config.clone()).unwrap();
            let prepared = Rules::from_prepared(&Rules::prepare(config).unwrap()).unwrap();
            let (want_when, rest_c) = configured.conditions(0).unwrap();
            let (got_when, rest_p) = prepared.conditions(0).unwrap();
            assert_eq!(got_when, want_when);
            let (want_kw, rest_c) = configured.keywords(0, rest_c).unwrap();
            let (got_kw, rest_p) = prepared.keywords(0, rest_p).unwrap();
            assert_eq!(got_kw, want_kw);
            assert_eq!(
                prepared.outcome(0, rest_p).unwrap(),
                configured.outcome(0, rest_c).unwrap()
            );
        }
    }

    #[test]
    fn prepared_bytes_that_do_not_decode_are_refused() {
        let config: Config = serde_json::from_value(json!({"rules": [
            {"id": "a", "keywords": ["a"], "reply": "A"},
            {"id": "b", "keywords": ["b"], "reply": "B"}
        ]}))
        .unwrap();
        assert!(
            Rules::prepare(
                serde_json::from_value(json!({"rules": [
                    {"id": "x", "keywords": ["("], "match": "regex", "reply": "X"}
                ]}))
                .unwrap()
            )
            .is_err(),
            "prepare checks like new"
        );
        let last = encode_rule(&config.rules[1]).unwrap().len();
        let bytes = encode_prepared(config).unwrap();
        for cut in [0, 3, bytes.len() - 1] {
            let e = Rules::from_prepared(&bytes[..cut])
                .err()
                .expect("truncated bytes refused");
            assert!(matches!(e, ConfigError::Prepared(_)), "{e}");
        }
        // A damaged rule fails when a message reaches it, not before.
        let mut damaged = bytes.clone();
        let at = damaged.len() - last;
        damaged[at] = 0xff;
        let r = Rules::from_prepared(&damaged).unwrap();
        assert_eq!(r.decide(&input("a", &[], VARS)).unwrap().replies[0].1, "a");
        let e = r.decide(&input("b", &[], VARS)).unwrap_err();
        assert!(matches!(e, ConfigError::Prepared(_)), "{e}");
        assert_eq!(e.field(), "/");
        assert!(Rules::from_prepared(b"not postcard at all").is_err());
    }
}
