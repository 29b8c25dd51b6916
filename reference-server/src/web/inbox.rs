//! The inbox: conversations (live), one conversation's messages (live)
//! with why the bot sent each of its replies, take over / hand back, and
//! the agent's reply. The rules are the inbox feature's
//! (`messaging::send_reply`, `inbox::take_over_conversation`, ...).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::page::{Chrome, FormErrors, PageError, PageResult, WebForm, invalid, render, see_other};
use super::session::Console;
use crate::AppState;
use crate::auth::Role;
use crate::domain::ConversationId;
use crate::inbox::{ConversationView, Direction, MessageView, Sender};
use crate::messaging::AgentReply;

/// A message as the conversation page shows it.
pub(super) struct Line {
    pub(super) inbound: bool,
    pub(super) who: &'static str,
    pub(super) text: String,
    pub(super) at: String,
    pub(super) status: &'static str,
    /// Why the bot sent it, or did not answer it.
    pub(super) why: Option<String>,
}

fn lines(chrome: &Chrome, messages: Vec<MessageView>) -> Vec<Line> {
    let lang = chrome.lang;
    messages
        .into_iter()
        .map(|m| Line {
            inbound: m.direction == Direction::In,
            who: match m.sender {
                Sender::Bot => lang.t("Bot", "Bot"),
                Sender::Agent => lang.t("Agen", "Agent"),
                Sender::Contact => lang.t("Pelanggan", "Customer"),
                Sender::System => lang.t("Sistem", "System"),
                Sender::Api => lang.t("API", "API"),
            },
            text: m.body.unwrap_or_else(|| format!("[{}]", m.kind)),
            at: super::public::time_text(m.created_at),
            status: m.status.as_str(),
            why: m.reason.map(|r| r.describe(lang)),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "web/inbox_list.html")]
struct ListFragment {
    chrome: Chrome,
    conversations: Vec<ConversationView>,
}

#[derive(Template)]
#[template(path = "web/inbox.html")]
struct InboxPage {
    chrome: Chrome,
    conversations: Vec<ConversationView>,
}

/// `GET /console/inbox`.
pub(super) async fn list(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Agent)?;
    let conversations = crate::inbox::conversations(&state, &c.member, 100).await?;
    Ok(render(&InboxPage {
        chrome: c.chrome.at("inbox"),
        conversations,
    })?
    .into_response())
}

/// `GET /console/inbox/events`: the conversation list, live.
pub(super) async fn list_events(State(state): State<AppState>, c: Console) -> PageResult {
    c.member.require(Role::Agent)?;
    let s = state.clone();
    let stream = super::live::stream(&state, "conversations", move || {
        let (s, member, chrome) = (s.clone(), c.member.clone(), c.chrome.clone());
        async move {
            let conversations = crate::inbox::conversations(&s, &member, 100).await?;
            ListFragment {
                chrome,
                conversations,
            }
            .render()
            .map_err(|e| crate::http::AppError::internal_from("rendering the inbox", e))
        }
    });
    Ok(stream.into_response())
}

#[derive(Template)]
#[template(path = "web/conversation_messages.html")]
struct MessagesFragment {
    chrome: Chrome,
    lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "web/conversation.html")]
struct ConversationPage {
    chrome: Chrome,
    conversation: ConversationView,
    lines: Vec<Line>,
    text: String,
    errors: FormErrors,
}

async fn conversation_page(
    state: &AppState,
    c: Console,
    id: &ConversationId,
    text: String,
    errors: FormErrors,
) -> Result<ConversationPage, PageError> {
    c.member.require(Role::Agent)?;
    let conversation = crate::inbox::conversation(state, &c.member, id).await?;
    let messages = crate::inbox::messages(state, &c.member, id, 200).await?;
    let chrome = c.chrome.at("inbox");
    Ok(ConversationPage {
        lines: lines(&chrome, messages),
        chrome,
        conversation,
        text,
        errors,
    })
}

/// `GET /console/inbox/{id}`.
pub(super) async fn show(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ConversationId>,
) -> PageResult {
    let page = conversation_page(&state, c, &id, String::new(), FormErrors::new()).await?;
    Ok(render(&page)?.into_response())
}

/// `GET /console/inbox/{id}/events`: the conversation's messages, live.
pub(super) async fn show_events(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ConversationId>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    crate::inbox::conversation(&state, &c.member, &id).await?;
    let s = state.clone();
    let stream = super::live::stream(&state, "messages", move || {
        let (s, member, chrome, id) = (s.clone(), c.member.clone(), c.chrome.clone(), id.clone());
        async move {
            let messages = crate::inbox::messages(&s, &member, &id, 200).await?;
            MessagesFragment {
                lines: lines(&chrome, messages),
                chrome,
            }
            .render()
            .map_err(|e| crate::http::AppError::internal_from("rendering a conversation", e))
        }
    });
    Ok(stream.into_response())
}

/// `POST /console/inbox/{id}/takeover`.
pub(super) async fn take_over(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ConversationId>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    crate::inbox::take_over_conversation(&state, &c.member, &id).await?;
    see_other(&format!("/console/inbox/{id}"))
}

/// `POST /console/inbox/{id}/handback`.
pub(super) async fn hand_back(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ConversationId>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    crate::inbox::hand_back_conversation(&state, &c.member, &id).await?;
    see_other(&format!("/console/inbox/{id}"))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    text: String,
}

/// `POST /console/inbox/{id}/reply`.
pub(super) async fn reply(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ConversationId>,
    WebForm(form): WebForm<ReplyForm>,
) -> PageResult {
    c.member.require(Role::Agent)?;
    let mut errors = FormErrors::new();
    if form.text.trim().is_empty() {
        errors.add(
            "text",
            &crate::http::i18n::Text::new(
                "pesan tidak boleh kosong",
                "the message must not be empty",
            ),
        );
    } else {
        let body = AgentReply {
            text: Some(form.text.clone()),
            message: None,
        };
        match crate::messaging::send_reply(&state, &c.member, &id, body).await {
            Ok(_) => return see_other(&format!("/console/inbox/{id}")),
            Err(e) => errors.absorb(e, &[("invalid_message", "text")])?,
        }
    }
    let page = conversation_page(&state, c, &id, form.text, errors).await?;
    invalid(&page)
}
