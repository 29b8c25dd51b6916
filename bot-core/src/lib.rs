#![doc = include_str!("../README.md")]

pub mod clock;
pub mod handler;
pub mod host;
pub mod llm;
pub mod model;
pub mod pipeline;
pub mod runtime;
pub mod store;
pub mod testing;

pub use clock::{Clock, ManualClock, SystemClock};
pub use handler::{Handler, HandlerError};
pub use host::{
    ADMIN_DEADLINE_FACTOR, ConfigError, ConfigureError, HostConfig, LoadError, MAX_DEBOUNCE,
    MAX_HISTORY_DEPTH, PluginComponent, PluginHost, WasmHandler,
};
pub use model::{
    Action, Author, Contact, Conversation, EventKind, HandlerContext, HistoryEntry, Manifest, Owner,
};
pub use pipeline::{Answer, Conversations, Newest, Perform, Turn};
pub use runtime::{
    EventReport, Outcome, PluginRun, RunStatus, Runtime, RuntimeBuilder, RuntimeError, SentReply,
    TenantConfig,
};
pub use store::{ConversationStore, MemoryStore, SqlStore, StoreError};
