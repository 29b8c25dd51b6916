//! Product images: a small storage trait with a local-disk implementation
//! (under `<data_dir>/marketplace/images`, the default), type sniffing
//! from the bytes themselves and a size limit
//! (`marketplace.image_max_bytes`).
//!
//! An object store can be added by implementing [`ImageStorage`] and
//! returning it from [`storage`].

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::model::Image;
use super::store;
use crate::AppState;
use crate::auth::{CurrentMember, Role};
use crate::domain::{ImageId, ProductId, TenantId};
use crate::http::i18n::{Text, tr};
use crate::http::{AppError, Created, ResultExt, created};

/// Images per product.
pub const MAX_IMAGES: i64 = 10;

/// Where image bytes live.
#[async_trait::async_trait]
pub trait ImageStorage: Send + Sync + std::fmt::Debug {
    /// Stores `bytes` under `key` (replacing nothing: keys are fresh ids).
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    /// The bytes under `key`.
    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>>;
    /// Removes `key` (a missing key is not an error).
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Files under a directory, one per key.
#[derive(Debug, Clone)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    /// Storage under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        let safe = !key.is_empty()
            && !key.contains("..")
            && !key.starts_with('/')
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if safe {
            Ok(self.root.join(key))
        } else {
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "unsafe storage key",
            ))
        }
    }
}

#[async_trait::async_trait]
impl ImageStorage for LocalDisk {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Written aside, then renamed: a reader never sees half a file.
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    async fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.path(key)?).await
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The configured image storage.
pub fn storage(state: &AppState) -> Arc<dyn ImageStorage> {
    Arc::new(LocalDisk::new(
        state.config.data_dir.join("marketplace").join("images"),
    ))
}

/// The image type of `bytes` by their signature, with its file extension:
/// JPEG, PNG, WebP or GIF; anything else is refused whatever its name or
/// declared type.
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else {
        None
    }
}

/// The public URL of an image.
pub fn url(id: &ImageId) -> String {
    format!("/api/v1/marketplace/images/{id}")
}

/// Upload an image of a product: the raw bytes as the body (JPEG, PNG,
/// WebP or GIF; the type is read from the bytes).
#[utoipa::path(post, path = "/api/v1/marketplace/vendor/products/{product_id}/images", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id")),
    request_body(content = Vec<u8>, description = "Image bytes", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = inline(crate::http::Data<Image>)),
        (status = 400, description = "Empty body", body = crate::http::ErrorBody),
        (status = 404, description = "No such product of this vendor", body = crate::http::ErrorBody),
        (status = 409, description = "Too many images", body = crate::http::ErrorBody),
        (status = 413, description = "Larger than the limit", body = crate::http::ErrorBody),
        (status = 415, description = "Not a JPEG, PNG, WebP or GIF image", body = crate::http::ErrorBody)))]
pub(super) async fn upload_image(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(product_id): Path<ProductId>,
    body: Bytes,
) -> Created<Image> {
    Ok(created(
        add_image(&state, &member, &product_id, &body).await?,
    ))
}

/// Stores an image of one of the vendor's products (admin role): the
/// type judged by the bytes, the size limit, at most [`MAX_IMAGES`].
pub(crate) async fn add_image(
    state: &AppState,
    member: &CurrentMember,
    product_id: &ProductId,
    body: &[u8],
) -> Result<Image, AppError> {
    member.require(Role::Admin)?;
    let tenant = member.tenant();
    store::product(&state.pool, tenant, product_id)
        .await?
        .ok_or(AppError::NotFound("product"))?;
    let limit = state.config.marketplace.image_limit();
    if body.is_empty() {
        return Err(AppError::bad_request(
            "empty_image",
            Text::new("isi gambar kosong", "the image is empty"),
        ));
    }
    if body.len() > limit {
        return Err(AppError::Status {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "image_too_large",
            message: tr!(
                "gambar paling besar {limit} byte",
                "an image may be at most {limit} bytes"
            ),
        });
    }
    let Some((content_type, ext)) = sniff(body) else {
        return Err(AppError::Status {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_image",
            message: Text::new(
                "berkas ini bukan gambar JPEG, PNG, WebP atau GIF",
                "the file is not a JPEG, PNG, WebP or GIF image",
            ),
        });
    };
    if store::image_count(&state.pool, product_id).await? >= MAX_IMAGES {
        return Err(AppError::conflict(
            "too_many_images",
            tr!(
                "paling banyak {MAX_IMAGES} gambar per produk",
                "at most {MAX_IMAGES} images per product"
            ),
        ));
    }
    let id = ImageId::new();
    let key = format!("{tenant}/{id}.{ext}");
    let files = storage(state);
    files
        .put(&key, body)
        .await
        .map_err(|e| AppError::internal_from("storing an image", e))?;
    let size = i64::try_from(body.len()).unwrap_or(i64::MAX);
    if let Err(e) = store::insert_image(
        &state.pool,
        &id,
        product_id,
        tenant,
        &key,
        content_type,
        size,
    )
    .await
    {
        let _ = files.delete(&key).await;
        return Err(e.into());
    }
    Ok(Image {
        url: url(&id),
        id,
        content_type: content_type.to_owned(),
        size_bytes: size,
    })
}

/// Delete a product image.
#[utoipa::path(delete, path = "/api/v1/marketplace/vendor/products/{product_id}/images/{image_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("product_id" = String, Path, description = "Product id"),
        ("image_id" = String, Path, description = "Image id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such image of this vendor", body = crate::http::ErrorBody)))]
pub(super) async fn delete_image(
    State(state): State<AppState>,
    member: CurrentMember,
    Path((product_id, image_id)): Path<(ProductId, ImageId)>,
) -> Result<StatusCode, AppError> {
    remove_image(&state, &member, &product_id, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an image of one of the vendor's products (admin role).
pub(crate) async fn remove_image(
    state: &AppState,
    member: &CurrentMember,
    product_id: &ProductId,
    image_id: &ImageId,
) -> Result<(), AppError> {
    member.require(Role::Admin)?;
    let key = store::delete_image(&state.pool, member.tenant(), product_id, image_id)
        .await?
        .ok_or(AppError::NotFound("image"))?;
    if let Err(e) = storage(state).delete(&key).await {
        tracing::warn!(error = %e, "image file not removed");
    }
    Ok(())
}

/// The image's bytes as an answer: any published product's when `vendor`
/// is `None`, else only the vendor's own (drafts too).
pub(crate) async fn serve(
    state: &AppState,
    id: &ImageId,
    vendor: Option<&TenantId>,
) -> Result<Response, AppError> {
    let found = store::image_for(&state.pool, id, vendor)
        .await?
        .ok_or(AppError::NotFound("image"))?;
    let bytes = storage(state)
        .get(&found.storage_key)
        .await
        .context("reading an image")?;
    Ok((
        [
            (header::CONTENT_TYPE, found.content_type),
            (header::CACHE_CONTROL, "public, max-age=86400".to_owned()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// An image of a published product.
#[utoipa::path(get, path = "/api/v1/marketplace/images/{image_id}", tag = "marketplace",
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, description = "No such image of a published product", body = crate::http::ErrorBody)))]
pub(super) async fn public_image(
    State(state): State<AppState>,
    Path(image_id): Path<ImageId>,
) -> Result<Response, AppError> {
    serve(&state, &image_id, None).await
}

/// An image of one of the vendor's products (also drafts).
#[utoipa::path(get, path = "/api/v1/marketplace/vendor/images/{image_id}", tag = "marketplace",
    security(("session" = []), ("api_key" = [])),
    params(("image_id" = String, Path, description = "Image id")),
    responses((status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, description = "No such image of this vendor", body = crate::http::ErrorBody)))]
pub(super) async fn vendor_image(
    State(state): State<AppState>,
    member: CurrentMember,
    Path(image_id): Path<ImageId>,
) -> Result<Response, AppError> {
    serve(&state, &image_id, Some(member.tenant())).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sniffing_reads_signatures_not_names() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest").unwrap().0, "image/jpeg");
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest").unwrap().0, "image/png");
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().0, "image/webp");
        assert_eq!(sniff(b"GIF89a...").unwrap().0, "image/gif");
        assert!(sniff(b"<html>not an image</html>").is_none());
        assert!(sniff(b"RIFF\0\0\0\0WAVEfmt ").is_none());
        assert!(sniff(b"").is_none());
    }

    #[tokio::test]
    async fn local_disk_round_trips_and_refuses_unsafe_keys() {
        let dir = tempfile::tempdir().unwrap();
        let disk = LocalDisk::new(dir.path());
        disk.put("t1/a.png", b"bytes").await.unwrap();
        assert_eq!(disk.get("t1/a.png").await.unwrap(), b"bytes");
        disk.delete("t1/a.png").await.unwrap();
        assert!(disk.get("t1/a.png").await.is_err());
        disk.delete("t1/a.png").await.unwrap();
        assert!(disk.put("../escape", b"x").await.is_err());
        assert!(disk.put("/abs", b"x").await.is_err());
    }
}
