//! What issuing and verifying answer.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::destination::Destination;
use crate::messages::Locale;
use crate::purpose::Purpose;

/// A challenge was created and (unless it is a decoy) its code was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issued {
    /// Give this to the client; it comes back with the code.
    pub challenge_id: String,
    /// When the code stops being valid.
    pub expires_at: DateTime<Utc>,
    /// How long until another code may be sent to the same destination.
    pub resend_after: Duration,
}

/// A code was accepted. The challenge is now closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Verified {
    /// The challenge that was verified.
    pub challenge_id: String,
    /// What the code was issued for.
    pub purpose: Purpose,
    /// Who proved control of the destination.
    pub destination: Destination,
}

/// The result of [`Otp::verify`](crate::Otp::verify).
///
/// Every variant is a normal answer, not an error. Which check failed is
/// visible to the app (to choose a screen) but does not change how long
/// verification takes. None of them tells whether an account exists: decoy
/// challenges ([`Otp::issue_decoy`](crate::Otp::issue_decoy)) answer exactly
/// like real ones whose code is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyOutcome {
    /// The code is right; the challenge is used up.
    Verified(Verified),
    /// The code is wrong. When `attempts_left` is zero the challenge is now
    /// locked.
    WrongCode {
        /// Attempts that remain on this challenge.
        attempts_left: u32,
    },
    /// The code's validity ran out, or a newer code was sent to the same
    /// destination for the same purpose.
    Expired,
    /// Too many wrong codes: the challenge accepts no more attempts. A new
    /// code can be requested.
    Locked,
    /// No such challenge for this purpose, or it was already used.
    NotFound,
}

impl VerifyOutcome {
    /// True only for [`VerifyOutcome::Verified`].
    pub fn is_verified(&self) -> bool {
        matches!(self, Self::Verified(_))
    }

    /// The verified challenge, if the code was right.
    pub fn verified(&self) -> Option<&Verified> {
        match self {
            Self::Verified(v) => Some(v),
            _ => None,
        }
    }

    /// A suggested HTTP status: 200 verified, 400 wrong code, 410 expired,
    /// 423 locked, 404 not found. Apps that prefer one answer for every
    /// failure can use 400 for all of them.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Verified(_) => 200,
            Self::WrongCode { .. } => 400,
            Self::Expired => 410,
            Self::Locked => 423,
            Self::NotFound => 404,
        }
    }

    /// A stable machine-readable name: `verified`, `wrong_code`, `expired`,
    /// `locked`, `not_found`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Verified(_) => "verified",
            Self::WrongCode { .. } => "wrong_code",
            Self::Expired => "expired",
            Self::Locked => "locked",
            Self::NotFound => "not_found",
        }
    }

    /// A short text for the end user, in Indonesian or English.
    pub fn user_message(&self, locale: Locale) -> String {
        let en = locale == Locale::English;
        let s = match self {
            Self::Verified(_) if en => "Code verified.",
            Self::Verified(_) => "Kode berhasil diverifikasi.",
            Self::WrongCode { attempts_left: 0 } if en => "Wrong code. Please request a new code.",
            Self::WrongCode { attempts_left: 0 } => "Kode salah. Silakan minta kode baru.",
            Self::WrongCode { attempts_left } => {
                return if en {
                    let s = if *attempts_left == 1 { "" } else { "s" };
                    format!("Wrong code. {attempts_left} attempt{s} left.")
                } else {
                    format!("Kode salah. Sisa {attempts_left} kali percobaan.")
                };
            }
            Self::Expired if en => "This code has expired. Please request a new code.",
            Self::Expired => "Kode sudah tidak berlaku. Silakan minta kode baru.",
            Self::Locked if en => "Too many wrong attempts. Please request a new code.",
            Self::Locked => "Terlalu banyak percobaan yang salah. Silakan minta kode baru.",
            Self::NotFound if en => "This code is not valid. Please request a new code.",
            Self::NotFound => "Kode tidak valid. Silakan minta kode baru.",
        };
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_messages_in_both_languages() {
        let wrong = VerifyOutcome::WrongCode { attempts_left: 2 };
        assert_eq!(
            wrong.user_message(Locale::Indonesian),
            "Kode salah. Sisa 2 kali percobaan."
        );
        assert_eq!(
            wrong.user_message(Locale::English),
            "Wrong code. 2 attempts left."
        );
        assert_eq!(
            VerifyOutcome::WrongCode { attempts_left: 1 }.user_message(Locale::English),
            "Wrong code. 1 attempt left."
        );
        assert_eq!(VerifyOutcome::Locked.http_status(), 423);
        assert_eq!(VerifyOutcome::Expired.code(), "expired");
        assert!(!VerifyOutcome::NotFound.is_verified());
    }
}
