//! The web console: server-rendered HTML pages for vendors (and later
//! platform admins and buyers), from the same binary as the JSON API.
//!
//! - Pages call the same feature functions and permission checks as the
//!   JSON API: a handler takes [`session::Console`] (the API's
//!   `CurrentMember`, from the session cookie) and calls
//!   `member.require(Role::...)` and the feature's functions. No rule is
//!   written twice; a rule that lived in a JSON handler moves into the
//!   feature and both faces call it.
//! - Templates are askama files under `reference-server/templates/web/`,
//!   checked at compile time; every page struct has a `chrome:`
//!   [`page::Chrome`] field that the base layout reads.
//! - htmx (vendored, embedded by [`assets`]) does partial updates;
//!   server-sent events carry live data. No inline script or style: the
//!   Content-Security-Policy forbids both.
//! - Sessions, CSRF, language and security headers: [`session`],
//!   [`csrf`].
//!
//! `docs/src/console.md` says how to add a page.

mod admin;
pub mod assets;
mod audit;
mod billing;
mod bot;
mod campaigns;
mod charts;
mod contacts;
pub mod csrf;
mod devices;
mod format;
mod home;
mod inbox;
mod live;
#[cfg(feature = "loadtest")]
pub mod loadtest;
mod orders;
mod overview;
pub mod page;
mod privacy;
mod products;
mod progress;
mod public;
mod sales;
mod schema_form;
pub mod session;
mod settings;
mod team;
mod templates;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Every console route, with the session middleware.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(public::landing))
        .route("/login", get(public::login_page).post(public::login_submit))
        .route("/logout", post(public::logout))
        .route(
            "/signup",
            get(public::signup_page).post(public::signup_submit),
        )
        .route(
            "/signup/verify",
            get(public::verify_page).post(public::verify_submit),
        )
        .route("/signup/resend", post(public::resend))
        .route("/lang", post(public::switch_lang))
        .route("/dev/outbox", get(public::outbox))
        .route("/console", get(home::home))
        .route("/console/devices", get(devices::list).post(devices::create))
        .route("/console/devices/new/{kind}", get(devices::new))
        .route("/console/devices/{id}", get(devices::show))
        .route("/console/devices/{id}/test", post(devices::send_test))
        .route("/console/devices/{id}/simulate", post(devices::simulate))
        .route("/console/bot", get(bot::show))
        .route("/console/bot/rules", post(bot::add_rule))
        .route("/console/bot/rules/delete", post(bot::delete_rule))
        .route("/console/bot/plugins", post(bot::change_plugin))
        .route("/console/bot/ai", post(bot::save_ai))
        .route("/console/bot/hours", post(bot::save_hours))
        .route("/console/bot/try", post(bot::try_message))
        .route("/console/billing", get(billing::show))
        .route("/console/billing/orders", post(billing::order))
        .route("/console/inbox", get(inbox::list))
        .route("/console/inbox/events", get(inbox::list_events))
        .route("/console/inbox/{id}", get(inbox::show))
        .route("/console/inbox/{id}/events", get(inbox::show_events))
        .route("/console/inbox/{id}/takeover", post(inbox::take_over))
        .route("/console/inbox/{id}/handback", post(inbox::hand_back))
        .route("/console/inbox/{id}/reply", post(inbox::reply))
        .route("/static/{name}", get(assets::serve))
        .route("/console/overview", get(overview::overview))
        .merge(admin::routes())
        .merge(campaigns::routes())
        .merge(contacts::routes())
        .merge(templates::routes())
        .merge(team::routes())
        .merge(privacy::routes())
        .merge(settings::routes())
        .merge(billing::routes())
        .merge(audit::routes())
        .merge(products::routes())
        .merge(orders::routes())
        .merge(sales::routes())
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::context,
        ))
}

/// Whether a request comes from a browser page rather than an API client:
/// not under `/api/`, and it accepts HTML.
pub fn wants_html(uri: &axum::http::Uri, headers: &axum::http::HeaderMap) -> bool {
    !uri.path().starts_with("/api/")
        && headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
}
