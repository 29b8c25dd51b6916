//! WhatsApp messages of the marketplace, from the platform's number (the
//! simulator on the embedded default), in the recipient's language
//! (Indonesian unless the recipient chose English).
//!
//! A message is sent after the change it reports has committed; a failed
//! send is logged and never undoes the change.

use whatsapp_client::{OutgoingMessage, PhoneNumber, Provider as _};

use crate::AppState;
use crate::http::i18n::{Lang, Text};

/// Sends `text` to `whatsapp` in `locale`.
pub(crate) async fn send(state: &AppState, whatsapp: &str, locale: &str, text: &Text) {
    let body = text.get(Lang::of(locale)).to_owned();
    let to = match PhoneNumber::parse(whatsapp) {
        Ok(to) => to,
        Err(e) => {
            tracing::warn!(error = %e, "marketplace message not sent: unusable number");
            return;
        }
    };
    if let Err(e) = state
        .services
        .platform_sender
        .send(&to, &OutgoingMessage::text(body))
        .await
    {
        tracing::warn!(error = %e, "marketplace message not sent");
    }
}

/// `99000` -> `Rp99.000`.
pub(crate) fn rupiah(amount: i64) -> String {
    crate::billing::receipt::format_rupiah(amount)
}
