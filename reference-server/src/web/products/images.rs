//! A product's images: upload, delete, and serving them to the vendor.

use axum::extract::{Multipart, Path, State};
use axum::response::Response;

use super::super::page::{FormErrors, PageError, PageResult, see_other};
use super::super::session::Console;
use super::product::{Extra, answer, product_page};
use crate::AppState;
use crate::auth::Role;
use crate::domain::{ImageId, ProductId};
use crate::http::AppError;
use crate::http::i18n::Text;
use crate::marketplace::catalog::images;

/// `POST /console/products/{id}/images` (multipart: `_csrf` first, then
/// `image`).
pub(super) async fn upload(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ProductId>,
    mut form: Multipart,
) -> PageResult {
    c.member.require(Role::Admin)?;
    let mut bytes = None;
    while let Some(field) = form.next_field().await.map_err(|e| {
        AppError::bad_request(
            "invalid_form",
            Text::new(
                format!("formulir tidak terbaca: {e}"),
                format!("unreadable form: {e}"),
            ),
        )
    })? {
        if field.name() == Some("image") {
            bytes = Some(field.bytes().await.map_err(|_| AppError::PayloadTooLarge)?);
        }
    }
    let mut errors = FormErrors::new();
    match bytes.filter(|b| !b.is_empty()) {
        None => errors.add(
            "image",
            &Text::new("pilih berkas gambar", "choose an image file"),
        ),
        Some(b) => match images::add_image(&state, &c.member, &id, &b).await {
            Ok(_) => return see_other(&format!("/console/products/{id}#images")),
            Err(e) => errors.absorb(
                e,
                &[
                    ("unsupported_image", "image"),
                    ("image_too_large", "image"),
                    ("too_many_images", "image"),
                    ("empty_image", "image"),
                ],
            )?,
        },
    }
    let extra = Extra {
        image_errors: errors,
        ..Extra::default()
    };
    answer(&product_page(&state, c, &id, extra).await?)
}

/// `POST /console/products/{id}/images/{image}/delete`.
pub(super) async fn delete_image(
    State(state): State<AppState>,
    c: Console,
    Path((id, image)): Path<(ProductId, ImageId)>,
) -> PageResult {
    images::remove_image(&state, &c.member, &id, &image).await?;
    see_other(&format!("/console/products/{id}#images"))
}

/// `GET /console/images/{id}`: an image of the vendor's own products
/// (drafts too); another vendor's is not found.
pub(super) async fn image(
    State(state): State<AppState>,
    c: Console,
    Path(id): Path<ImageId>,
) -> Result<Response, PageError> {
    c.member.require(Role::Agent)?;
    Ok(images::serve(&state, &id, Some(c.member.tenant())).await?)
}
