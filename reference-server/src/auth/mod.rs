//! Accounts: vendor sign-up with OTP over WhatsApp, login, sessions,
//! password reset, and the authentication extractors every area uses.
//!
//! Sessions are opaque random tokens (`wss_...`, 256 bits) returned once at
//! login and stored only as SHA-256 with an expiry (`session_ttl_hours`,
//! default 30 days). `POST /api/v1/auth/logout` revokes the current one,
//! `POST /api/v1/auth/logout-all` every session of the member; a password
//! reset and a ban revoke them too. There are no refresh tokens: a client
//! logs in again when its session expires.

mod extract;
pub mod handlers;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod signup;
pub mod token;

pub use extract::{AdminUser, AuthMethod, CurrentMember, Role};
pub(crate) use handlers::normalize_email;
pub use handlers::router;
