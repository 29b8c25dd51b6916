//! The order lifecycle: one table says who may move an order from which
//! status to which; every change goes through [`check`] and is recorded
//! with its actor and time.
//!
//! | from | to | who |
//! |---|---|---|
//! | pending | processing | system (the group's payment) |
//! | pending | cancelled | system (payment expired or failed) |
//! | processing | shipped | vendor |
//! | processing | cancelled | buyer, vendor (refund and restock) |
//! | shipped | delivered | buyer, system (after `auto_deliver_days`) |
//!
//! Anything else answers 409 `illegal_transition` naming the status and
//! who asked.

use super::model::VendorOrderStatus;
use crate::http::AppError;
use crate::http::i18n::tr;
use crate::marketplace::catalog::model::ActorKind;

use ActorKind::{Buyer, Member, System};
use VendorOrderStatus::{Cancelled, Delivered, Pending, Processing, Shipped};

/// Every allowed move and who may make it.
pub const TRANSITIONS: &[(VendorOrderStatus, VendorOrderStatus, &[ActorKind])] = &[
    (Pending, Processing, &[System]),
    (Pending, Cancelled, &[System]),
    (Processing, Shipped, &[Member]),
    (Processing, Cancelled, &[Buyer, Member]),
    (Shipped, Delivered, &[Buyer, System]),
];

fn who(actor: ActorKind) -> (&'static str, &'static str) {
    match actor {
        Buyer => ("pembeli", "the buyer"),
        Member => ("penjual", "the vendor"),
        System => ("sistem", "the system"),
    }
}

fn status_id(s: VendorOrderStatus) -> &'static str {
    match s {
        Pending => "menunggu pembayaran",
        Processing => "diproses",
        Shipped => "dikirim",
        Delivered => "diterima",
        Cancelled => "dibatalkan",
    }
}

/// `Ok` when `actor` may move an order from `from` to `to`.
pub fn check(
    from: VendorOrderStatus,
    to: VendorOrderStatus,
    actor: ActorKind,
) -> Result<(), AppError> {
    let allowed = TRANSITIONS
        .iter()
        .any(|(f, t, who)| *f == from && *t == to && who.contains(&actor));
    if allowed {
        return Ok(());
    }
    let ((who_id, who_en), (from_id, to_id)) = (who(actor), (status_id(from), status_id(to)));
    Err(AppError::conflict(
        "illegal_transition",
        tr!(
            "{who_id} tidak dapat mengubah pesanan yang {from_id} menjadi {to_id}",
            "{who_en} cannot move an order that is {from} to {to}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_table_is_the_only_way() {
        for from in VendorOrderStatus::ALL {
            for to in VendorOrderStatus::ALL {
                for actor in ActorKind::ALL {
                    let listed = TRANSITIONS
                        .iter()
                        .any(|(f, t, w)| f == from && t == to && w.contains(actor));
                    assert_eq!(
                        check(*from, *to, *actor).is_ok(),
                        listed,
                        "{from}->{to} by {actor}"
                    );
                }
            }
        }
        assert!(check(Shipped, Cancelled, Buyer).is_err());
        assert!(check(Processing, Shipped, Buyer).is_err());
        assert!(check(Delivered, Cancelled, Member).is_err());
        assert_eq!(
            check(Shipped, Cancelled, Buyer).unwrap_err().code(),
            "illegal_transition"
        );
    }
}
