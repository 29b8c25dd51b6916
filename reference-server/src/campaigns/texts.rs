//! Texts the campaign engine writes for vendors (the `error` of a
//! recipient): Indonesian by default, English for vendors whose locale is
//! `en` (`tenants.locale`).

pub use crate::http::i18n::Lang;

/// A follow-up not sent because the plan's monthly message quota is used
/// up; `detail` is the limit check's message.
pub fn followup_quota_exhausted(lang: Lang, detail: &str) -> String {
    let text = lang.pick(
        "kuota pesan bulanan paket sudah habis; follow-up tidak dikirim",
        "the plan's monthly message quota is used up; the follow-up was not sent",
    );
    format!("plan_limit_exceeded: {text} ({detail})")
}

/// The 24-hour window is closed and the template has no approved Cloud
/// API template to fall back to.
pub fn no_cloud_template(lang: Lang) -> String {
    lang.pick(
        "jendela 24 jam WhatsApp sudah tertutup dan template pesan ini belum dipetakan ke template \
         Cloud API yang disetujui (cloud_template); pesan tidak dikirim ulang",
        "the WhatsApp 24-hour window is closed and this message template has no approved Cloud API \
         template mapped (cloud_template); the message was not sent again",
    )
}

/// The provider reported the 24-hour window closed after accepting the
/// text: the recipient is queued again for the mapped template.
pub fn requeued_for_template(lang: Lang, provider_error: &str) -> String {
    let text = lang.pick(
        "jendela 24 jam tertutup; dikirim ulang sebagai template Cloud API yang disetujui",
        "24-hour window closed; sending again as the approved Cloud API template",
    );
    format!("{provider_error} ({text})")
}

/// The mapped template itself was refused for the closed window.
pub fn template_refused(lang: Lang) -> String {
    lang.pick(
        "template Cloud API juga ditolak; tidak dikirim ulang",
        "the Cloud API template was refused as well; not sent again",
    )
}

/// A queued follow-up dropped because the first message failed.
pub fn first_message_failed(lang: Lang) -> String {
    lang.pick(
        "pesan pertama gagal terkirim; follow-up dibatalkan",
        "the first message failed; follow-up cancelled",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_unless_english() {
        assert_eq!(Lang::of("id"), Lang::Id);
        assert_eq!(Lang::of("fr"), Lang::Id);
        assert_eq!(Lang::of("en"), Lang::En);
        assert_eq!(Lang::of("en-US"), Lang::En);
        assert!(followup_quota_exhausted(Lang::Id, "x").contains("kuota pesan bulanan"));
        assert!(followup_quota_exhausted(Lang::En, "x").contains("monthly message quota"));
        assert!(no_cloud_template(Lang::Id).contains("cloud_template"));
        assert!(
            requeued_for_template(Lang::En, "131047 Re-engagement message").starts_with("131047")
        );
    }
}
