//! Where the request being served came from, for the entries it records.
//!
//! [`scope`] (a middleware of the whole app) puts the client's IP and user
//! agent in a task-local, like the request language of
//! [`crate::http::i18n`], so a feature records an entry with one call and
//! no extra arguments threaded through its functions. [`super::Entry`]
//! takes the source when it is built, so an entry handed to another task
//! (the group-commit writer) keeps it.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;

use super::model::Source;
use crate::AppState;
use crate::http::extract::ClientIp;

tokio::task_local! {
    static SOURCE: Source;
}

/// The source of the request being served (empty outside requests: jobs,
/// commands).
pub(super) fn current() -> Source {
    SOURCE.try_with(Clone::clone).unwrap_or_default()
}

/// Middleware: serves the request with its client IP and user agent as
/// the current [`Source`].
pub async fn scope(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ip = ClientIp::from_request_parts(&mut parts, &state)
        .await
        .ok()
        .map(|ClientIp(ip)| ip.to_string());
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(Source::USER_AGENT_MAX).collect());
    let source = Source { ip, user_agent };
    SOURCE
        .scope(source, next.run(Request::from_parts(parts, body)))
        .await
}

/// Runs `f` with `source` as the current source (tests, commands).
pub async fn with<F: std::future::Future>(source: Source, f: F) -> F::Output {
    SOURCE.scope(source, f).await
}
