//! The typed domain shared by every feature: identifiers and the way
//! stored states and kinds are declared.
//!
//! Identifiers: one newtype per kind of row, so a function that takes a
//! tenant and a device cannot be handed the two the wrong way round. Each
//! is a string (uuid v7 for new rows, see [`crate::db::new_id`]),
//! transparent for serde (a plain JSON string, a path segment) and for sqlx
//! (a TEXT column), and shown in the OpenAPI document as a string.
//!
//! States and kinds: [`text_enum!`](crate::text_enum) declares an enum
//! stored as TEXT, serialized as the same text, and listed with its allowed
//! values in the OpenAPI document. The feature that owns the column owns
//! the enum (in its `model.rs`).

/// A stored text that names no value of the enum it was read as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    /// The enum's name.
    pub kind: &'static str,
    /// The text that was read.
    pub value: String,
}

/// Declares an enum stored as TEXT: each variant names its text.
///
/// ```
/// reference_server::text_enum! {
///     /// Where a parcel is.
///     pub enum ParcelState {
///         /// Not sent yet.
///         Packed = "packed",
///         /// On its way.
///         InTransit = "in_transit",
///     }
/// }
/// assert_eq!(ParcelState::InTransit.as_str(), "in_transit");
/// assert_eq!("packed".parse::<ParcelState>().unwrap(), ParcelState::Packed);
/// assert!("lost".parse::<ParcelState>().is_err());
/// assert_eq!(serde_json::to_string(&ParcelState::Packed).unwrap(), "\"packed\"");
/// ```
#[macro_export]
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            // `tt`, not `literal`: a `literal` fragment reaches derives
            // wrapped in an invisible group, which utoipa does not read,
            // so the OpenAPI document listed the variant names instead.
            $($(#[$vmeta:meta])* $variant:ident = $text:tt),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
        )]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// The value stored as `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| $crate::domain::UnknownValue {
                    kind: stringify!($name),
                    value: text.to_owned(),
                })
            }
        }

        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <str as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Any>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(
                value: <sqlx::Any as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(text.parse::<Self>()?)
            }
        }
    };
}

/// Declares an id newtype.
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sqlx::Type, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        #[schema(value_type = String)]
        pub struct $name(String);

        impl $name {
            /// A fresh id (uuid v7: sortable by creation time).
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(crate::db::new_id())
            }

            /// The id as stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        // An id reads as the string it is, so code that takes `&str` (a
        // bind, a log field, a helper not typed yet) accepts it; the other
        // way round needs a conversion, which is what keeps two kinds of
        // id from being swapped.
        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )*};
}

id_type! {
    /// A vendor (tenant) of the platform.
    TenantId;
    /// A member (user) of a vendor.
    MemberId;
    /// A platform administrator.
    AdminId;
    /// An API key of a vendor.
    ApiKeyId;
    /// A WhatsApp number connected by a vendor.
    DeviceId;
    /// A vendor's contact.
    ContactId;
    /// A group of contacts.
    GroupId;
    /// A message template.
    TemplateId;
    /// A broadcast campaign.
    CampaignId;
    /// One recipient row of a campaign (the follow-up row adds `:f`).
    RecipientId;
    /// A conversation with one customer on one device.
    ConversationId;
    /// A stored inbound or outbound message.
    MessageId;
    /// A subscription plan.
    PlanId;
    /// A plan order (one Midtrans transaction).
    OrderId;
    /// A vendor's LLM provider (one entry of its AI fallback order).
    LlmProviderId;
    /// The invoice of a paid plan order.
    InvoiceId;
}

// The marketplace's rows.
id_type! {
    /// A marketplace buyer (identified by a WhatsApp number).
    BuyerId;
    /// A buyer's shipping address.
    AddressId;
    /// A product of a vendor's catalog.
    ProductId;
    /// A sellable variant of a product (its own SKU, price and stock).
    VariantId;
    /// An image of a product.
    ImageId;
    /// One checkout: one payment for the orders of several vendors.
    OrderGroupId;
    /// One vendor's part of an order group.
    VendorOrderId;
    /// A buyer's review of a product.
    ReviewId;
    /// A payout to a vendor (one Iris transfer).
    PayoutId;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, unreachable_pub)]
    use super::*;

    #[test]
    fn ids_are_plain_strings_on_the_wire() {
        let id = TenantId::from("0193a1b2-tenant");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0193a1b2-tenant\"");
        let back: TenantId = serde_json::from_str("\"0193a1b2-tenant\"").unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_string(), "0193a1b2-tenant");
        assert!(id == "0193a1b2-tenant");
    }

    #[test]
    fn new_ids_differ_and_sort_by_creation() {
        let a = DeviceId::new();
        let b = DeviceId::new();
        assert_ne!(a, b);
        assert!(a < b, "{a} then {b}");
    }

    crate::text_enum! {
        /// A test enum.
        enum Light {
            /// Stop.
            Red = "red",
            /// Go.
            Green = "green",
        }
    }

    #[tokio::test]
    async fn text_enums_round_trip_and_refuse_unknown_text() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (state TEXT NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t (state) VALUES ($1)")
            .bind(Light::Green)
            .execute(&pool)
            .await
            .unwrap();
        let read: Light = sqlx::query_scalar("SELECT state FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(read, Light::Green);
        sqlx::query("UPDATE t SET state = 'blue'")
            .execute(&pool)
            .await
            .unwrap();
        let err = sqlx::query_scalar::<_, Light>("SELECT state FROM t")
            .fetch_one(&pool)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("unknown Light \"blue\""), "{err}");
        assert_eq!(Light::ALL, &[Light::Red, Light::Green]);
    }

    #[test]
    fn text_enums_show_their_stored_texts_in_openapi() {
        let schema = serde_json::to_value(<Light as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!(["red", "green"]),
            "{schema}"
        );
    }

    #[tokio::test]
    async fn ids_round_trip_through_the_database() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (id TEXT NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let id = CampaignId::new();
        sqlx::query("INSERT INTO t (id) VALUES ($1)")
            .bind(&id)
            .execute(&pool)
            .await
            .unwrap();
        let read: CampaignId = sqlx::query_scalar("SELECT id FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(read, id);
    }
}
