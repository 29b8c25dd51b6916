//! `GET /console`: the first page after signing in, the newcomer's steps
//! in order, each marked done from the vendor's own data.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;

use super::page::{Chrome, PageResult, render};
use super::session::Console;
use crate::AppState;

/// One step of the newcomer journey.
pub(super) struct Step {
    pub(super) done: bool,
    pub(super) href: &'static str,
    pub(super) label: &'static str,
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct Home {
    chrome: Chrome,
    steps: Vec<Step>,
}

/// `GET /console`.
pub(super) async fn home(State(state): State<AppState>, c: Console) -> PageResult {
    let lang = c.chrome.lang;
    let progress = super::progress::of(&state, &c.member).await?;
    let steps = vec![
        Step {
            done: progress.devices > 0,
            href: "/console/devices",
            label: lang.t(
                "Sambungkan nomor WhatsApp (atau perangkat simulator)",
                "Connect a WhatsApp number (or a simulator device)",
            ),
        },
        Step {
            done: progress.bot_rules,
            href: "/console/bot",
            label: lang.t(
                "Buat aturan kata kunci untuk bot",
                "Create a keyword rule for the bot",
            ),
        },
        Step {
            done: progress.conversations > 0,
            href: "/console/inbox",
            label: lang.t(
                "Lihat percakapan di kotak masuk",
                "See conversations in the inbox",
            ),
        },
        Step {
            done: progress.contacts > 0,
            href: "/console/contacts",
            label: lang.t("Impor kontak", "Import contacts"),
        },
        Step {
            done: progress.campaigns,
            href: "/console/campaigns",
            label: lang.t(
                "Kirim kampanye ke kontak Anda",
                "Send a campaign to your contacts",
            ),
        },
        Step {
            done: progress.paid,
            href: "/console/billing",
            label: lang.t("Pilih paket dan bayar", "Choose a plan and pay"),
        },
    ];
    Ok(render(&Home {
        chrome: c.chrome.at("home"),
        steps,
    })?
    .into_response())
}
