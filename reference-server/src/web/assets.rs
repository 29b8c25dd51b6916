//! Static files of the console, embedded in the binary: the stylesheet,
//! the small script of the project, and htmx with its SSE extension
//! (versions and licenses in `static/VENDORED.md`).
//!
//! Pages link them as `/static/<name>?v=<hash>` ([`url`]); the hash is of
//! the content, so a file is cached for a year and a new binary's changed
//! file has a new URL. Every answer carries the hash as `ETag` and a
//! matching `If-None-Match` gets 304.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
    hash: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let files: [(&str, &str, &[u8]); 4] = [
        (
            "console.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/console.css"),
        ),
        (
            "console.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/console.js"),
        ),
        (
            "htmx.min.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/htmx.min.js"),
        ),
        (
            "htmx-ext-sse.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../static/htmx-ext-sse.js"),
        ),
    ];
    files
        .into_iter()
        .map(|(name, mime, body)| Asset {
            name,
            mime,
            body,
            hash: hex::encode(&Sha256::digest(body)[..8]),
        })
        .collect()
});

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The URL of an embedded file, with its content hash (`/static/x?v=...`).
/// An unknown name gives a URL that answers 404, so a typo shows up in the
/// browser tests rather than panicking a page.
pub fn url(name: &str) -> String {
    match find(name) {
        Some(a) => format!("/static/{}?v={}", a.name, a.hash),
        None => format!("/static/{name}"),
    }
}

/// `GET /static/{name}`.
pub(super) async fn serve(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(asset) = find(&name) else {
        return super::page::not_found().into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    let etag_header = (
        header::ETAG,
        HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\"")),
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [cache, etag_header]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.mime)),
            cache,
            etag_header,
        ],
        asset.body,
    )
        .into_response()
}
