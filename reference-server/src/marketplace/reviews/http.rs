//! Review routes: a buyer writes (`POST /api/v1/marketplace/products/{id}/reviews`),
//! anyone reads (`GET` on the same path).

use axum::extract::{Path, Query, State};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::model::{Cursor, NewReview, Review, ReviewPage, ReviewQuery};
use super::store::{self, NewRow};
use crate::AppState;
use crate::db::now_ms;
use crate::domain::{ProductId, ReviewId};
use crate::http::i18n::Text;
use crate::http::{ApiJson, ApiResult, AppError, ConstraintExt, created, ok};
use crate::marketplace::buyers::{self, CurrentBuyer};
use crate::marketplace::catalog::store as catalog;
use crate::marketplace::orders::store as orders;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(write_review, product_reviews))
}

/// Review a product the buyer received: only with a delivered order that
/// contains it, once per product. The product's rating changes with it.
#[utoipa::path(post, path = "/api/v1/marketplace/products/{product_id}/reviews", tag = "marketplace",
    security(("buyer_session" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    request_body = NewReview,
    responses((status = 201, description = "Written", body = inline(crate::http::Data<Review>)),
        (status = 400, description = "Rating not 1-5 or text missing/too long", body = crate::http::ErrorBody),
        (status = 403, description = "`review_not_allowed`: no delivered order of this buyer contains the product", body = crate::http::ErrorBody),
        (status = 409, description = "`already_reviewed`", body = crate::http::ErrorBody)))]
async fn write_review(
    State(state): State<AppState>,
    buyer: CurrentBuyer,
    Path(product_id): Path<ProductId>,
    ApiJson(req): ApiJson<NewReview>,
) -> Result<
    (
        axum::http::StatusCode,
        axum::Json<crate::http::Data<Review>>,
    ),
    AppError,
> {
    let (rating, text) = req.validate()?;
    let name = buyers::store::get(&state.pool, &buyer.buyer_id)
        .await?
        .and_then(|b| b.name)
        .unwrap_or_default();
    let id = ReviewId::new();
    let now = now_ms();
    let mut tx = state.begin_write().await?;
    let (order, tenant) = orders::delivered_order_with(&mut *tx, &buyer.buyer_id, &product_id)
        .await?
        .ok_or_else(|| {
            AppError::Forbidden {
                code: "review_not_allowed",
                message: Text::new(
                    "hanya pembeli yang pesanannya berisi produk ini sudah diterima yang dapat memberi ulasan",
                    "only a buyer whose order with this product was delivered may review it",
                ),
            }
        })?;
    store::insert(
        &mut tx,
        &NewRow {
            id: &id,
            product: &product_id,
            tenant: &tenant,
            buyer: &buyer.buyer_id,
            order: &order,
            rating,
            body: &text,
            reviewer_name: &name,
            created_at: now,
        },
    )
    .await
    .on_unique(
        "already_reviewed",
        Text::new(
            "Anda sudah memberi ulasan untuk produk ini",
            "you have already reviewed this product",
        ),
    )?;
    catalog::add_rating(&mut tx, &product_id, rating).await?;
    tx.commit().await?;
    Ok(created(Review {
        id,
        product_id,
        rating,
        text,
        reviewer_name: name,
        created_at: now,
    }))
}

/// A published product's reviews, newest first, with its rating.
#[utoipa::path(get, path = "/api/v1/marketplace/products/{product_id}/reviews", tag = "marketplace",
    params(("product_id" = String, Path, description = "Product id"), ReviewQuery),
    responses((status = 200, description = "One page", body = inline(crate::http::Data<ReviewPage>)),
        (status = 400, description = "Invalid limit or cursor", body = crate::http::ErrorBody),
        (status = 404, description = "No such published product", body = crate::http::ErrorBody)))]
async fn product_reviews(
    State(state): State<AppState>,
    Path(product_id): Path<ProductId>,
    Query(q): Query<ReviewQuery>,
) -> ApiResult<ReviewPage> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(
            "invalid_limit",
            Text::new("limit: harus 1 sampai 100", "limit: must be 1 to 100"),
        ));
    }
    let cursor = q.cursor.as_deref().map(Cursor::parse).transpose()?;
    let product = catalog::published_product(&state.pool, &product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let mut items = store::of_product(&state.pool, &product_id, cursor.as_ref(), limit + 1).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(Cursor::after)
    } else {
        None
    };
    Ok(ok(ReviewPage {
        rating_count: product.rating_count,
        rating_avg_x100: product.rating_avg_x100,
        items,
        next_cursor,
    }))
}
