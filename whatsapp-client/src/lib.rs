#![doc = include_str!("../README.md")]

pub mod cloud;
pub mod error;
pub mod fonnte;
pub mod gateway;
mod http;
pub mod message;
pub mod pacing;
pub mod phone;
pub mod provider;
pub mod recipient;
pub mod retry;
pub mod testing;
pub mod webhook;

pub use error::{ApiError, ApiErrorKind, Error, TransportError};
pub use message::{
    Contact, ContactEmail, ContactName, ContactPhone, ContactsMessage, InteractiveAction,
    InteractiveHeader, InteractiveMessage, InvalidMessage, ListRow, ListSection, LocationMessage,
    MediaKind, MediaMessage, MediaSource, OutgoingMessage, ReactionMessage, ReplyButton,
    TemplateComponent, TemplateMessage, TemplateParameter, TextMessage,
};
pub use pacing::{Paced, PacingConfig};
pub use phone::{PhoneError, PhoneNumber, Region};
pub use provider::{Provider, SendReceipt};
pub use recipient::{Recipient, RecipientError, UserId, UserIdError};
pub use retry::{RetryPolicy, Retrying};
