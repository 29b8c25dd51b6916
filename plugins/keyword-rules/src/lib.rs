#![doc = include_str!("../README.md")]

pub mod rules;

pub use rules::{Config, Decision, Input, Rules};

/// The kv key remembering the day the out-of-hours reply was last sent.
#[must_use]
pub fn out_of_hours_key(phone: &str) -> String {
    format!("ooh:{phone}")
}

#[cfg(feature = "guest")]
mod guest {
    use std::borrow::Cow;

    use pesan_template::{Vars, seed_from};
    use plugin_sdk::{Action, ConfigProblem, Context, Event, Plugin, kv};

    use crate::rules::{Config, Input, Rules};

    /// The keyword-rules plugin.
    pub(crate) struct KeywordRules(Rules);

    /// The contact's variables, with the vendor's word for `{name}` when
    /// the contact has no name.
    struct ContactVars<'a> {
        contact: &'a plugin_sdk::Contact,
        name_fallback: Option<&'a str>,
    }

    impl Vars for ContactVars<'_> {
        fn get(&self, name: &str) -> Option<Cow<'_, str>> {
            match (name, &self.contact.name, self.name_fallback) {
                ("name", None, Some(word)) => Some(Cow::Borrowed(word)),
                _ => self.contact.get(name),
            }
        }
    }

    impl Plugin for KeywordRules {
        type Config = Config;
        const NAME: &'static str = "keyword-rules";
        const VERSION: &'static str = env!("CARGO_PKG_VERSION");

        fn history_depth() -> Option<u32> {
            // Rules look at the current message only.
            Some(0)
        }

        fn validate(config: Config) -> Result<(), Vec<ConfigProblem>> {
            // Everything, regexes included, once when the vendor saves.
            Rules::new(config)
                .map(|_| ())
                .map_err(|e| vec![ConfigProblem::new(e.field(), e.message())])
        }

        fn prepare(config: Config) -> Result<Vec<u8>, Vec<ConfigProblem>> {
            // Parsing the JSON was most of an event's work; the binary
            // form decodes several times faster, and a message decodes
            // only the rules it reaches.
            Rules::prepare(config).map_err(|e| vec![ConfigProblem::new(e.field(), e.message())])
        }

        fn from_prepared(bytes: &[u8]) -> Result<Self, String> {
            Rules::from_prepared(bytes)
                .map(Self)
                .map_err(|e| e.to_string())
        }

        fn new(config: Config) -> Result<Self, String> {
            // The instance lives for one event (the contract gives a fresh
            // one per message), so nothing compiled here can be kept for the
            // next. The host ran `prepare` when the configuration was set;
            // compile regexes only when a message reaches their rule.
            Rules::new_lazy(config).map(Self).map_err(|e| e.to_string())
        }

        fn handle(&mut self, event: &Event, ctx: &Context) -> Result<Vec<Action>, String> {
            let Some(text) = event.text() else {
                return Ok(Vec::new());
            };
            let now = &ctx.now;
            let date = iso_date(now.year, now.month, now.day);
            // Only look at the store when the answer matters (closed now).
            let closed = !self.0.is_open(
                now.weekday,
                u16::from(now.hour) * 60 + u16::from(now.minute),
                &date,
            );
            let key = || crate::out_of_hours_key(&ctx.contact.phone);
            let sent_today = closed
                && self
                    .0
                    .config()
                    .business_hours
                    .as_ref()
                    .is_some_and(|b| b.out_of_hours_reply.is_some())
                && kv::get_string(&key()).as_deref() == Some(date.as_str());
            let msg_id = event.message().map(|m| m.id.as_str()).unwrap_or_default();
            let decision = self
                .0
                .decide(&Input {
                    text,
                    tags: &ctx.contact.tags,
                    state: ctx.state.as_deref(),
                    vars: &ContactVars {
                        contact: &ctx.contact,
                        name_fallback: self.0.config().name_fallback.as_deref(),
                    },
                    weekday: now.weekday,
                    minute_of_day: u16::from(now.hour) * 60 + u16::from(now.minute),
                    date: &date,
                    fallback_seed: seed_from(&[msg_id, &ctx.contact.phone]),
                    out_of_hours_sent_today: sent_today,
                })
                .map_err(|e| e.to_string())?;
            if decision.out_of_hours_sent {
                kv::set(&key(), date.as_bytes())?;
            }
            // Each reply names what produced it (`matched`), which the host
            // records; the plugin does not log it again.
            let mut actions = Vec::with_capacity(decision.replies.len() + 3);
            for (text, matched) in decision.replies {
                actions.push(Action::reply_matched(text, matched));
            }
            if let Some(state) = decision.set_state {
                actions.push(Action::SetState(state));
            }
            actions.extend(decision.add_tags.into_iter().map(Action::Tag));
            if let Some(reason) = decision.handoff {
                actions.push(Action::Handoff(Some(reason)));
            }
            if decision.stop {
                actions.push(Action::Stop);
            }
            Ok(actions)
        }
    }

    /// `YYYY-MM-DD`, the form holidays and the out-of-hours mark use,
    /// written digit by digit rather than through `format!`.
    fn iso_date(year: i32, month: u8, day: u8) -> String {
        let mut s = String::with_capacity(10);
        let y = year.clamp(0, 9999).unsigned_abs();
        for d in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            s.push(char::from(b'0' + d as u8));
        }
        for part in [month, day] {
            s.push('-');
            s.push(char::from(b'0' + part / 10 % 10));
            s.push(char::from(b'0' + part % 10));
        }
        s
    }

    plugin_sdk::register_plugin!(KeywordRules);

    #[cfg(test)]
    mod tests {
        #[test]
        fn iso_dates_are_zero_padded() {
            assert_eq!(super::iso_date(2026, 12, 1), "2026-12-01");
            assert_eq!(super::iso_date(987, 3, 31), "0987-03-31");
        }
    }
}
