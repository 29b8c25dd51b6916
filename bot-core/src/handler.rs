//! The handler trait shared by native Rust handlers and WASM plugins.

use std::time::Duration;

use async_trait::async_trait;
use whatsapp_client::Recipient;
use whatsapp_client::webhook::InboundMessage;

use crate::model::{Action, EventKind, HandlerContext};

/// Why a handler produced no actions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The handler returned an error of its own.
    #[error("handler failed: {0}")]
    Failed(String),
    /// The plugin trapped (panic, `unreachable`, out of memory ...).
    #[error("plugin trapped: {0}")]
    Trap(String),
    /// The plugin ran past its CPU deadline.
    #[error("plugin exceeded its CPU deadline of {0:?}")]
    Timeout(Duration),
    /// The plugin hit its memory limit.
    #[error("plugin exceeded its memory limit of {0} bytes")]
    OutOfMemory(usize),
    /// The plugin returned something the host refuses (an invalid reply,
    /// too many actions, an oversized state ...). No action was performed.
    #[error("plugin returned invalid output: {0}")]
    BadOutput(String),
    /// The plugin could not be instantiated (e.g. the instance pool is full).
    #[error("plugin could not be started: {0}")]
    Instantiate(String),
}

/// A step of a tenant's pipeline: a native Rust handler or a WASM plugin
/// (`crate::WasmHandler`). Both are called the same way.
#[async_trait]
pub trait Handler: Send + Sync {
    /// Stable name, used in logs and reports.
    fn name(&self) -> &str;

    /// Whether the handler wants events of this kind (default: text and
    /// interactive).
    fn wants(&self, kind: EventKind) -> bool {
        matches!(kind, EventKind::Text | EventKind::Interactive)
    }

    /// Debounce window (default: none). See the crate docs.
    fn debounce(&self) -> Option<Duration> {
        None
    }

    /// How many recent history entries the handler reads from
    /// [`HandlerContext::history`] (default `None`: the runtime's
    /// [`history_limit`](crate::RuntimeBuilder::history_limit)). `Some(0)`
    /// spares the runtime loading any history for this handler.
    fn history_depth(&self) -> Option<u32> {
        None
    }

    /// Handles one inbound message. Its sender (`message.from`) is a phone
    /// number, or a business-scoped user id for a customer whose number
    /// WhatsApp does not share; [`HandlerContext::contact`] has both when
    /// known.
    async fn handle(
        &self,
        message: &InboundMessage<Recipient>,
        ctx: &HandlerContext,
    ) -> Result<Vec<Action>, HandlerError>;
}
