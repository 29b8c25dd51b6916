//! Live fragments over server-sent events: a page region with
//! `hx-ext="sse" sse-connect="<url>" sse-swap="<event>"` is replaced by
//! each event. [`stream`] polls a render function and sends the fragment
//! when it changed, so every process of a deployment serves it from the
//! shared database; it ends when the server shuts down.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;

use crate::AppState;
use crate::http::AppError;

/// How often a live region is re-read.
const EVERY: Duration = Duration::from_millis(700);

/// An SSE answer that sends `render()`'s HTML as event `event` now and
/// whenever it changes.
pub(super) fn stream<F, Fut>(
    state: &AppState,
    event: &'static str,
    render: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<F, Fut>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AppError>> + Send,
{
    stream_parts(state, move || {
        let html = render();
        async move { Ok(vec![(event, html.await?)]) }
    })
}

/// An SSE answer for a page with several live regions read together:
/// `render()` gives each region's event name and HTML, and each region is
/// sent now and whenever its own HTML changes (a region whose HTML stays
/// the same is not sent again, so a form in it is not replaced while
/// being used).
pub(super) fn stream_parts<F, Fut>(
    state: &AppState,
    render: F,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<F, Fut>>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<(&'static str, String)>, AppError>> + Send,
{
    let mut stop = state.services.shutdown.subscribe();
    let s = async_stream(move |tx| async move {
        let mut last: HashMap<&'static str, String> = HashMap::new();
        loop {
            match render().await {
                Ok(parts) => {
                    for (event, html) in parts {
                        if last.get(event) == Some(&html) {
                            continue;
                        }
                        if tx
                            .send(Event::default().event(event).data(html.clone()))
                            .await
                            .is_err()
                        {
                            return;
                        }
                        last.insert(event, html);
                    }
                }
                Err(e) => {
                    e.log();
                    return;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                _ = stop.changed() => return,
            }
        }
    });
    Sse::new(s).keep_alive(KeepAlive::default())
}

/// A stream fed by a task through a small channel; the task ends when the
/// client goes away (the channel closes).
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(f(tx));
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|e| e.map(Ok)))
}
