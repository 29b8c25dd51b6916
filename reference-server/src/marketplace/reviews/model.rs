//! Review types: request, answers and validation.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::{ProductId, ReviewId};
use crate::http::AppError;
use crate::http::i18n::Text;

/// Longest review text, in characters.
pub const MAX_BODY_CHARS: usize = 2000;

/// Review a product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReview {
    /// 1 (poor) to 5 (excellent).
    pub rating: i64,
    /// What the buyer thinks (1-2000 characters).
    pub text: String,
}

impl NewReview {
    /// The rating and the trimmed text, or a 400 naming what is wrong.
    pub fn validate(&self) -> Result<(i64, String), AppError> {
        if !(1..=5).contains(&self.rating) {
            return Err(AppError::bad_request(
                "invalid_rating",
                Text::new("rating: harus 1 sampai 5", "rating: must be 1 to 5"),
            ));
        }
        let text =
            crate::marketplace::buyers::model::text_field("text", &self.text, MAX_BODY_CHARS)?;
        Ok((self.rating, text))
    }
}

/// A review as shown to everyone.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Review {
    /// Id.
    pub id: ReviewId,
    /// The product.
    pub product_id: ProductId,
    /// 1-5.
    pub rating: i64,
    /// The text.
    pub text: String,
    /// The buyer's name when the review was written.
    pub reviewer_name: String,
    /// Written (unix ms).
    pub created_at: i64,
}

/// A page of a product's reviews, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    /// Reviews of the product in all.
    pub rating_count: i64,
    /// Average rating times 100 (e.g. 450 for 4.5); 0 without reviews.
    pub rating_avg_x100: i64,
    /// This page.
    pub items: Vec<Review>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Paging of a product's reviews.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// Page size, 1-100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Where a page starts: strictly older than (created_at, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub(crate) created_at: i64,
    pub(crate) id: String,
}

impl Cursor {
    /// The cursor after `r`.
    pub fn after(r: &Review) -> String {
        format!("{}_{}", r.created_at, r.id)
    }

    /// Reads a cursor made by [`Cursor::after`].
    pub fn parse(s: &str) -> Result<Self, AppError> {
        s.split_once('_')
            .and_then(|(t, id)| {
                Some(Self {
                    created_at: t.parse().ok()?,
                    id: id.to_owned(),
                })
            })
            .filter(|c| !c.id.is_empty())
            .ok_or_else(|| {
                AppError::bad_request(
                    "invalid_cursor",
                    Text::new("cursor: tidak dikenal", "cursor: not recognised"),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ratings_outside_one_to_five_are_refused() {
        for r in [0, 6, -1] {
            let e = NewReview {
                rating: r,
                text: "ok".into(),
            }
            .validate()
            .unwrap_err();
            assert_eq!(e.code(), "invalid_rating");
        }
        assert_eq!(
            NewReview {
                rating: 5,
                text: "  bagus ".into()
            }
            .validate()
            .unwrap(),
            (5, "bagus".to_owned())
        );
        assert_eq!(
            NewReview {
                rating: 3,
                text: " ".into()
            }
            .validate()
            .unwrap_err()
            .code(),
            "invalid_field"
        );
    }

    #[test]
    fn cursors_round_trip() {
        let c = Cursor::parse("1700000000000_0193-abc").unwrap();
        assert_eq!(
            c,
            Cursor {
                created_at: 1_700_000_000_000,
                id: "0193-abc".into()
            }
        );
        assert!(Cursor::parse("x_1").is_err());
        assert!(Cursor::parse("12_").is_err());
    }
}
