//! The built-in simulator WhatsApp provider.
//!
//! It "sends" by storing every message in the `sim_outbox` table (tenant,
//! device, recipient, message JSON, a `sim.<uuid>` provider message id), so
//! the whole product runs locally with no WhatsApp account: the platform's
//! own OTP device uses it by default, and so do vendor devices of kind
//! `simulator`. The inserts are jobs of the group-committing
//! [`crate::db::Writer`] ([`SimSender`]); a bot turn on a simulator device
//! makes them inside its own job ([`store::record_on`]). Messages are also logged
//! at info level, because seeing them is the point of a simulator (it
//! never carries real traffic).
//!
//! Owns the table `sim_outbox`; its SQL is in [`store`]. It has no routes
//! of its own: vendors read a simulator device's outbox through
//! `messaging`, admins the platform sender's through `admin`.

pub mod model;
mod sender;
pub(crate) mod store;

pub use model::SimMessage;
pub(crate) use model::SimSend;
pub(crate) use sender::SimSender;
pub use store::list;
pub(crate) use store::record_many;
