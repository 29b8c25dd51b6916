//! WhatsApp delivery over `whatsapp-client`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use whatsapp_client::{
    OutgoingMessage, PhoneNumber, Provider, TemplateComponent, TemplateMessage, TemplateParameter,
};

use super::{Channel, Delivery, DeliveryError};
use crate::destination::Destination;
use crate::messages::Locale;

/// Delivers codes over WhatsApp through any `whatsapp-client` provider.
///
/// Two modes:
/// - [`WhatsAppChannel::text`]: the rendered message as plain text. Right
///   for gateways such as Fonnte, which send from an ordinary number.
/// - [`WhatsAppChannel::authentication_template`]: a Cloud API
///   *authentication* template with the code as the body parameter and as
///   the parameter of its copy-code / one-tap button. Business-initiated
///   messages on the Cloud API must be templates, and Meta only allows
///   authentication templates for codes. Their text is fixed by Meta, so
///   this crate's [`Messages`](crate::Messages) are not used.
#[derive(Clone)]
pub struct WhatsAppChannel {
    provider: Arc<dyn Provider>,
    mode: Mode,
}

#[derive(Debug, Clone)]
enum Mode {
    Text,
    Template {
        name: String,
        languages: HashMap<Locale, String>,
        button: bool,
    },
}

impl fmt::Debug for WhatsAppChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppChannel")
            .field("provider", &self.provider.kind())
            .field("mode", &self.mode)
            .finish()
    }
}

impl WhatsAppChannel {
    /// Sends the rendered message text.
    pub fn text(provider: impl Provider + 'static) -> Self {
        Self {
            provider: Arc::new(provider),
            mode: Mode::Text,
        }
    }

    /// Sends the approved authentication template `name`, in language `id`
    /// for Indonesian and `en` for English (change with
    /// [`WhatsAppChannel::with_language`]), with the code in the body and in
    /// the copy-code button at index 0.
    pub fn authentication_template(
        provider: impl Provider + 'static,
        name: impl Into<String>,
    ) -> Self {
        let languages = HashMap::from([
            (Locale::Indonesian, "id".to_owned()),
            (Locale::English, "en".to_owned()),
        ]);
        Self {
            provider: Arc::new(provider),
            mode: Mode::Template {
                name: name.into(),
                languages,
                button: true,
            },
        }
    }

    /// Sets the template language code used for `locale` (e.g. `en_US`).
    /// No effect in text mode.
    #[must_use]
    pub fn with_language(mut self, locale: Locale, code: impl Into<String>) -> Self {
        if let Mode::Template { languages, .. } = &mut self.mode {
            languages.insert(locale, code.into());
        }
        self
    }

    /// For templates approved without an OTP button (zero-tap): sends only
    /// the body parameter. No effect in text mode.
    #[must_use]
    pub fn without_button(mut self) -> Self {
        if let Mode::Template { button, .. } = &mut self.mode {
            *button = false;
        }
        self
    }

    fn message(&self, delivery: &Delivery<'_>) -> OutgoingMessage {
        match &self.mode {
            Mode::Text => OutgoingMessage::text(delivery.text()),
            Mode::Template {
                name,
                languages,
                button,
            } => {
                let language = languages
                    .get(&delivery.locale())
                    .cloned()
                    .unwrap_or_else(|| delivery.locale().tag().to_owned());
                let mut template = TemplateMessage::new(name.clone(), language).with_component(
                    TemplateComponent::Body {
                        parameters: vec![TemplateParameter::text(delivery.code())],
                    },
                );
                if *button {
                    // Meta stores OTP buttons as URL buttons; the code is
                    // their parameter.
                    template = template.with_component(TemplateComponent::Button {
                        sub_type: "url".to_owned(),
                        index: 0,
                        parameters: vec![TemplateParameter::text(delivery.code())],
                    });
                }
                OutgoingMessage::Template(template)
            }
        }
    }
}

fn parse(destination: &Destination) -> Option<PhoneNumber> {
    PhoneNumber::parse(destination.as_phone_e164()?).ok()
}

fn delivery_error(provider: &'static str, e: whatsapp_client::Error) -> DeliveryError {
    match e {
        whatsapp_client::Error::Api(api) => DeliveryError::Rejected {
            provider,
            status: Some(api.status),
            code: api.code.map(|c| c.to_string()),
            retryable: api.is_retryable(),
            retry_after: api.retry_after,
            message: api.message,
        },
        whatsapp_client::Error::Transport(t) => DeliveryError::Transport {
            provider,
            message: t.to_string(),
        },
        other => DeliveryError::Rejected {
            provider,
            status: None,
            code: None,
            retryable: other.is_retryable(),
            retry_after: other.retry_after(),
            message: other.to_string(),
        },
    }
}

#[async_trait]
impl Channel for WhatsAppChannel {
    fn name(&self) -> &'static str {
        "whatsapp"
    }

    fn supports(&self, destination: &Destination) -> bool {
        parse(destination).is_some()
    }

    async fn deliver(&self, delivery: &Delivery<'_>) -> Result<(), DeliveryError> {
        let to = parse(delivery.destination()).ok_or(DeliveryError::Unsupported {
            channel: "whatsapp",
        })?;
        let message = self.message(delivery);
        let receipt = self
            .provider
            .send(&to, &message)
            .await
            .map_err(|e| delivery_error(self.provider.kind(), e))?;
        tracing::debug!(
            provider = self.provider.kind(),
            message_id = ?receipt.message_id,
            "otp: whatsapp accepted the code"
        );
        Ok(())
    }
}
