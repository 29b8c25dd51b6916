//! A headless Chromium driven through chromedriver (WebDriver) by
//! `fantoccini`, for the browser tests of the console: start it against a
//! running app, walk pages, fill and click, save screenshots at a phone
//! and a desktop size under `target/screenshots/`.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/setup.sh`
//! installs them).
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver process and a Chromium session with a fresh profile.
pub struct Browser {
    pub client: Client,
    pub base: String,
    shots: PathBuf,
    downloads: tempfile::TempDir,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// The chromedriver process, stopped when the test ends (also on panic).
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

impl Browser {
    pub async fn start(base: &str) -> Self {
        let driver_path = which("chromedriver").unwrap_or_else(|| {
            panic!(
                "chromedriver is not installed: run scripts/setup.sh (it installs Debian's \
                 chromium and chromium-driver)"
            )
        });
        let chromium = ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .find_map(which)
            .unwrap_or_else(|| panic!("chromium is not installed: run scripts/setup.sh"));
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Driver(
            std::process::Command::new(driver_path)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let profile = tempfile::tempdir().unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=390,844",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps = caps.as_object().unwrap().clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        let mut client = None;
        // chromedriver takes a moment to listen.
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let client = client.unwrap_or_else(|| panic!("cannot start Chromium: {last:?}"));
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        Self {
            client,
            base: base.to_owned(),
            shots,
            downloads,
            _driver: driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Waits (up to 15 s) until the browser is at `path`: a form post
    /// navigates after `click` returns.
    pub async fn wait_path(&self, path: &str) {
        for _ in 0..150 {
            if self.path().await == path {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(self.path().await, path, "the browser never reached {path}");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        // A look-up that starts while the page is still navigating (after a
        // form post) is answered "aborted by navigation" at once: ask again
        // until the deadline instead of failing on it. The deadline is
        // generous: the suite runs browsers beside every other test on two
        // cores.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self
                .client
                .wait()
                .at_most(left)
                .for_element(Locator::Css(css))
                .await
            {
                Ok(el) => return el,
                Err(e)
                    if e.to_string().contains("aborted by navigation")
                        && std::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("no element {css} on {}: {e}", self.base),
            }
        }
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    /// Clicks `css`, finding it again when a live update or the previous
    /// step's navigation replaced it (a stale element).
    pub async fn click(&self, css: &str) {
        let mut last = None;
        for _ in 0..50 {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot click {css}: {last:?}")
    }

    /// The text of `css`, read again when a live update replaced it.
    pub async fn text(&self, css: &str) -> String {
        let mut last = None;
        for _ in 0..50 {
            match self.find(css).await.text().await {
                Ok(t) => return t,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot read {css}: {last:?}")
    }

    /// The page's visible text (read again when the page was replaced
    /// while reading it).
    pub async fn body(&self) -> String {
        let mut last = None;
        for _ in 0..50 {
            match self.find("body").await.text().await {
                Ok(t) => return t,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot read the page: {last:?}")
    }

    /// Waits until the page body contains `needle` (live updates).
    pub async fn wait_text(&self, needle: &str) {
        for _ in 0..150 {
            if self.body().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the page {} never showed {needle:?}; it shows:\n{}",
            self.path().await,
            self.body().await
        );
    }

    /// Saves the page at a phone size and at a desktop size.
    pub async fn shot(&self, name: &str) {
        self.shot_sizes(name, &[("phone", 390, 844), ("desktop", 1280, 860)])
            .await;
    }

    /// Saves the page at each `(suffix, width, height)` as
    /// `<name>-<suffix>.png`, then goes back to the phone size.
    pub async fn shot_sizes(&self, name: &str, sizes: &[(&str, u32, u32)]) {
        for (size, w, h) in sizes {
            self.client.set_window_size(*w, *h).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(self.shots.join(format!("{name}-{size}.png")), png).unwrap();
        }
        self.client.set_window_size(390, 844).await.unwrap();
    }
}

impl Browser {
    /// Signs in through the login page and waits for the console.
    pub async fn login(&self, email: &str, password: &str) {
        self.goto("/login").await;
        self.fill("#f-email", email).await;
        self.fill("#f-password", password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.find("nav.menu").await;
    }

    /// Accepts the page's `confirm()` question (forms with `data-confirm`).
    pub async fn accept_confirm(&self) {
        for _ in 0..50 {
            if self.client.accept_alert().await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no confirmation was asked on {}", self.path().await);
    }

    /// Whether an element matches `css` now (no waiting).
    /// Waits until no element matches `css` (a page replaced after a post).
    pub async fn wait_gone(&self, css: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.has(css).await {
            assert!(
                std::time::Instant::now() < deadline,
                "{css} is still on {}",
                self.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// The elements that reach past the right edge of the window (the
    /// page scrolls sideways), as `tag#id.class` with their right edge;
    /// empty when the page fits. Content inside a sideways-scrolling box
    /// (`.table-wrap`, the menu) does not count.
    pub async fn overflowing(&self) -> Vec<String> {
        let found = self
            .client
            .execute(
                r#"
                const width = document.documentElement.clientWidth;
                const inScroller = (el) => {
                  for (let p = el.parentElement; p; p = p.parentElement) {
                    const o = getComputedStyle(p).overflowX;
                    if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
                  }
                  return false;
                };
                const out = [];
                for (const el of document.body.querySelectorAll('*')) {
                  const r = el.getBoundingClientRect();
                  if (r.width > 0 && r.right > width + 1 && !inScroller(el)) {
                    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
                      ' right=' + Math.round(r.right));
                  }
                }
                if (document.documentElement.scrollWidth > width + 1) {
                  out.push('page scrollWidth=' + document.documentElement.scrollWidth);
                }
                return out;
                "#,
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(found).unwrap()
    }

    /// Sets the window to `width` x `height`.
    pub async fn resize(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
    }

    /// Waits for a finished download whose name starts with `prefix` and
    /// ends with `ext`, and returns its bytes.
    pub async fn downloaded(&self, prefix: &str, ext: &str) -> Vec<u8> {
        for _ in 0..100 {
            let done = std::fs::read_dir(self.downloads.path())
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    name.starts_with(prefix) && name.ends_with(ext)
                });
            if let Some(p) = done {
                return std::fs::read(p).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let seen: Vec<_> = std::fs::read_dir(self.downloads.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        panic!("no download {prefix}*{ext}; the folder holds {seen:?}");
    }

    /// Ends the browser session.
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
