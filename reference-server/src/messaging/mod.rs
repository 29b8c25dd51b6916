//! Sending from a vendor's devices: messages from the vendor's own apps
//! (`POST /api/v1/messages`), an agent's reply in the inbox (`POST
//! /api/v1/conversations/{id}/messages`; the inbox itself lists and hands
//! over conversations), and the simulator endpoints that show the whole
//! loop locally: inject an inbound message into a simulator device, read
//! what the bot answered.
//!
//! Tables: none of its own. A send is stored in the inbox's tables by the
//! bots' outbound path ([`crate::bots::engine`]), simulated sends in the
//! simulator's outbox. Every send counts against the plan's monthly
//! message quota (`billing`).

mod http;
pub mod model;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub use model::{
    AgentReply, OutboxQuery, SendMessage, SentMessage, SimulatedInbound, SimulatedResult,
};

pub(crate) use http::{send, send_reply, simulate_inbound};

/// The messaging routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(http::send_message))
        .routes(routes!(http::reply))
        .routes(routes!(http::simulator_inbound))
        .routes(routes!(http::simulator_outbox))
}
