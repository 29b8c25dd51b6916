//! The outgoing message model shared by every provider.
//!
//! Build messages with the constructors on [`OutgoingMessage`] and the
//! setters on each part; every type here is plain data (`serde`-able, so a
//! send queue can store it as JSON).

use serde::{Deserialize, Serialize};

/// Cloud API limit: reply buttons per interactive message.
pub const MAX_REPLY_BUTTONS: usize = 3;
/// Cloud API limit: rows across all sections of an interactive list.
pub const MAX_LIST_ROWS: usize = 10;
/// Cloud API limit: sections in an interactive list.
pub const MAX_LIST_SECTIONS: usize = 10;
/// Cloud API limit: characters in a reply button title.
pub const MAX_BUTTON_TITLE_CHARS: usize = 20;
/// Cloud API limit: characters in a list row title.
pub const MAX_ROW_TITLE_CHARS: usize = 24;
/// Cloud API limit: characters in a list row description.
pub const MAX_ROW_DESCRIPTION_CHARS: usize = 72;
/// Cloud API limit: characters in a button or row id.
pub const MAX_REPLY_ID_CHARS: usize = 256;
/// Cloud API limit: characters in an interactive body.
pub const MAX_INTERACTIVE_BODY_CHARS: usize = 1024;
/// Cloud API limit: characters in a text message body.
pub const MAX_TEXT_BODY_CHARS: usize = 4096;

/// A message to send to one recipient.
///
/// ```
/// use whatsapp_client::{MediaSource, OutgoingMessage, ReplyButton};
///
/// let hello = OutgoingMessage::text("Halo! Pesanan Anda sudah dikirim.");
/// let photo = OutgoingMessage::image(MediaSource::link("https://example.com/p.jpg"))
///     .with_caption("Produk baru")
///     .reply_to("wamid.ABC");
/// let ask = OutgoingMessage::buttons(
///     "Lanjutkan pembayaran?",
///     vec![ReplyButton::new("yes", "Ya"), ReplyButton::new("no", "Tidak")],
/// );
/// assert_eq!(hello.kind(), "text");
/// assert_eq!(photo.kind(), "image");
/// assert_eq!(photo.reply_to_id(), Some("wamid.ABC"));
/// assert!(ask.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OutgoingMessage {
    /// Plain text.
    Text(TextMessage),
    /// Image, video, audio, document or sticker.
    Media(MediaMessage),
    /// A pre-approved template (Cloud API).
    Template(TemplateMessage),
    /// Reply buttons or a list.
    Interactive(InteractiveMessage),
    /// A map pin.
    Location(LocationMessage),
    /// One or more contact cards.
    Contacts(ContactsMessage),
    /// An emoji reaction to an earlier message.
    Reaction(ReactionMessage),
}

impl OutgoingMessage {
    /// A text message.
    pub fn text(body: impl Into<String>) -> Self {
        Self::Text(TextMessage::new(body))
    }

    /// A media message of the given kind.
    pub fn media(kind: MediaKind, source: MediaSource) -> Self {
        Self::Media(MediaMessage::new(kind, source))
    }

    /// An image.
    pub fn image(source: MediaSource) -> Self {
        Self::media(MediaKind::Image, source)
    }

    /// A video.
    pub fn video(source: MediaSource) -> Self {
        Self::media(MediaKind::Video, source)
    }

    /// An audio clip.
    pub fn audio(source: MediaSource) -> Self {
        Self::media(MediaKind::Audio, source)
    }

    /// A document (PDF, spreadsheet, ...).
    pub fn document(source: MediaSource) -> Self {
        Self::media(MediaKind::Document, source)
    }

    /// A sticker.
    pub fn sticker(source: MediaSource) -> Self {
        Self::media(MediaKind::Sticker, source)
    }

    /// A template message with no parameters; add components with
    /// [`TemplateMessage::with_component`].
    pub fn template(name: impl Into<String>, language: impl Into<String>) -> Self {
        Self::Template(TemplateMessage::new(name, language))
    }

    /// An interactive message with up to three reply buttons.
    pub fn buttons(body: impl Into<String>, buttons: Vec<ReplyButton>) -> Self {
        Self::Interactive(InteractiveMessage::new(
            body,
            InteractiveAction::Buttons(buttons),
        ))
    }

    /// An interactive list opened by a button labelled `button`.
    pub fn list(
        body: impl Into<String>,
        button: impl Into<String>,
        sections: Vec<ListSection>,
    ) -> Self {
        Self::Interactive(InteractiveMessage::new(
            body,
            InteractiveAction::List {
                button: button.into(),
                sections,
            },
        ))
    }

    /// A location pin.
    pub fn location(latitude: f64, longitude: f64) -> Self {
        Self::Location(LocationMessage::new(latitude, longitude))
    }

    /// One or more contact cards.
    pub fn contacts(contacts: Vec<Contact>) -> Self {
        Self::Contacts(ContactsMessage {
            contacts,
            reply_to: None,
        })
    }

    /// A reaction to `message_id`; an empty `emoji` removes an earlier one.
    pub fn reaction(message_id: impl Into<String>, emoji: impl Into<String>) -> Self {
        Self::Reaction(ReactionMessage {
            message_id: message_id.into(),
            emoji: emoji.into(),
        })
    }

    /// Short stable name of the message kind, used in errors and logs:
    /// `text`, `image`, `video`, `audio`, `document`, `sticker`, `template`,
    /// `interactive_buttons`, `interactive_list`, `location`, `contacts`,
    /// `reaction`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Text(_) => "text",
            Self::Media(m) => m.kind.as_str(),
            Self::Template(_) => "template",
            Self::Interactive(i) => match i.action {
                InteractiveAction::Buttons(_) => "interactive_buttons",
                InteractiveAction::List { .. } => "interactive_list",
            },
            Self::Location(_) => "location",
            Self::Contacts(_) => "contacts",
            Self::Reaction(_) => "reaction",
        }
    }

    /// Makes this message a reply to the earlier message `message_id`
    /// (shown quoted in WhatsApp). Reactions already name their target and
    /// ignore this.
    #[must_use]
    pub fn reply_to(mut self, message_id: impl Into<String>) -> Self {
        let id = Some(message_id.into());
        match &mut self {
            Self::Text(m) => m.reply_to = id,
            Self::Media(m) => m.reply_to = id,
            Self::Template(m) => m.reply_to = id,
            Self::Interactive(m) => m.reply_to = id,
            Self::Location(m) => m.reply_to = id,
            Self::Contacts(m) => m.reply_to = id,
            Self::Reaction(_) => {}
        }
        self
    }

    /// The message this one replies to, if any.
    pub fn reply_to_id(&self) -> Option<&str> {
        match self {
            Self::Text(m) => m.reply_to.as_deref(),
            Self::Media(m) => m.reply_to.as_deref(),
            Self::Template(m) => m.reply_to.as_deref(),
            Self::Interactive(m) => m.reply_to.as_deref(),
            Self::Location(m) => m.reply_to.as_deref(),
            Self::Contacts(m) => m.reply_to.as_deref(),
            Self::Reaction(_) => None,
        }
    }

    /// Sets the caption of a media message (ignored by other kinds and by
    /// audio and stickers, which WhatsApp shows without captions).
    #[must_use]
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        if let Self::Media(m) = &mut self {
            m.caption = Some(caption.into());
        }
        self
    }

    /// Sets the file name shown for a document (ignored by other kinds).
    #[must_use]
    pub fn with_filename(mut self, filename: impl Into<String>) -> Self {
        if let Self::Media(m) = &mut self {
            m.filename = Some(filename.into());
        }
        self
    }

    /// Checks the message against the Cloud API's documented limits (button
    /// and row counts, title lengths, empty bodies). Providers call this
    /// before sending, so an invalid message never leaves the process.
    pub fn validate(&self) -> Result<(), InvalidMessage> {
        match self {
            Self::Text(t) => {
                non_empty("text.body", &t.body)?;
                max_chars("text.body", &t.body, MAX_TEXT_BODY_CHARS)
            }
            Self::Media(m) => match &m.source {
                MediaSource::Link(l) => non_empty("media.link", l),
                MediaSource::Id(i) => non_empty("media.id", i),
            },
            Self::Template(t) => {
                non_empty("template.name", &t.name)?;
                non_empty("template.language", &t.language)
            }
            Self::Interactive(i) => i.validate(),
            Self::Location(l) => {
                if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude)
                {
                    return Err(InvalidMessage::InvalidCoordinates {
                        latitude: l.latitude,
                        longitude: l.longitude,
                    });
                }
                Ok(())
            }
            Self::Contacts(c) => {
                if c.contacts.is_empty() {
                    return Err(InvalidMessage::Empty { field: "contacts" });
                }
                for contact in &c.contacts {
                    non_empty("contacts.name.formatted_name", &contact.name.formatted_name)?;
                }
                Ok(())
            }
            Self::Reaction(r) => non_empty("reaction.message_id", &r.message_id),
        }
    }

    /// The plain text a text-only channel can show for this message, if the
    /// message is text. Providers never turn other kinds into text silently.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(&t.body),
            _ => None,
        }
    }
}

impl From<TextMessage> for OutgoingMessage {
    fn from(m: TextMessage) -> Self {
        Self::Text(m)
    }
}
impl From<MediaMessage> for OutgoingMessage {
    fn from(m: MediaMessage) -> Self {
        Self::Media(m)
    }
}
impl From<TemplateMessage> for OutgoingMessage {
    fn from(m: TemplateMessage) -> Self {
        Self::Template(m)
    }
}
impl From<InteractiveMessage> for OutgoingMessage {
    fn from(m: InteractiveMessage) -> Self {
        Self::Interactive(m)
    }
}
impl From<LocationMessage> for OutgoingMessage {
    fn from(m: LocationMessage) -> Self {
        Self::Location(m)
    }
}
impl From<ContactsMessage> for OutgoingMessage {
    fn from(m: ContactsMessage) -> Self {
        Self::Contacts(m)
    }
}
impl From<ReactionMessage> for OutgoingMessage {
    fn from(m: ReactionMessage) -> Self {
        Self::Reaction(m)
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<(), InvalidMessage> {
    if value.trim().is_empty() {
        Err(InvalidMessage::Empty { field })
    } else {
        Ok(())
    }
}

fn max_chars(field: &'static str, value: &str, max: usize) -> Result<(), InvalidMessage> {
    let got = value.chars().count();
    if got > max {
        Err(InvalidMessage::TooLong { field, max, got })
    } else {
        Ok(())
    }
}

/// A message that breaks a documented limit; nothing was sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidMessage {
    /// A required text field is empty.
    #[error("{field} must not be empty")]
    Empty {
        /// Which field.
        field: &'static str,
    },
    /// A text field is longer than allowed.
    #[error("{field} has {got} characters, at most {max} allowed")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
        /// The actual length in characters.
        got: usize,
    },
    /// More reply buttons than allowed (or none).
    #[error("interactive message has {got} buttons, allowed 1..={max}")]
    TooManyButtons {
        /// The limit.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// More list rows than allowed (or none).
    #[error("interactive list has {got} rows, allowed 1..={max}")]
    TooManyRows {
        /// The limit.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// More list sections than allowed (or none).
    #[error("interactive list has {got} sections, allowed 1..={max}")]
    TooManySections {
        /// The limit.
        max: usize,
        /// How many were given.
        got: usize,
    },
    /// Two buttons or rows share an id, so replies could not be told apart.
    #[error("duplicate reply id {0:?}")]
    DuplicateId(String),
    /// A list with several sections needs a title on each.
    #[error("every section of a multi-section list needs a title")]
    MissingSectionTitle,
    /// Latitude or longitude out of range.
    #[error("coordinates out of range: {latitude}, {longitude}")]
    InvalidCoordinates {
        /// The latitude given.
        latitude: f64,
        /// The longitude given.
        longitude: f64,
    },
}

/// Plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TextMessage {
    /// The text (WhatsApp formatting like `*bold*` allowed).
    pub body: String,
    /// Ask WhatsApp to render a preview of the first URL in the body.
    #[serde(default)]
    pub preview_url: bool,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl TextMessage {
    /// A text message without preview.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            preview_url: false,
            reply_to: None,
        }
    }

    /// Turns URL preview on or off.
    #[must_use]
    pub fn preview_url(mut self, on: bool) -> Self {
        self.preview_url = on;
        self
    }
}

/// Which kind of media a [`MediaMessage`] carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaKind {
    /// JPEG or PNG image.
    Image,
    /// MP4 / 3GPP video.
    Video,
    /// Audio clip or voice note.
    Audio,
    /// Any document.
    Document,
    /// WebP sticker.
    Sticker,
}

impl MediaKind {
    /// The Cloud API name of this kind (`image`, `video`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Sticker => "sticker",
        }
    }
}

/// Where the media comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaSource {
    /// A public HTTPS URL the provider downloads.
    Link(String),
    /// An id returned by a Cloud API media upload.
    Id(String),
}

impl MediaSource {
    /// Media by public URL.
    pub fn link(url: impl Into<String>) -> Self {
        Self::Link(url.into())
    }

    /// Media by uploaded id.
    pub fn id(id: impl Into<String>) -> Self {
        Self::Id(id.into())
    }
}

/// Image, video, audio, document or sticker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MediaMessage {
    /// The kind of media.
    pub kind: MediaKind,
    /// Link or uploaded id.
    pub source: MediaSource,
    /// Caption (image, video, document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// File name shown for documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl MediaMessage {
    /// A media message without caption.
    pub fn new(kind: MediaKind, source: MediaSource) -> Self {
        Self {
            kind,
            source,
            caption: None,
            filename: None,
            reply_to: None,
        }
    }
}

/// A template message (Cloud API business-initiated messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TemplateMessage {
    /// The approved template name.
    pub name: String,
    /// Language code, e.g. `id` or `en_US`.
    pub language: String,
    /// Header, body and button parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<TemplateComponent>,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl TemplateMessage {
    /// A template without parameters.
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            components: Vec::new(),
            reply_to: None,
        }
    }

    /// Adds a component.
    #[must_use]
    pub fn with_component(mut self, component: TemplateComponent) -> Self {
        self.components.push(component);
        self
    }
}

/// Parameters for one part of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TemplateComponent {
    /// Header parameters (text or media).
    Header {
        /// The parameters, in order.
        parameters: Vec<TemplateParameter>,
    },
    /// Body `{{n}}` parameters.
    Body {
        /// The parameters, in order.
        parameters: Vec<TemplateParameter>,
    },
    /// Parameters of one button.
    Button {
        /// `quick_reply`, `url`, `copy_code`, ...
        sub_type: String,
        /// Zero-based position of the button.
        index: u8,
        /// The parameters (a payload for quick replies, a URL suffix for URL
        /// buttons).
        parameters: Vec<TemplateParameter>,
    },
}

/// One template parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TemplateParameter {
    /// A text value.
    Text {
        /// The text.
        text: String,
    },
    /// A currency amount; `amount_1000` is the amount times 1000.
    Currency {
        /// Text shown when localization fails.
        fallback_value: String,
        /// ISO 4217 code, e.g. `IDR`.
        code: String,
        /// Amount multiplied by 1000.
        amount_1000: i64,
    },
    /// A date-time shown as its fallback text.
    DateTime {
        /// The text shown.
        fallback_value: String,
    },
    /// Header image.
    Image {
        /// Link or uploaded id.
        source: MediaSource,
    },
    /// Header video.
    Video {
        /// Link or uploaded id.
        source: MediaSource,
    },
    /// Header document.
    Document {
        /// Link or uploaded id.
        source: MediaSource,
        /// File name shown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// Quick-reply button payload.
    Payload {
        /// Echoed back in the button tap webhook.
        payload: String,
    },
}

impl TemplateParameter {
    /// A text parameter.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }
}

/// An interactive message: reply buttons or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InteractiveMessage {
    /// Optional header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<InteractiveHeader>,
    /// Body text.
    pub body: String,
    /// Optional footer text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// Buttons or list.
    pub action: InteractiveAction,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl InteractiveMessage {
    /// An interactive message without header and footer.
    pub fn new(body: impl Into<String>, action: InteractiveAction) -> Self {
        Self {
            header: None,
            body: body.into(),
            footer: None,
            action,
            reply_to: None,
        }
    }

    /// Sets the header.
    #[must_use]
    pub fn with_header(mut self, header: InteractiveHeader) -> Self {
        self.header = Some(header);
        self
    }

    /// Sets the footer.
    #[must_use]
    pub fn with_footer(mut self, footer: impl Into<String>) -> Self {
        self.footer = Some(footer.into());
        self
    }

    fn validate(&self) -> Result<(), InvalidMessage> {
        non_empty("interactive.body", &self.body)?;
        max_chars("interactive.body", &self.body, MAX_INTERACTIVE_BODY_CHARS)?;
        let mut ids = std::collections::HashSet::new();
        match &self.action {
            InteractiveAction::Buttons(buttons) => {
                if buttons.is_empty() || buttons.len() > MAX_REPLY_BUTTONS {
                    return Err(InvalidMessage::TooManyButtons {
                        max: MAX_REPLY_BUTTONS,
                        got: buttons.len(),
                    });
                }
                for b in buttons {
                    non_empty("button.id", &b.id)?;
                    max_chars("button.id", &b.id, MAX_REPLY_ID_CHARS)?;
                    non_empty("button.title", &b.title)?;
                    max_chars("button.title", &b.title, MAX_BUTTON_TITLE_CHARS)?;
                    if !ids.insert(b.id.as_str()) {
                        return Err(InvalidMessage::DuplicateId(b.id.clone()));
                    }
                }
            }
            InteractiveAction::List { button, sections } => {
                non_empty("list.button", button)?;
                max_chars("list.button", button, MAX_BUTTON_TITLE_CHARS)?;
                if sections.is_empty() || sections.len() > MAX_LIST_SECTIONS {
                    return Err(InvalidMessage::TooManySections {
                        max: MAX_LIST_SECTIONS,
                        got: sections.len(),
                    });
                }
                let rows: usize = sections.iter().map(|s| s.rows.len()).sum();
                if rows == 0 || rows > MAX_LIST_ROWS {
                    return Err(InvalidMessage::TooManyRows {
                        max: MAX_LIST_ROWS,
                        got: rows,
                    });
                }
                if sections.len() > 1 && sections.iter().any(|s| s.title.is_none()) {
                    return Err(InvalidMessage::MissingSectionTitle);
                }
                for s in sections {
                    if let Some(t) = &s.title {
                        max_chars("section.title", t, MAX_ROW_TITLE_CHARS)?;
                    }
                    for r in &s.rows {
                        non_empty("row.id", &r.id)?;
                        max_chars("row.id", &r.id, MAX_REPLY_ID_CHARS)?;
                        non_empty("row.title", &r.title)?;
                        max_chars("row.title", &r.title, MAX_ROW_TITLE_CHARS)?;
                        if let Some(d) = &r.description {
                            max_chars("row.description", d, MAX_ROW_DESCRIPTION_CHARS)?;
                        }
                        if !ids.insert(r.id.as_str()) {
                            return Err(InvalidMessage::DuplicateId(r.id.clone()));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Header of an interactive message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum InteractiveHeader {
    /// Text header.
    Text {
        /// The text.
        text: String,
    },
    /// Image header.
    Image {
        /// Link or uploaded id.
        source: MediaSource,
    },
    /// Video header.
    Video {
        /// Link or uploaded id.
        source: MediaSource,
    },
    /// Document header.
    Document {
        /// Link or uploaded id.
        source: MediaSource,
    },
}

/// What the user can tap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InteractiveAction {
    /// Up to [`MAX_REPLY_BUTTONS`] reply buttons.
    Buttons(Vec<ReplyButton>),
    /// A list with up to [`MAX_LIST_ROWS`] rows in total.
    List {
        /// Label of the button that opens the list.
        button: String,
        /// The sections.
        sections: Vec<ListSection>,
    },
}

/// One reply button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplyButton {
    /// Id echoed back in the reply webhook.
    pub id: String,
    /// Title shown (max 20 characters).
    pub title: String,
}

impl ReplyButton {
    /// A button.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
        }
    }
}

/// A section of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListSection {
    /// Title (required when there is more than one section).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The rows.
    pub rows: Vec<ListRow>,
}

impl ListSection {
    /// A section.
    pub fn new(title: Option<String>, rows: Vec<ListRow>) -> Self {
        Self { title, rows }
    }
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListRow {
    /// Id echoed back in the reply webhook.
    pub id: String,
    /// Title (max 24 characters).
    pub title: String,
    /// Description (max 72 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ListRow {
    /// A row without description.
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A location pin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LocationMessage {
    /// Latitude in degrees.
    pub latitude: f64,
    /// Longitude in degrees.
    pub longitude: f64,
    /// Place name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

impl LocationMessage {
    /// A pin without name or address.
    pub fn new(latitude: f64, longitude: f64) -> Self {
        Self {
            latitude,
            longitude,
            name: None,
            address: None,
            reply_to: None,
        }
    }

    /// Sets name and address.
    #[must_use]
    pub fn with_place(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.address = Some(address.into());
        self
    }
}

/// Contact cards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactsMessage {
    /// The cards.
    pub contacts: Vec<Contact>,
    /// Provider message id this replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

/// A contact card (sent or received).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// Name parts.
    pub name: ContactName,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<ContactPhone>,
    /// Email addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<ContactEmail>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
}

impl Contact {
    /// A card with a display name and one phone number.
    pub fn new(formatted_name: impl Into<String>, phone: Option<&crate::PhoneNumber>) -> Self {
        Self {
            name: ContactName {
                formatted_name: formatted_name.into(),
                ..ContactName::default()
            },
            phones: phone
                .map(|p| ContactPhone {
                    phone: p.e164().to_owned(),
                    kind: None,
                    wa_id: Some(p.digits().to_owned()),
                })
                .into_iter()
                .collect(),
            emails: Vec::new(),
            company: None,
        }
    }
}

/// Name of a contact card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactName {
    /// The full name as shown.
    pub formatted_name: String,
    /// First name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

/// A phone number on a contact card (kept as text: cards carry what the
/// sender typed).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactPhone {
    /// The number as written.
    pub phone: String,
    /// `CELL`, `WORK`, `HOME`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// WhatsApp id (digits) when the number is on WhatsApp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// An email address on a contact card.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactEmail {
    /// The address.
    pub email: String,
    /// `WORK`, `HOME`, ...
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReactionMessage {
    /// The message reacted to.
    pub message_id: String,
    /// The emoji; empty removes the reaction.
    pub emoji: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<ListRow> {
        (0..n)
            .map(|i| ListRow::new(format!("r{i}"), format!("Row {i}")))
            .collect()
    }

    #[test]
    fn button_limits() {
        let four = (0..4)
            .map(|i| ReplyButton::new(format!("b{i}"), "x"))
            .collect();
        assert_eq!(
            OutgoingMessage::buttons("pick", four).validate(),
            Err(InvalidMessage::TooManyButtons { max: 3, got: 4 })
        );
        assert_eq!(
            OutgoingMessage::buttons("pick", vec![]).validate(),
            Err(InvalidMessage::TooManyButtons { max: 3, got: 0 })
        );
        let dup = vec![ReplyButton::new("a", "A"), ReplyButton::new("a", "B")];
        assert_eq!(
            OutgoingMessage::buttons("pick", dup).validate(),
            Err(InvalidMessage::DuplicateId("a".into()))
        );
        let long = vec![ReplyButton::new("a", "x".repeat(21))];
        assert!(matches!(
            OutgoingMessage::buttons("pick", long).validate(),
            Err(InvalidMessage::TooLong {
                field: "button.title",
                max: 20,
                got: 21
            })
        ));
    }

    #[test]
    fn list_limits() {
        let ok = OutgoingMessage::list("menu", "Lihat", vec![ListSection::new(None, rows(10))]);
        assert_eq!(ok.validate(), Ok(()));
        let too_many = OutgoingMessage::list(
            "menu",
            "Lihat",
            vec![
                ListSection::new(Some("A".into()), rows(6)),
                ListSection::new(Some("B".into()), rows(5)),
            ],
        );
        // Row ids repeat across sections too, but the count check comes first.
        assert_eq!(
            too_many.validate(),
            Err(InvalidMessage::TooManyRows { max: 10, got: 11 })
        );
        let untitled = OutgoingMessage::list(
            "menu",
            "Lihat",
            vec![
                ListSection::new(None, rows(1)),
                ListSection::new(Some("B".into()), vec![]),
            ],
        );
        assert_eq!(
            untitled.validate(),
            Err(InvalidMessage::MissingSectionTitle)
        );
    }

    #[test]
    fn reply_to_and_kind() {
        let m = OutgoingMessage::document(MediaSource::id("123"))
            .with_filename("invoice.pdf")
            .reply_to("wamid.X");
        assert_eq!(m.kind(), "document");
        assert_eq!(m.reply_to_id(), Some("wamid.X"));
        let r = OutgoingMessage::reaction("wamid.Y", "👍").reply_to("ignored");
        assert_eq!(r.reply_to_id(), None);
    }

    #[test]
    fn serde_round_trip() {
        let m = OutgoingMessage::template("order_update", "id").reply_to("wamid.1");
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["type"], "template");
        let back: OutgoingMessage = serde_json::from_value(json).unwrap();
        assert_eq!(back, m);
    }
}
