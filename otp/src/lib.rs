#![doc = include_str!("../README.md")]

pub mod channel;
mod clock;
mod config;
mod destination;
mod engine;
mod error;
mod messages;
mod outcome;
mod purpose;
mod secret;
pub mod store;
pub mod testing;

pub use channel::{Channel, DeliveryError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::OtpConfig;
pub use destination::Destination;
pub use engine::{IssueRequest, Otp, OtpBuilder};
pub use error::{ConfigError, InvalidRequest, OtpError};
pub use messages::{Locale, Messages};
pub use outcome::{Issued, Verified, VerifyOutcome};
pub use purpose::Purpose;
pub use secret::OtpSecret;
#[cfg(feature = "sql")]
pub use store::SqlStore;
pub use store::{MemoryStore, Store, StoreError};
