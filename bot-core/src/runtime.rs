//! The runtime: per-tenant pipelines over a [`ConversationStore`], run by
//! the [`crate::pipeline`] (de-duplication, debounce, human handoff,
//! history), with the actions performed here and reported per event.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Serialize;
use whatsapp_client::webhook::{Event, InboundMessage};
use whatsapp_client::{OutgoingMessage, Provider, Recipient, SendReceipt};

use async_trait::async_trait;

use crate::clock::{Clock, SystemClock};
use crate::handler::{Handler, HandlerError};
use crate::host::{HostConfig, LoadError, PluginHost};
use crate::llm::LlmService;
use crate::model::{Action, Author, Conversation, HistoryEntry, Owner};
use crate::pipeline::{self, Conversations, Perform, Turn};
pub use crate::pipeline::{Outcome, PluginRun, RunStatus};
use crate::store::{ConversationStore, StoreError, key_of};

/// A tenant's pipeline and settings.
#[derive(Clone)]
pub struct TenantConfig {
    /// Handlers, called in order.
    pub pipeline: Vec<Arc<dyn Handler>>,
    /// Where replies are sent ([`TenantConfig::paced`] wraps it in
    /// `whatsapp_client`'s pacing wrapper).
    pub provider: Arc<dyn Provider>,
    /// The vendor's time zone (default `Asia/Jakarta`).
    pub time_zone: Tz,
    /// A human-owned conversation goes back to the bot after this long
    /// without being handed back (default 1 hour; `None`: never).
    pub handoff_timeout: Option<Duration>,
}

impl fmt::Debug for TenantConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantConfig")
            .field(
                "pipeline",
                &self
                    .pipeline
                    .iter()
                    .map(|h| h.name().to_owned())
                    .collect::<Vec<_>>(),
            )
            .field("provider", &self.provider.kind())
            .field("time_zone", &self.time_zone)
            .field("handoff_timeout", &self.handoff_timeout)
            .finish()
    }
}

impl TenantConfig {
    /// A tenant sending through `provider`, with an empty pipeline.
    #[must_use]
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self {
            pipeline: Vec::new(),
            provider,
            time_zone: chrono_tz::Asia::Jakarta,
            handoff_timeout: Some(Duration::from_secs(3600)),
        }
    }

    /// A tenant sending through `provider` wrapped in `whatsapp_client`'s
    /// [`Paced`](whatsapp_client::Paced) with `pacing`, so replies keep to
    /// the sender rate and the per-recipient pair limit. Use [`Self::new`]
    /// when the provider is already paced (e.g. shared with a broadcast
    /// sender that must count against the same limits).
    #[must_use]
    pub fn paced(provider: Arc<dyn Provider>, pacing: &whatsapp_client::PacingConfig) -> Self {
        Self::new(Arc::new(whatsapp_client::Paced::new(provider, pacing)))
    }

    /// Appends a handler to the pipeline.
    #[must_use]
    pub fn handler(mut self, h: impl Handler + 'static) -> Self {
        self.pipeline.push(Arc::new(h));
        self
    }

    /// Appends a shared handler to the pipeline.
    #[must_use]
    pub fn handler_arc(mut self, h: Arc<dyn Handler>) -> Self {
        self.pipeline.push(h);
        self
    }

    /// Sets the time zone.
    #[must_use]
    pub fn time_zone(mut self, tz: Tz) -> Self {
        self.time_zone = tz;
        self
    }

    /// Sets the handoff timeout.
    #[must_use]
    pub fn handoff_timeout(mut self, t: Option<Duration>) -> Self {
        self.handoff_timeout = t;
        self
    }
}

/// Why the runtime could not process an event at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// No pipeline is configured for the tenant.
    #[error("unknown tenant `{0}`")]
    UnknownTenant(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sending failed (agent messages only; bot replies report failures in
    /// the [`EventReport`]).
    #[error("send failed: {0}")]
    Send(#[from] whatsapp_client::Error),
    /// The message is invalid.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
}

/// A reply the pipeline sent (or tried to).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentReply {
    /// The handler that produced it.
    pub plugin: String,
    /// What produced it inside the handler (e.g. keyword rule id).
    pub matched: Option<String>,
    /// The message.
    pub message: OutgoingMessage,
    /// The provider's message id when sent.
    pub provider_message_id: Option<String>,
    /// The send error, when it failed.
    pub error: Option<String>,
}

/// What the runtime did with one event; the embedding app stores and
/// counts from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventReport {
    /// The tenant.
    pub tenant: String,
    /// The provider message id.
    pub message_id: Option<String>,
    /// The sender: an E.164 number, or a business-scoped user id.
    pub contact: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Each handler's turn, in pipeline order.
    pub runs: Vec<PluginRun>,
    /// Replies, in order.
    pub replies: Vec<SentReply>,
    /// Tags added.
    pub tags_added: Vec<String>,
    /// Tags removed.
    pub tags_removed: Vec<String>,
    /// The new state, when a handler changed it (`Some(None)`: cleared).
    pub state: Option<Option<String>>,
    /// Set when a handler handed the conversation to a human (the reason).
    pub handoff: Option<Option<String>>,
    /// The handler that stopped the pipeline, if one did.
    pub stopped_by: Option<String>,
}

impl EventReport {
    fn new(tenant: &str, message: Option<&InboundMessage<Recipient>>, outcome: Outcome) -> Self {
        Self {
            tenant: tenant.to_owned(),
            message_id: message.map(|m| m.id.clone()),
            contact: message.map(|m| m.from.to_string()),
            outcome,
            runs: Vec::new(),
            replies: Vec::new(),
            tags_added: Vec::new(),
            tags_removed: Vec::new(),
            state: None,
            handoff: None,
            stopped_by: None,
        }
    }

    /// What produced each reply (keyword rule ids ...), for "top matched
    /// keywords" statistics.
    pub fn matched(&self) -> impl Iterator<Item = &str> {
        self.replies.iter().filter_map(|r| r.matched.as_deref())
    }

    /// Handlers that failed, with their errors.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &HandlerError)> {
        self.runs.iter().filter_map(|r| match &r.status {
            RunStatus::Failed { error } => Some((r.plugin.as_str(), error)),
            _ => None,
        })
    }
}

/// Builds a [`Runtime`].
pub struct RuntimeBuilder {
    store: Arc<dyn ConversationStore>,
    llm: Option<Arc<dyn LlmService>>,
    host: HostConfig,
    clock: Arc<dyn Clock>,
    history_limit: u32,
}

impl fmt::Debug for RuntimeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeBuilder")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl RuntimeBuilder {
    /// Sets the LLM service behind the plugins' `llm` import.
    #[must_use]
    pub fn llm(mut self, llm: Arc<dyn LlmService>) -> Self {
        self.llm = Some(llm);
        self
    }

    /// Sets the plugin host's limits.
    #[must_use]
    pub fn host_config(mut self, config: HostConfig) -> Self {
        self.host = config;
        self
    }

    /// Sets the clock (tests).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How many history entries handlers see when they do not declare
    /// their own [`Handler::history_depth`] (default 20).
    #[must_use]
    pub fn history_limit(mut self, n: u32) -> Self {
        self.history_limit = n;
        self
    }

    /// Starts the plugin host (engine, instance pool, epoch thread).
    pub fn build(self) -> Result<Runtime, LoadError> {
        let host = Arc::new(PluginHost::new(self.host, self.store.clone(), self.llm)?);
        Ok(Runtime {
            store: self.store,
            host,
            clock: self.clock,
            history_limit: self.history_limit,
            tenants: RwLock::default(),
        })
    }
}

/// The bot runtime: one per process, serving every tenant.
pub struct Runtime {
    store: Arc<dyn ConversationStore>,
    host: Arc<PluginHost>,
    clock: Arc<dyn Clock>,
    history_limit: u32,
    tenants: RwLock<HashMap<String, Arc<TenantConfig>>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Starts building a runtime on `store`.
    #[must_use]
    pub fn builder(store: Arc<dyn ConversationStore>) -> RuntimeBuilder {
        RuntimeBuilder {
            store,
            llm: None,
            host: HostConfig::default(),
            clock: Arc::new(SystemClock),
            history_limit: 20,
        }
    }

    /// The plugin host (load plugins with it).
    #[must_use]
    pub fn host(&self) -> &Arc<PluginHost> {
        &self.host
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<dyn ConversationStore> {
        &self.store
    }

    /// Sets (or replaces) a tenant's pipeline.
    pub fn set_tenant(&self, tenant: &str, config: TenantConfig) {
        self.tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(tenant.to_owned(), Arc::new(config));
    }

    /// Forgets inbound message ids claimed more than `age` ago (run it
    /// periodically, e.g. daily with 7 days: providers do not retry older
    /// deliveries). Returns how many were forgotten.
    pub async fn forget_inbound_older_than(&self, age: Duration) -> Result<u64, RuntimeError> {
        let age_ms = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
        let before = self.clock.now_ms().saturating_sub(age_ms);
        Ok(self.store.forget_inbound_before(before).await?)
    }

    /// Removes a tenant's pipeline.
    pub fn remove_tenant(&self, tenant: &str) {
        self.tenants
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(tenant);
    }

    fn tenant(&self, tenant: &str) -> Result<Arc<TenantConfig>, RuntimeError> {
        self.tenants
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(tenant)
            .cloned()
            .ok_or_else(|| RuntimeError::UnknownTenant(tenant.to_owned()))
    }

    /// Processes one normalized inbound event for `tenant`: de-duplicates it
    /// by provider message id, stores it, runs the pipeline unless a human
    /// owns the conversation, performs the actions and reports what happened.
    ///
    /// Senders with a phone number ([`Event::Message`]) and senders known
    /// only by a business-scoped user id ([`Event::UserIdMessage`]) are
    /// handled alike and answered through the tenant's provider
    /// ([`Provider::send_to`]; a provider that cannot address user ids
    /// reports the refused reply in [`SentReply::error`]).
    ///
    /// Handlers with a debounce window make this call wait for the window.
    pub async fn handle_event(
        &self,
        tenant: &str,
        event: &Event,
    ) -> Result<EventReport, RuntimeError> {
        match event.clone().into_message() {
            Some(m) => self.handle_message(tenant, &m).await,
            None => Ok(EventReport::new(tenant, None, Outcome::NotAMessage)),
        }
    }

    /// [`Runtime::handle_event`] for a message (convert a phone-number
    /// message with `.into()`).
    pub async fn handle_message(
        &self,
        tenant: &str,
        msg: &InboundMessage<Recipient>,
    ) -> Result<EventReport, RuntimeError> {
        let cfg = self.tenant(tenant)?;
        let conversations: &dyn ConversationStore = &*self.store;
        let Some(conversation) = conversations
            .receive(tenant, msg, self.clock.now_ms())
            .await?
        else {
            return Ok(EventReport::new(tenant, Some(msg), Outcome::Duplicate));
        };
        let turn = Turn {
            tenant,
            handlers: &cfg.pipeline,
            time_zone: cfg.time_zone,
            handoff_timeout: cfg.handoff_timeout,
            history_limit: self.history_limit,
            clock: &*self.clock,
        };
        // Replies go to the conversation's number when it has one (Meta
        // prefers numbers), else to the sender's user id.
        let to = match Recipient::parse(&conversation.contact) {
            Ok(phone @ Recipient::Phone(_)) => phone,
            _ => msg.from.clone(),
        };
        let mut performer = Performer {
            runtime: self,
            cfg: &cfg,
            to,
            contact: &conversation.contact,
            report: EventReport::new(tenant, Some(msg), Outcome::Handled),
        };
        let answer =
            pipeline::answer(conversations, &turn, &conversation, msg, &mut performer).await?;
        let mut report = performer.report;
        report.outcome = answer.outcome;
        report.runs = answer.runs;
        report.stopped_by = answer.stopped_by;
        Ok(report)
    }
}

/// Performs the handlers' actions for [`Runtime::handle_message`]: sends
/// replies through the tenant's provider and records everything in the
/// runtime's store and the report.
struct Performer<'a> {
    runtime: &'a Runtime,
    cfg: &'a TenantConfig,
    /// Where replies go.
    to: Recipient,
    /// The store's key of the conversation.
    contact: &'a str,
    report: EventReport,
}

#[async_trait]
impl Perform for Performer<'_> {
    type Error = RuntimeError;

    async fn perform(&mut self, plugin: &str, actions: &[Action]) -> Result<(), RuntimeError> {
        let (store, clock) = (&self.runtime.store, &self.runtime.clock);
        let tenant = self.report.tenant.as_str();
        let phone = self.contact;
        for action in actions {
            match action {
                Action::Reply { message, matched } => {
                    let sent = self.cfg.provider.send_to(&self.to, message).await;
                    let (id, error) = match sent {
                        Ok(r) => (r.message_id, None),
                        Err(e) => {
                            tracing::warn!(tenant, plugin, error = %e, "reply not sent");
                            (None, Some(e.to_string()))
                        }
                    };
                    if error.is_none() {
                        store
                            .append(
                                tenant,
                                phone,
                                &HistoryEntry {
                                    author: Author::Bot,
                                    text: outgoing_text(message),
                                    provider_message_id: id.clone(),
                                    at_ms: clock.now_ms(),
                                },
                            )
                            .await?;
                    }
                    self.report.replies.push(SentReply {
                        plugin: plugin.to_owned(),
                        matched: matched.clone(),
                        message: message.clone(),
                        provider_message_id: id,
                        error,
                    });
                }
                Action::SetState(s) => {
                    store.set_state(tenant, phone, s.as_deref()).await?;
                    self.report.state = Some(s.clone());
                }
                Action::Tag(t) => {
                    store.add_tag(tenant, phone, t).await?;
                    self.report.tags_added.push(t.clone());
                }
                Action::Untag(t) => {
                    store.remove_tag(tenant, phone, t).await?;
                    self.report.tags_removed.push(t.clone());
                }
                Action::Handoff(reason) => {
                    store
                        .set_owner(
                            tenant,
                            phone,
                            Owner::Human,
                            reason.as_deref(),
                            clock.now_ms(),
                        )
                        .await?;
                    tracing::info!(tenant, plugin, "conversation handed to a human");
                    self.report.handoff = Some(reason.clone());
                }
                Action::Stop => {}
            }
        }
        Ok(())
    }
}

impl Runtime {
    /// The store's key of `contact`'s conversation: a number, or a user id
    /// the store knows as another contact's (see
    /// [`ConversationStore::contact_key`]).
    async fn key(&self, tenant: &str, contact: &Recipient) -> Result<String, RuntimeError> {
        Ok(key_of(&*self.store, tenant, contact, None, self.clock.now_ms()).await?)
    }

    /// A human agent takes the conversation over: no plugin runs for this
    /// contact until [`Runtime::hand_back`] or the tenant's handoff timeout.
    /// `contact` is a phone number or a business-scoped user id (`&phone`
    /// and `&user_id` convert with `.into()`).
    pub async fn take_over(
        &self,
        tenant: &str,
        contact: &Recipient,
        note: Option<&str>,
    ) -> Result<(), RuntimeError> {
        let key = self.key(tenant, contact).await?;
        self.store
            .set_owner(tenant, &key, Owner::Human, note, self.clock.now_ms())
            .await?;
        Ok(())
    }

    /// Gives the conversation back to the bot.
    pub async fn hand_back(&self, tenant: &str, contact: &Recipient) -> Result<(), RuntimeError> {
        let key = self.key(tenant, contact).await?;
        self.store
            .set_owner(tenant, &key, Owner::Bot, None, self.clock.now_ms())
            .await?;
        Ok(())
    }

    /// The tenant's conversations, most recent first.
    pub async fn conversations(
        &self,
        tenant: &str,
        limit: u32,
    ) -> Result<Vec<Conversation>, RuntimeError> {
        Ok(self.store.conversations(tenant, limit).await?)
    }

    /// One conversation, by the contact's number or user id.
    pub async fn conversation(
        &self,
        tenant: &str,
        contact: &Recipient,
    ) -> Result<Option<Conversation>, RuntimeError> {
        let key = self.key(tenant, contact).await?;
        Ok(self.store.conversation(tenant, &key).await?)
    }

    /// The last `limit` messages of a conversation, oldest first.
    pub async fn history(
        &self,
        tenant: &str,
        contact: &Recipient,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, RuntimeError> {
        let key = self.key(tenant, contact).await?;
        Ok(self.store.history(tenant, &key, limit).await?)
    }

    /// Records a message a human agent sent (through any channel) in the
    /// conversation history.
    pub async fn record_agent_message(
        &self,
        tenant: &str,
        contact: &Recipient,
        text: &str,
        provider_message_id: Option<&str>,
    ) -> Result<(), RuntimeError> {
        let key = self.key(tenant, contact).await?;
        self.append_agent(tenant, &key, text, provider_message_id)
            .await
    }

    async fn append_agent(
        &self,
        tenant: &str,
        key: &str,
        text: &str,
        provider_message_id: Option<&str>,
    ) -> Result<(), RuntimeError> {
        let now = self.clock.now_ms();
        self.store.touch(tenant, key, None, now).await?;
        self.store
            .append(
                tenant,
                key,
                &HistoryEntry {
                    author: Author::Agent,
                    text: text.to_owned(),
                    provider_message_id: provider_message_id.map(str::to_owned),
                    at_ms: now,
                },
            )
            .await?;
        Ok(())
    }

    /// Sends a message as a human agent through the tenant's provider and
    /// records it in the history. A contact given by user id whose
    /// conversation has since learnt their number is sent to by number.
    pub async fn send_as_agent(
        &self,
        tenant: &str,
        contact: &Recipient,
        message: &OutgoingMessage,
    ) -> Result<SendReceipt, RuntimeError> {
        let cfg = self.tenant(tenant)?;
        message
            .validate()
            .map_err(|e| RuntimeError::InvalidMessage(e.to_string()))?;
        let key = self.key(tenant, contact).await?;
        let to = Recipient::parse(&key).unwrap_or_else(|_| contact.clone());
        let receipt = cfg.provider.send_to(&to, message).await?;
        self.append_agent(
            tenant,
            &key,
            &outgoing_text(message),
            receipt.message_id.as_deref(),
        )
        .await?;
        Ok(receipt)
    }
}

fn outgoing_text(m: &OutgoingMessage) -> String {
    match m {
        OutgoingMessage::Interactive(i) => i.body.clone(),
        other => other
            .as_text()
            .map_or_else(|| format!("[{}]", other.kind()), str::to_owned),
    }
}
