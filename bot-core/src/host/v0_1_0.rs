//! Host bindings for `botcore:plugin@0.1.0` (frozen; see `wit/since_v0.1.0`).
//!
//! A later contract version gets its own module next to this one; this one
//! stays so plugins built against 0.1.0 keep loading.

use std::sync::Arc;

use chrono::{Datelike, Offset, Timelike};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Store, UpdateDeadline};
use whatsapp_client::webhook::{InboundMessage, MessageContent as WaContent};
use whatsapp_client::{
    ListRow as WaRow, ListSection as WaSection, MediaKind as WaMediaKind, MediaSource,
    OutgoingMessage, ReplyButton,
};

use super::{HostState, LoadError, PluginHost};
use crate::handler::HandlerError;
use crate::llm::{ChatMessage, ChatRequest, LlmError, Role};
use crate::model::{Action, EventKind, HandlerContext, Manifest};

#[allow(missing_docs, unreachable_pub, clippy::all)]
mod bindings {
    wasmtime::component::bindgen!({
        path: "wit/since_v0.1.0",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

use bindings::botcore::plugin::{kv, llm, log, types};
use bindings::{Plugin, PluginPre};

pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    Plugin::add_to_linker::<HostState, HasSelf<HostState>>(linker, |s| s)
}

impl types::Host for HostState {}

impl log::Host for HostState {
    async fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // Plugin text is data: bounded and logged as a field, never as format.
        let message: String = message.chars().take(2000).collect();
        let (tenant, plugin) = (&*self.tenant, &*self.plugin);
        match level {
            log::Level::Trace => tracing::trace!(tenant, plugin, message, "plugin log"),
            log::Level::Debug => tracing::debug!(tenant, plugin, message, "plugin log"),
            log::Level::Info => tracing::info!(tenant, plugin, message, "plugin log"),
            log::Level::Warn => tracing::warn!(tenant, plugin, message, "plugin log"),
            log::Level::Error => tracing::error!(tenant, plugin, message, "plugin log"),
        }
        Ok(())
    }
}

impl kv::Host for HostState {
    async fn get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        if key.len() > self.max_kv_key {
            return Ok(None);
        }
        let start = self.tick();
        let r = self
            .services
            .store
            .kv_get(&self.tenant, &self.plugin, &key)
            .await;
        self.credit_since(start);
        r.map_err(|e| wasmtime::format_err!("kv store failed: {e}"))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<Result<(), String>> {
        if key.is_empty() || key.len() > self.max_kv_key {
            return Ok(Err(format!(
                "kv key must be 1 to {} bytes",
                self.max_kv_key
            )));
        }
        if value.len() > self.max_kv_value {
            return Ok(Err(format!(
                "kv value must be at most {} bytes",
                self.max_kv_value
            )));
        }
        let start = self.tick();
        let r = self
            .services
            .store
            .kv_set(&self.tenant, &self.plugin, &key, &value)
            .await;
        self.credit_since(start);
        r.map_err(|e| wasmtime::format_err!("kv store failed: {e}"))?;
        Ok(Ok(()))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<()> {
        if key.len() > self.max_kv_key {
            return Ok(());
        }
        let start = self.tick();
        let r = self
            .services
            .store
            .kv_delete(&self.tenant, &self.plugin, &key)
            .await;
        self.credit_since(start);
        r.map_err(|e| wasmtime::format_err!("kv store failed: {e}"))
    }
}

impl llm::Host for HostState {
    async fn complete(
        &mut self,
        request: llm::Request,
    ) -> wasmtime::Result<Result<llm::Response, llm::LlmError>> {
        let Some(service) = self.services.llm.clone() else {
            return Ok(Err(llm::LlmError::NotConfigured));
        };
        if self.llm_calls >= self.max_llm_calls {
            return Ok(Err(llm::LlmError::Refused(format!(
                "at most {} LLM calls per event",
                self.max_llm_calls
            ))));
        }
        self.llm_calls += 1;
        let request = ChatRequest {
            system: request.system,
            messages: request
                .messages
                .into_iter()
                .map(|m| ChatMessage {
                    role: match m.role {
                        llm::Role::User => Role::User,
                        llm::Role::Assistant => Role::Assistant,
                    },
                    content: m.content,
                })
                .collect(),
            max_tokens: request.max_tokens,
            temperature: request.temperature,
        };
        let start = self.tick();
        let r = service.complete(&self.tenant, request).await;
        self.credit_since(start);
        Ok(match r {
            Ok(r) => Ok(llm::Response {
                text: r.text,
                usage: llm::Usage {
                    input_tokens: r.usage.input_tokens,
                    output_tokens: r.usage.output_tokens,
                },
                provider: r.provider,
                model: r.model,
            }),
            Err(LlmError::NotConfigured) => Err(llm::LlmError::NotConfigured),
            Err(LlmError::LimitExceeded) => Err(llm::LlmError::LimitExceeded),
            Err(LlmError::Provider {
                provider,
                message,
                retryable,
            }) => Err(llm::LlmError::Provider(llm::ProviderError {
                provider,
                message,
                retryable,
            })),
        })
    }
}

/// A pre-linked 0.1.0 plugin.
pub(super) struct Pre(PluginPre<HostState>);

impl Pre {
    pub(super) fn new(
        linker: &Linker<HostState>,
        component: &Component,
    ) -> Result<Self, LoadError> {
        let pre = linker
            .instantiate_pre(component)
            .map_err(|e| LoadError::UnsupportedContract(format!("{e:#}")))?;
        PluginPre::new(pre)
            .map(Self)
            .map_err(|e| LoadError::UnsupportedContract(format!("{e:#}")))
    }

    fn store(host: &PluginHost, tenant: &str, plugin: &str) -> Store<HostState> {
        let mut store = Store::new(&host.engine, host.new_state(tenant, plugin));
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(host.config.deadline_ticks());
        store.epoch_deadline_callback(|mut ctx| {
            let s = ctx.data_mut();
            let credit = std::mem::take(&mut s.credit);
            if credit > 0 {
                Ok(UpdateDeadline::Continue(credit))
            } else {
                s.timed_out = true;
                Ok(UpdateDeadline::Interrupt)
            }
        });
        store
    }

    pub(super) async fn manifest(&self, host: &Arc<PluginHost>) -> Result<Manifest, LoadError> {
        let mut store = Self::store(host, "", "manifest");
        let fut = async {
            let plugin = self.0.instantiate_async(&mut store).await?;
            plugin.call_manifest(&mut store).await
        };
        let m = tokio::time::timeout(host.config.wall_timeout, fut)
            .await
            .map_err(|_| LoadError::Manifest("manifest call timed out".into()))?
            .map_err(|e| LoadError::Manifest(format!("manifest call failed: {e:#}")))?;
        Ok(Manifest {
            name: m.name,
            version: m.version,
            events: m.events.into_iter().map(kind_from).collect(),
            config_schema: m.config_schema,
            debounce_ms: m.debounce_ms,
        })
    }

    pub(super) async fn handle(
        &self,
        host: &Arc<PluginHost>,
        plugin: &str,
        message: &InboundMessage,
        ctx: &HandlerContext,
        config: &str,
    ) -> Result<Vec<Action>, HandlerError> {
        let event = event_to_wit(message);
        let context = context_to_wit(ctx, config);
        let mut store = Self::store(host, &ctx.tenant, plugin);
        let fut = async {
            let instance = self.0.instantiate_async(&mut store).await?;
            instance.call_handle(&mut store, &event, &context).await
        };
        let outcome = tokio::time::timeout(host.config.wall_timeout, fut).await;
        let data = store.data();
        let result = match outcome {
            Err(_) => return Err(HandlerError::Timeout(host.config.wall_timeout)),
            Ok(Err(_)) if data.timed_out => {
                return Err(HandlerError::Timeout(host.config.cpu_deadline));
            }
            Ok(Err(_)) if data.limits.hit_memory => {
                return Err(HandlerError::OutOfMemory(data.limits.memory));
            }
            Ok(Err(e)) => {
                let msg = format!("{e:#}");
                if msg.contains("concurrent") || msg.contains("pooling") || msg.contains("maximum")
                {
                    return Err(HandlerError::Instantiate(msg));
                }
                return Err(HandlerError::Trap(msg));
            }
            Ok(Ok(r)) => r,
        };
        let actions = result.map_err(|e| HandlerError::Failed(e.chars().take(1000).collect()))?;
        if actions.len() > host.config.max_actions {
            return Err(HandlerError::BadOutput(format!(
                "{} actions (at most {})",
                actions.len(),
                host.config.max_actions
            )));
        }
        actions
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                action_from(a, host.config.max_state)
                    .map_err(|e| HandlerError::BadOutput(format!("action {i}: {e}")))
            })
            .collect()
    }
}

fn kind_from(k: types::EventKind) -> EventKind {
    match k {
        types::EventKind::Text => EventKind::Text,
        types::EventKind::Media => EventKind::Media,
        types::EventKind::Interactive => EventKind::Interactive,
        types::EventKind::Location => EventKind::Location,
        types::EventKind::Other => EventKind::Other,
    }
}

fn media_kind_to(k: WaMediaKind) -> types::MediaKind {
    match k {
        WaMediaKind::Image => types::MediaKind::Image,
        WaMediaKind::Video => types::MediaKind::Video,
        WaMediaKind::Audio => types::MediaKind::Audio,
        WaMediaKind::Document => types::MediaKind::Document,
        _ => types::MediaKind::Sticker,
    }
}

fn media_kind_from(k: types::MediaKind) -> WaMediaKind {
    match k {
        types::MediaKind::Image => WaMediaKind::Image,
        types::MediaKind::Video => WaMediaKind::Video,
        types::MediaKind::Audio => WaMediaKind::Audio,
        types::MediaKind::Document => WaMediaKind::Document,
        types::MediaKind::Sticker => WaMediaKind::Sticker,
    }
}

pub(crate) fn event_to_wit(m: &InboundMessage) -> types::Event {
    let content = match &m.content {
        WaContent::Text { body } => types::MessageContent::Text(body.clone()),
        WaContent::Media(media) => types::MessageContent::Media(types::InboundMedia {
            kind: media_kind_to(media.kind),
            id: media.id.clone(),
            url: media.url.clone(),
            caption: media.caption.clone(),
            mime_type: media.mime_type.clone(),
            filename: media.filename.clone(),
        }),
        WaContent::ButtonReply { id, title } | WaContent::ListReply { id, title, .. } => {
            types::MessageContent::Interactive(types::InteractiveReply {
                id: id.clone(),
                title: title.clone(),
            })
        }
        WaContent::TemplateButton { payload, text } => {
            types::MessageContent::Interactive(types::InteractiveReply {
                id: payload.clone().unwrap_or_default(),
                title: text.clone(),
            })
        }
        WaContent::Location {
            latitude,
            longitude,
            name,
            address,
        } => types::MessageContent::Location(types::Location {
            latitude: *latitude,
            longitude: *longitude,
            name: name.clone(),
            address: address.clone(),
        }),
        other => types::MessageContent::Other(other.kind().to_owned()),
    };
    types::Event::Message(types::InboundMessage {
        id: m.id.clone(),
        content,
        timestamp_ms: m
            .timestamp
            .map(|t| t.timestamp_millis())
            .unwrap_or_default(),
    })
}

pub(crate) fn context_to_wit(ctx: &HandlerContext, config: &str) -> types::Context {
    let now = &ctx.now;
    types::Context {
        tenant: ctx.tenant.clone(),
        contact: types::Contact {
            phone: ctx.contact.phone.e164().to_owned(),
            name: ctx.contact.name.clone(),
            tags: ctx.contact.tags.clone(),
            fields: ctx
                .contact
                .fields
                .iter()
                .map(|(k, v)| types::Field {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        },
        state: ctx.state.clone(),
        history: ctx
            .history
            .iter()
            .map(|h| types::HistoryEntry {
                direction: if h.author.is_inbound() {
                    types::Direction::Inbound
                } else {
                    types::Direction::Outbound
                },
                text: h.text.clone(),
                timestamp_ms: h.at_ms,
            })
            .collect(),
        config: config.to_owned(),
        now: types::LocalTime {
            timestamp_ms: now.timestamp_millis(),
            time_zone: now.timezone().name().to_owned(),
            utc_offset_seconds: now.offset().fix().local_minus_utc(),
            year: now.year(),
            month: now.month() as u8,
            day: now.day() as u8,
            hour: now.hour() as u8,
            minute: now.minute() as u8,
            second: now.second() as u8,
            weekday: now.weekday().number_from_monday() as u8,
        },
    }
}

fn action_from(a: types::Action, max_state: usize) -> Result<Action, String> {
    Ok(match a {
        types::Action::Reply(r) => {
            let message = match r.content {
                types::ReplyContent::Text(t) => OutgoingMessage::text(t),
                types::ReplyContent::Media(m) => {
                    let mut msg = whatsapp_client::MediaMessage::new(
                        media_kind_from(m.kind),
                        MediaSource::link(m.url),
                    );
                    msg.caption = m.caption;
                    msg.filename = m.filename;
                    OutgoingMessage::Media(msg)
                }
                types::ReplyContent::Buttons(b) => {
                    let msg = OutgoingMessage::buttons(
                        b.body,
                        b.buttons
                            .into_iter()
                            .map(|x| ReplyButton::new(x.id, x.title))
                            .collect(),
                    );
                    with_footer(msg, b.footer)
                }
                types::ReplyContent::List(l) => {
                    let sections = l
                        .sections
                        .into_iter()
                        .map(|s| {
                            let rows = s
                                .rows
                                .into_iter()
                                .map(|r| {
                                    let row = WaRow::new(r.id, r.title);
                                    match r.description {
                                        Some(d) => row.with_description(d),
                                        None => row,
                                    }
                                })
                                .collect();
                            WaSection::new((!s.title.is_empty()).then_some(s.title), rows)
                        })
                        .collect();
                    with_footer(
                        OutgoingMessage::list(l.body, l.button_label, sections),
                        l.footer,
                    )
                }
            };
            message
                .validate()
                .map_err(|e| format!("invalid reply: {e}"))?;
            Action::Reply {
                message,
                matched: r.matched.map(|m| m.chars().take(200).collect()),
            }
        }
        types::Action::SetState(s) => {
            if s.as_ref().is_some_and(|s| s.len() > max_state) {
                return Err(format!("state larger than {max_state} bytes"));
            }
            Action::SetState(s)
        }
        types::Action::Tag(t) => Action::Tag(check_tag(&t)?),
        types::Action::Untag(t) => Action::Untag(check_tag(&t)?),
        types::Action::Handoff(reason) => {
            Action::Handoff(reason.map(|r| r.chars().take(500).collect()))
        }
        types::Action::Stop => Action::Stop,
    })
}

fn with_footer(msg: OutgoingMessage, footer: Option<String>) -> OutgoingMessage {
    match (msg, footer) {
        (OutgoingMessage::Interactive(i), Some(f)) => {
            OutgoingMessage::Interactive(i.with_footer(f))
        }
        (m, _) => m,
    }
}

fn check_tag(t: &str) -> Result<String, String> {
    let t = t.trim().to_owned();
    if t.is_empty() || t.chars().count() > 64 {
        return Err("a tag must be 1 to 64 characters".into());
    }
    Ok(t)
}
