//! Authentication: who is calling.
//!
//! - Sessions: opaque random tokens (`wss_...`, 256 bits) returned once at
//!   login and stored only as SHA-256 with an expiry (`session_ttl_hours`,
//!   default 30 days). `POST /api/v1/auth/logout` revokes the current one,
//!   `POST /api/v1/auth/logout-all` every session of the member; a password
//!   reset and a ban revoke them too. There are no refresh tokens: a client
//!   logs in again when its session expires.
//! - Passwords (Argon2id), random tokens for sessions and API keys, rate
//!   limits of the account endpoints.
//! - The callers handlers take: [`CurrentMember`] (a vendor member by
//!   session or API key, with its [`Role`]) and [`AdminUser`] (a platform
//!   admin session).
//!
//! Tables: `sessions` (of members and admins) and `platform_admins` (the
//! accounts admin sessions belong to; managed through the `admin`
//! feature).
//!
//! `auth` depends on no other feature. Sign-up, login, password reset and
//! the members themselves are the business of `tenants` (it creates and
//! reads vendors and members), which also extracts [`CurrentMember`]; the
//! URLs stay under `/api/v1/auth/`.

mod extract;
mod http;
pub mod model;
pub mod password;
pub mod ratelimit;
pub mod session;
pub mod store;
pub mod token;

pub use self::http::router;
pub(crate) use extract::{admin_of_session, bearer};
pub use model::{
    AdminUser, AuthMethod, Credentials, CurrentMember, NewSession, Role, SubjectKind,
    normalize_email,
};
