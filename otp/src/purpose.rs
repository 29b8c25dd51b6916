//! What a code is for.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use crate::error::InvalidRequest;

/// What a challenge is for: register, login, password reset or an
/// app-defined purpose.
///
/// A code only verifies for the purpose it was issued for, so a sign-up code
/// can never be replayed to reset a password.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Purpose(Cow<'static, str>);

impl Purpose {
    /// Signing up a new account.
    pub const REGISTER: Purpose = Purpose(Cow::Borrowed("register"));
    /// Logging in.
    pub const LOGIN: Purpose = Purpose(Cow::Borrowed("login"));
    /// Resetting a password.
    pub const PASSWORD_RESET: Purpose = Purpose(Cow::Borrowed("password_reset"));

    /// An app-defined purpose such as `change_phone` or `confirm_payout`:
    /// 1 to 64 characters of `a-z`, `0-9`, `_`, `-`, `.`.
    pub fn custom(name: impl Into<String>) -> Result<Self, InvalidRequest> {
        let name = name.into();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.".contains(&b));
        if ok {
            Ok(Self(Cow::Owned(name)))
        } else {
            Err(InvalidRequest::Purpose)
        }
    }

    /// The purpose's name as stored, e.g. `"register"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Purpose({})", self.0)
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Purpose {
    type Err = InvalidRequest;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "register" => Ok(Self::REGISTER),
            "login" => Ok(Self::LOGIN),
            "password_reset" => Ok(Self::PASSWORD_RESET),
            other => Self::custom(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_round_trip_and_custom_names_are_checked() {
        for p in [Purpose::REGISTER, Purpose::LOGIN, Purpose::PASSWORD_RESET] {
            assert_eq!(p.as_str().parse::<Purpose>().unwrap(), p);
        }
        assert_eq!(
            Purpose::custom("change_phone").unwrap().as_str(),
            "change_phone"
        );
        for bad in [
            "",
            "Login",
            "with space",
            "x".repeat(65).as_str(),
            "emoji😀",
        ] {
            assert_eq!(
                Purpose::custom(bad),
                Err(InvalidRequest::Purpose),
                "{bad:?}"
            );
        }
    }
}
