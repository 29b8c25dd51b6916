//! The host side of the contract that is the same in every version:
//! the `log`, `kv` and `llm` imports and the conversions between the
//! runtime's types and the WIT types.
//!
//! Each contract version has its own generated bindings, so its types are
//! distinct Rust types even where the WIT is identical. Rather than copy this
//! code into every version module, a version module expands
//! [`contract_glue!`] with its WIT folder (which generates the bindings and
//! the shared parts) and writes the few parts that differ between
//! versions: `CHECKS_CONFIG` (whether the world exports a configuration
//! check), `prepare_call` (runs that check), `handle_call` (calls `handle`)
//! and `manifest_from` (reads the manifest, with [`manifest_of`] for the
//! fields every version has); versions before 0.3.0 take the last two from
//! [`before_v0_3_0!`].

/// Generates the bindings of the `plugin` world in the WIT folder `$wit`
/// (module `bindings`, with `types`, `log`, `kv`, `llm`, `Plugin` and
/// `PluginPre` in scope) and expands the shared host impls and conversions
/// for them.
macro_rules! contract_glue {
    ($wit:literal) => {
        #[allow(missing_docs, unreachable_pub, clippy::all)]
        mod bindings {
            wasmtime::component::bindgen!({
                path: $wit,
                world: "plugin",
                imports: { default: async | trappable },
                exports: { default: async },
            });
        }

        use bindings::botcore::plugin::{kv, llm, log, types};
        use bindings::{Plugin, PluginPre};
        use wasmtime::Store;

        /// The runtime's manifest from the fields every version's manifest
        /// has, and the history depth where the version declares one.
        fn manifest_of(m: types::Manifest, history_depth: Option<u32>) -> crate::model::Manifest {
            crate::model::Manifest {
                name: m.name,
                version: m.version,
                events: m.events.into_iter().map(kind_from).collect(),
                config_schema: m.config_schema,
                debounce_ms: m.debounce_ms,
                history_depth,
            }
        }
        use chrono::{Datelike, Offset, Timelike};
        use whatsapp_client::Recipient;
        use whatsapp_client::webhook::{InboundMessage, MessageContent as WaContent};
        use whatsapp_client::{
            ListRow as WaRow, ListSection as WaSection, MediaKind as WaMediaKind, MediaSource,
            OutgoingMessage, ReplyButton,
        };

        use super::{CallError, HostState, LoadError, PluginHost, classify};
        use crate::handler::HandlerError;
        use crate::llm::{ChatMessage, ChatRequest, LlmError, Role};
        use crate::model::{Action, EventKind, HandlerContext};

        pub(super) fn add_to_linker(
            linker: &mut wasmtime::component::Linker<HostState>,
        ) -> wasmtime::Result<()> {
            Plugin::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(
                linker,
                |s| s,
            )
        }

        /// A pre-linked plugin of this contract version.
        pub(super) struct Pre {
            pre: PluginPre<HostState>,
            /// The `handle` export. `PluginPre::new` type-checked it (and
            /// every other export) against this version's world.
            handle: wasmtime::component::ComponentExportIndex,
        }

        impl Pre {
            /// Links `component` against this version; fails when it does not
            /// implement this version's world.
            pub(super) fn new(
                linker: &wasmtime::component::Linker<HostState>,
                component: &wasmtime::component::Component,
            ) -> Result<Self, LoadError> {
                let unsupported =
                    |e: wasmtime::Error| LoadError::UnsupportedContract(format!("{e:#}"));
                let linked = linker.instantiate_pre(component).map_err(unsupported)?;
                let pre = PluginPre::new(linked).map_err(unsupported)?;
                let handle = component
                    .get_export_index(None, "handle")
                    .ok_or_else(|| LoadError::UnsupportedContract("no `handle` export".into()))?;
                Ok(Self { pre, handle })
            }

            pub(super) async fn manifest(
                &self,
                host: &std::sync::Arc<PluginHost>,
            ) -> Result<crate::model::Manifest, LoadError> {
                let mut store = host.new_store("", "manifest", super::CallKind::Admin);
                let outcome = super::glue::guest_call!(self, host, store, |plugin| {
                    plugin.call_manifest(&mut store)
                });
                let m = outcome.map_err(|e| {
                    LoadError::Manifest(format!(
                        "manifest call failed: {}",
                        classify(&host.config, store.data(), e)
                    ))
                })?;
                Ok(manifest_from(m))
            }

            /// Runs the guest's configuration check (0.2.0 `validate-config`,
            /// 0.3.0 `prepare-config`) on `config` (JSON text that passed the
            /// schema): `Ok(Ok(prepared))` when accepted (empty bytes when the
            /// plugin prepares nothing), `Ok(Err(problems))` with one
            /// `(field, message)` per problem, or why the call itself failed.
            /// A version without a check accepts without running the plugin.
            pub(super) async fn prepare_config(
                &self,
                host: &std::sync::Arc<PluginHost>,
                plugin: &str,
                config: &str,
            ) -> Result<super::ConfigCheck, HandlerError> {
                if !CHECKS_CONFIG {
                    return Ok(Ok(Vec::new()));
                }
                let mut store = host.new_store("", plugin, super::CallKind::Admin);
                store.data_mut().validating = true;
                let outcome = super::glue::guest_call!(self, host, store, |instance| {
                    prepare_call(&instance, &mut store, config)
                });
                let result = outcome.map_err(|e| classify(&host.config, store.data(), e))?;
                Ok(result.map_err(super::problem_list))
            }

            pub(super) async fn handle(
                &self,
                host: &std::sync::Arc<PluginHost>,
                plugin: &str,
                message: &InboundMessage<Recipient>,
                ctx: &HandlerContext,
                config: &str,
                prepared: &[u8],
            ) -> Result<Vec<Action>, HandlerError> {
                let event = event_to_wit(message);
                let context = context_to_wit(ctx, config);
                let mut store = host.new_store(&ctx.tenant, plugin, super::CallKind::Event);
                // Not through the bindings' `instantiate_async`: it
                // type-checks every export again on every instantiation (a
                // tenth of an echo message); `Pre::new` checked them once.
                let fut = async {
                    let instance = self
                        .pre
                        .instance_pre()
                        .instantiate_async(&mut store)
                        .await
                        .map_err(CallError::Instantiate)?;
                    let func = instance.get_func(&mut store, self.handle).ok_or_else(|| {
                        CallError::Instantiate(wasmtime::format_err!("no `handle` export"))
                    })?;
                    handle_call(func, &mut store, &event, &context, prepared)
                        .await
                        .map_err(CallError::Call)
                };
                let outcome = super::glue::within_wall_timeout(host, fut).await;
                let result = outcome.map_err(|e| classify(&host.config, store.data(), e))?;
                let actions =
                    result.map_err(|e| HandlerError::Failed(e.chars().take(1000).collect()))?;
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
                if self.validating || key.len() > self.max_kv_key {
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

            async fn set(
                &mut self,
                key: String,
                value: Vec<u8>,
            ) -> wasmtime::Result<Result<(), String>> {
                if self.validating {
                    return Ok(Err(
                        "kv is not available while validating a configuration".into()
                    ));
                }
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
                if self.validating || key.len() > self.max_kv_key {
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
                if self.validating {
                    return Ok(Err(llm::LlmError::Refused(
                        "no LLM calls while validating a configuration".into(),
                    )));
                }
                let Some(service) = self.services.llm.clone() else {
                    return Ok(Err(llm::LlmError::NotConfigured));
                };
                // The call must end early enough for the plugin to act on a
                // failure (send its fallback text) before the host's wall
                // timeout stops it; see `HostConfig::llm_reserve`.
                let Some(budget) = self.llm_budget() else {
                    return Ok(Err(llm::LlmError::Refused(
                        "no time left in this event for an LLM call".into(),
                    )));
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
                let r = tokio::time::timeout(budget, service.complete(&self.tenant, request)).await;
                self.credit_since(start);
                let Ok(r) = r else {
                    tracing::warn!(
                        tenant = &*self.tenant,
                        plugin = &*self.plugin,
                        budget_ms = budget.as_millis() as u64,
                        "LLM call cut off to leave the plugin time for its fallback"
                    );
                    return Ok(Err(llm::LlmError::Refused(format!(
                        "the LLM call did not finish within the {} ms left for this event",
                        budget.as_millis()
                    ))));
                };
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

        pub(crate) fn event_to_wit(m: &InboundMessage<Recipient>) -> types::Event {
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
            // The local fields from one conversion, not one per field.
            let local = now.naive_local();
            types::Context {
                tenant: ctx.tenant.clone(),
                contact: types::Contact {
                    // Every contract version names the contact by one
                    // string: the E.164 number, or the business-scoped
                    // user id of a contact without one.
                    phone: match (&ctx.contact.phone, &ctx.contact.user_id) {
                        (Some(p), _) => p.e164().to_owned(),
                        (None, Some(u)) => u.as_str().to_owned(),
                        (None, None) => String::new(),
                    },
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
                    year: local.year(),
                    month: local.month() as u8,
                    day: local.day() as u8,
                    hour: local.hour() as u8,
                    minute: local.minute() as u8,
                    second: local.second() as u8,
                    weekday: local.weekday().number_from_monday() as u8,
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
    };
}

/// Instantiates a pre-linked plugin (`$pre.0`) in `$store` and runs `$call`
/// on the instance, all within the host's wall timeout: the outcome as a
/// `Result<_, CallError>` that says which stage failed.
macro_rules! guest_call {
    ($pre:ident, $host:ident, $store:ident, |$instance:ident| $call:expr) => {{
        let fut = async {
            let $instance = $pre
                .pre
                .instantiate_async(&mut $store)
                .await
                .map_err(CallError::Instantiate)?;
            $call.await.map_err(CallError::Call)
        };
        super::glue::within_wall_timeout($host, fut).await
    }};
}

/// Runs a plugin call (instantiation included) under the host's wall-clock
/// limit.
///
/// The timer is armed only when the call first waits: most plugins never
/// await the host (no LLM, no store), so their whole call completes in the
/// first poll, and registering and removing a timer for it cost more than
/// a tenth of an echo message. The limit still counts from the start.
pub(super) async fn within_wall_timeout<T>(
    host: &super::PluginHost,
    call: impl Future<Output = Result<T, super::CallError>>,
) -> Result<T, super::CallError> {
    let deadline = tokio::time::Instant::now() + host.config.wall_timeout;
    let mut call = std::pin::pin!(call);
    if let std::task::Poll::Ready(done) = futures::poll!(call.as_mut()) {
        return done;
    }
    tokio::time::timeout_at(deadline, call)
        .await
        .unwrap_or(Err(super::CallError::WallTimeout))
}

/// Expands `handle_call` and `manifest_from` for the versions before 0.3.0,
/// whose `handle` takes no prepared bytes and whose manifest declares no
/// history depth.
macro_rules! before_v0_3_0 {
    () => {
        async fn handle_call(
            handle: wasmtime::component::Func,
            store: &mut Store<HostState>,
            event: &types::Event,
            context: &types::Context,
            _prepared: &[u8],
        ) -> wasmtime::Result<Result<Vec<types::Action>, String>> {
            // SAFETY: `handle` is the `handle` export of an instance of a
            // component whose `Pre::new` type-checked that export against
            // this world (`PluginPre::new`), i.e. against these types.
            #[allow(unsafe_code)]
            let typed = unsafe {
                wasmtime::component::TypedFunc::<
                    (&types::Event, &types::Context),
                    (Result<Vec<types::Action>, String>,),
                >::new_unchecked(handle)
            };
            let (result,) = typed.call_async(store, (event, context)).await?;
            Ok(result)
        }

        fn manifest_from(m: types::Manifest) -> crate::model::Manifest {
            manifest_of(m, None)
        }
    };
}

pub(super) use before_v0_3_0;
pub(super) use contract_glue;
pub(super) use guest_call;
