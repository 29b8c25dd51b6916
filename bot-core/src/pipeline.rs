//! The inbound pipeline: the one path from a received customer message to
//! the actions of a tenant's handlers, shared by [`crate::Runtime`] and by
//! apps that keep conversations in their own tables.
//!
//! An app plugs its storage in through [`Conversations`] and performs the
//! handlers' actions through [`Perform`]; the pipeline owns the rest:
//!
//! 1. [`Conversations::receive`] stores the message unless its provider
//!    message id was stored before (de-duplication: a provider retry gets
//!    `None` and must not be answered).
//! 2. The app may apply its own policy here (plans, opt-outs ...), then
//!    calls [`answer`].
//! 3. [`answer`] gives a conversation whose human handoff timed out back to
//!    the bot, or stops when a human owns it; then, for each handler that
//!    wants the message's kind, in order: waits out its debounce window
//!    (skipped when a later message of the contact arrived meanwhile, which
//!    answers the whole burst; stopped when a human took over), builds its
//!    context with the history it declares, calls it and hands its actions
//!    to [`Perform::perform`]. A `handoff` or `stop` action ends the run; a
//!    failing handler is logged and skipped.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono_tz::Tz;
use serde::Serialize;
use whatsapp_client::Recipient;
use whatsapp_client::webhook::InboundMessage;

use crate::clock::Clock;
use crate::handler::{Handler, HandlerError};
use crate::model::{Action, Contact, Conversation, EventKind, HandlerContext, HistoryEntry, Owner};
use crate::store::StoreError;

/// Where the pipeline reads and records conversations: the embedding app's
/// storage ([`crate::ConversationStore`] implementations get it for free).
///
/// The pipeline passes back the [`Conversation`] that [`Self::receive`]
/// returned, so an implementation may key its rows by
/// [`Conversation::id`].
#[async_trait]
pub trait Conversations: Send + Sync {
    /// Stores an inbound message in its conversation (created when new) and
    /// returns the conversation, or `None` when a message with the same
    /// provider message id was stored before. The check is atomic (a unique
    /// key): of two concurrent deliveries of one id exactly one gets `Some`.
    async fn receive(
        &self,
        tenant: &str,
        message: &InboundMessage<Recipient>,
        at_ms: i64,
    ) -> Result<Option<Conversation>, StoreError>;

    /// The last `limit` messages of the conversation, oldest first (the
    /// message being answered included).
    async fn history(
        &self,
        conversation: &Conversation,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError>;

    /// Who owns the conversation now and the provider id of its newest
    /// inbound message; read after a debounce wait.
    async fn newest(&self, conversation: &Conversation) -> Result<Newest, StoreError>;

    /// Gives the conversation back to the bot (its handoff timed out).
    async fn hand_back(&self, conversation: &Conversation, at_ms: i64) -> Result<(), StoreError>;
}

/// The state of a conversation after a debounce wait ([`Conversations::newest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Newest {
    /// Who answers the conversation now.
    pub owner: Owner,
    /// Provider id of the newest inbound message, when known.
    pub inbound_id: Option<String>,
}

/// Performs a handler's actions (send replies, store state, tags,
/// handoff) or collects them to perform later.
#[async_trait]
pub trait Perform: Send {
    /// The app's error; a store failure of the pipeline converts into it.
    type Error: From<StoreError> + Send;

    /// Performs the actions `plugin` returned, in order. The pipeline has
    /// already decided whether later handlers run (not after `handoff` or
    /// `stop`).
    async fn perform(&mut self, plugin: &str, actions: &[Action]) -> Result<(), Self::Error>;
}

/// What happened to an inbound event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The pipeline ran.
    Handled,
    /// A provider retry of a message already processed: nothing was done.
    Duplicate,
    /// A human agent owns the conversation: stored, no plugin ran.
    HumanOwned,
    /// Not a customer message (status update, device event ...): ignored.
    NotAMessage,
}

/// How one handler's turn went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum RunStatus {
    /// It ran and returned this many actions.
    Ran {
        /// Number of actions.
        actions: usize,
    },
    /// It does not want this kind of event.
    NotWanted,
    /// A later message from the same contact arrived within its debounce
    /// window; that message's event calls it instead.
    Debounced,
    /// It failed; logged with tenant and plugin, skipped.
    Failed {
        /// Why.
        #[serde(serialize_with = "display")]
        error: HandlerError,
    },
}

fn display<S: serde::Serializer>(e: &HandlerError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// One handler's turn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginRun {
    /// The handler.
    pub plugin: String,
    /// How it went.
    #[serde(flatten)]
    pub status: RunStatus,
}

/// The handlers and settings one message is answered with.
#[derive(Clone, Copy)]
pub struct Turn<'a> {
    /// The tenant (vendor), as plugins see it.
    pub tenant: &'a str,
    /// Handlers, called in order.
    pub handlers: &'a [Arc<dyn Handler>],
    /// The vendor's time zone: handlers see "now" in it.
    pub time_zone: Tz,
    /// A human-owned conversation goes back to the bot after this long
    /// since a human last took it over or wrote (`None`: never).
    pub handoff_timeout: Option<Duration>,
    /// History entries for a handler that does not declare
    /// [`Handler::history_depth`].
    pub history_limit: u32,
    /// The time source.
    pub clock: &'a dyn Clock,
}

impl std::fmt::Debug for Turn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("tenant", &self.tenant)
            .field(
                "handlers",
                &self.handlers.iter().map(|h| h.name()).collect::<Vec<_>>(),
            )
            .field("time_zone", &self.time_zone)
            .field("handoff_timeout", &self.handoff_timeout)
            .field("history_limit", &self.history_limit)
            .finish_non_exhaustive()
    }
}

/// What [`answer`] did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    /// [`Outcome::Handled`], or [`Outcome::HumanOwned`] when no handler ran.
    pub outcome: Outcome,
    /// Each handler's turn, in pipeline order.
    pub runs: Vec<PluginRun>,
    /// The handler whose `handoff` or `stop` ended the run, if one did.
    pub stopped_by: Option<String>,
}

/// Answers a message [`Conversations::receive`] stored, in `conversation`:
/// see the module documentation. The handlers see the contact's name,
/// tags and fields from `conversation` (an app may fill them from its own
/// contact records before calling), updated by earlier handlers' actions.
pub async fn answer<C: Conversations + ?Sized, P: Perform>(
    conversations: &C,
    turn: &Turn<'_>,
    conversation: &Conversation,
    message: &InboundMessage<Recipient>,
    perform: &mut P,
) -> Result<Answer, P::Error> {
    let tenant = turn.tenant;
    if conversation.owner == Owner::Human {
        let now = turn.clock.now_ms();
        let expired = match (turn.handoff_timeout, conversation.owner_since_ms) {
            (Some(t), Some(since)) => {
                now.saturating_sub(since) >= i64::try_from(t.as_millis()).unwrap_or(i64::MAX)
            }
            _ => false,
        };
        if !expired {
            return Ok(Answer {
                outcome: Outcome::HumanOwned,
                runs: Vec::new(),
                stopped_by: None,
            });
        }
        tracing::info!(
            tenant,
            "no human reply within the handoff timeout; the bot answers again"
        );
        conversations.hand_back(conversation, now).await?;
    }
    let kind = EventKind::of(message);
    let mut seen = Seen {
        state: conversation.state.clone(),
        tags: conversation.tags.clone(),
        fields: &conversation.fields,
    };
    let mut answer = Answer {
        outcome: Outcome::Handled,
        runs: Vec::with_capacity(turn.handlers.len()),
        stopped_by: None,
    };
    for handler in turn.handlers {
        let name = handler.name();
        if !handler.wants(kind) {
            answer.runs.push(run(name, RunStatus::NotWanted));
            continue;
        }
        if let Some(window) = handler.debounce() {
            tokio::time::sleep(window).await;
            let newest = conversations.newest(conversation).await?;
            if newest.owner == Owner::Human {
                break;
            }
            if newest
                .inbound_id
                .as_deref()
                .is_some_and(|id| id != message.id)
            {
                tracing::debug!(
                    tenant,
                    plugin = name,
                    "a later message answers the burst; skipped"
                );
                answer.runs.push(run(name, RunStatus::Debounced));
                continue;
            }
        }
        let depth = handler.history_depth().unwrap_or(turn.history_limit);
        let ctx = context(conversations, turn, conversation, message, &seen, depth).await?;
        let actions = match handler.handle(message, &ctx).await {
            Ok(a) => a,
            Err(error) => {
                tracing::warn!(tenant, plugin = name, %error, "plugin failed; skipped");
                answer.runs.push(run(name, RunStatus::Failed { error }));
                continue;
            }
        };
        answer.runs.push(run(
            name,
            RunStatus::Ran {
                actions: actions.len(),
            },
        ));
        let stop = seen.apply(&actions);
        perform.perform(name, &actions).await?;
        if stop {
            answer.stopped_by = Some(name.to_owned());
            break;
        }
    }
    Ok(answer)
}

fn run(plugin: &str, status: RunStatus) -> PluginRun {
    PluginRun {
        plugin: plugin.to_owned(),
        status,
    }
}

/// The conversation as handlers of this message see it, after the actions
/// of the handlers before them.
struct Seen<'a> {
    state: Option<String>,
    tags: Vec<String>,
    fields: &'a BTreeMap<String, String>,
}

impl Seen<'_> {
    /// Applies `actions`; returns whether they end the run.
    fn apply(&mut self, actions: &[Action]) -> bool {
        let mut stop = false;
        for a in actions {
            match a {
                Action::SetState(s) => self.state.clone_from(s),
                Action::Tag(t) => {
                    if let Err(at) = self.tags.binary_search(t) {
                        self.tags.insert(at, t.clone());
                    }
                }
                Action::Untag(t) => self.tags.retain(|x| x != t),
                // No handler answers a conversation a human owns.
                Action::Handoff(_) | Action::Stop => stop = true,
                Action::Reply { .. } => {}
            }
        }
        stop
    }
}

async fn context<C: Conversations + ?Sized>(
    conversations: &C,
    turn: &Turn<'_>,
    conversation: &Conversation,
    message: &InboundMessage<Recipient>,
    seen: &Seen<'_>,
    depth: u32,
) -> Result<HandlerContext, StoreError> {
    let history = if depth == 0 {
        Vec::new()
    } else {
        let mut history = conversations
            .history(conversation, depth.saturating_add(1))
            .await?;
        history.retain(|h| {
            h.provider_message_id.as_deref() != Some(message.id.as_str()) || !h.author.is_inbound()
        });
        let extra = history.len().saturating_sub(depth as usize);
        history.drain(..extra);
        history
    };
    let now = chrono::DateTime::from_timestamp_millis(turn.clock.now_ms())
        .unwrap_or_default()
        .with_timezone(&turn.time_zone);
    Ok(HandlerContext {
        tenant: turn.tenant.to_owned(),
        contact: Contact {
            phone: message.from.phone().cloned(),
            user_id: message.from.user_id().or(message.user_id.as_ref()).cloned(),
            name: conversation
                .name
                .clone()
                .or_else(|| message.from_name.clone()),
            tags: seen.tags.clone(),
            fields: seen.fields.clone(),
        },
        state: seen.state.clone(),
        history,
        now,
    })
}
