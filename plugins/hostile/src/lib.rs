//! A plugin that misbehaves on purpose, chosen by its configuration, so
//! bot-core's tests can prove the host's limits. Never load it in production.

use plugin_sdk::{
    Action, Button, ButtonsMessage, ConfigProblem, Context, Event, Plugin, Reply, ReplyContent, kv,
    llm,
};

/// What the plugin does.
#[derive(serde::Deserialize, schemars::JsonSchema, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum Behaviour {
    /// Replies `echo: <text>` (a well-behaved control).
    Echo,
    /// Spins forever.
    Loop,
    /// Allocates without bound.
    Alloc,
    /// Executes `unreachable`.
    Trap,
    /// Panics.
    Panic,
    /// Panics with a message (and in a function) that reads like the host's
    /// instance-pool error, to prove the host does not classify by text.
    PanicMaximum,
    /// The configuration check (`prepare-config`) spins forever (events
    /// are echoed).
    ValidateLoop,
    /// The configuration check refuses the configuration, naming
    /// `/behaviour`.
    ValidateRefuse,
    /// The configuration check tries the kv store and the LLM, which the host
    /// withholds there, and refuses with what it got.
    ValidateProbe,
    /// `prepare-config` returns 2 MiB of prepared bytes (more than the
    /// host allows by default).
    PrepareHuge,
    /// Returns an error string.
    Fail,
    /// Returns a buttons reply with an empty body and five buttons.
    BadReply,
    /// Returns a million `tag` actions.
    Flood,
    /// Calls the LLM once and replies with its answer.
    LlmOnce,
    /// Calls the LLM forever, ignoring errors.
    LlmLoop,
    /// Writes the message text into the kv store and replies with what was
    /// stored before.
    KvEcho,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Config {
    /// The misbehaviour.
    behaviour: Behaviour,
}

struct Hostile(Behaviour);

impl Plugin for Hostile {
    type Config = Config;
    const NAME: &'static str = "hostile";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn validate(config: Config) -> Result<(), Vec<ConfigProblem>> {
        match config.behaviour {
            Behaviour::ValidateLoop => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Behaviour::ValidateRefuse => Err(vec![ConfigProblem::new(
                "/behaviour",
                "validate-refuse is refused on purpose",
            )]),
            Behaviour::ValidateProbe => {
                let kv_get = kv::get("last").is_some();
                let kv_set = kv::set("probe", b"x").is_ok();
                let llm = llm::complete(&llm::Request {
                    system: None,
                    messages: vec![],
                    max_tokens: 1,
                    temperature: None,
                })
                .is_ok();
                Err(vec![ConfigProblem::root(format!(
                    "kv get {kv_get}, kv set {kv_set}, llm {llm}"
                ))])
            }
            _ => Ok(()),
        }
    }

    fn prepare(config: Config) -> Result<Vec<u8>, Vec<ConfigProblem>> {
        if matches!(config.behaviour, Behaviour::PrepareHuge) {
            return Ok(vec![7u8; 2 << 20]);
        }
        Self::validate(config).map(|()| Vec::new())
    }

    fn new(config: Config) -> Result<Self, String> {
        Ok(Self(config.behaviour))
    }

    fn handle(&mut self, event: &Event, _ctx: &Context) -> Result<Vec<Action>, String> {
        let text = event.text().unwrap_or_default().to_owned();
        match self.0 {
            Behaviour::Echo | Behaviour::ValidateLoop => {
                Ok(vec![Action::reply_text(format!("echo: {text}"))])
            }
            Behaviour::ValidateRefuse | Behaviour::ValidateProbe | Behaviour::PrepareHuge => {
                Err("not reachable: the configuration check refuses this configuration".to_owned())
            }
            Behaviour::PanicMaximum => maximum_concurrent_pooling_limit_reached(),
            Behaviour::Loop => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Behaviour::Alloc => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Behaviour::Trap => trap(),
            Behaviour::Panic => panic!("hostile plugin panics on purpose"),
            Behaviour::Fail => Err("hostile plugin fails on purpose".to_owned()),
            Behaviour::BadReply => Ok(vec![Action::Reply(Reply {
                content: ReplyContent::Buttons(ButtonsMessage {
                    body: String::new(),
                    buttons: (0..5)
                        .map(|i| Button {
                            id: format!("b{i}"),
                            title: format!("B{i}"),
                        })
                        .collect(),
                    footer: None,
                }),
                matched: None,
            })]),
            Behaviour::Flood => Ok((0..1_000_000)
                .map(|i| Action::Tag(format!("t{i}")))
                .collect()),
            Behaviour::LlmOnce => {
                let answer = llm::complete(&llm::Request {
                    system: None,
                    messages: vec![llm::Message {
                        role: llm::Role::User,
                        content: text,
                    }],
                    max_tokens: 64,
                    temperature: None,
                })
                .map_err(|e| format!("llm failed: {e:?}"))?;
                Ok(vec![Action::reply_text(answer.text)])
            }
            Behaviour::LlmLoop => loop {
                let _ = std::hint::black_box(llm::complete(&llm::Request {
                    system: None,
                    messages: vec![],
                    max_tokens: 1,
                    temperature: None,
                }));
            },
            Behaviour::KvEcho => {
                let before = kv::get_string("last").unwrap_or_default();
                kv::set("last", text.as_bytes())?;
                Ok(vec![Action::reply_text(format!("before: {before}"))])
            }
        }
    }
}

plugin_sdk::register_plugin!(Hostile);

/// The name (in the wasm backtrace) and the message both contain the words
/// the host's pool-exhaustion error uses.
#[inline(never)]
fn maximum_concurrent_pooling_limit_reached() -> ! {
    panic!("maximum concurrent limit of 1 for pooling instances reached (plugin panic)")
}

/// Executes the wasm `unreachable` instruction (a trap) in the component; on
/// other targets (host builds of the workspace) the process aborts instead.
#[cfg(target_arch = "wasm32")]
fn trap() -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(not(target_arch = "wasm32"))]
fn trap() -> ! {
    std::process::abort()
}
