//! A real headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`), for the dashboard's end-to-end tests.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session. [`Browser::quit`] ends it; if a test fails first, drop
/// kills the driver and every Chromium process it started.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    shots: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver leads a process group of its own, which Chromium's
        // processes inherit: killing only the driver would leave them running
        // (orphaned) after the test.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Start Chromium, or `None` (with a loud notice) when it is not installed and
/// this is not CI. In CI a missing browser fails the test.
pub async fn launch(artifacts: &str) -> Option<Browser> {
    if !std::path::Path::new(CHROMIUM).exists() || !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {CHROMIUM} / {CHROMEDRIVER} are missing (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "\n*** SKIPPED: browser test — {CHROMIUM} or {CHROMEDRIVER} not installed \
             (apt-get install chromium chromium-driver) ***\n"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        // Its own process group, so that drop can end Chromium with it.
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("profile dir");
    let caps = json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--user-data-dir={}", profile.path().display()),
                "--window-size=1280,1000",
            ],
        }
    });
    let caps = caps.as_object().cloned().unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = String::new();
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../../artifacts/ui")
                    .join(artifacts);
                std::fs::create_dir_all(&shots).expect("artifacts dir");
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                    shots,
                });
            }
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver never accepted a session: {last_error}");
}

impl Browser {
    /// End the session: the driver closes Chromium (its crash reporter too).
    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }

    /// Save a PNG of the viewport as `<artifacts>/<name>.png`, after checking the
    /// page renders in standards mode (a misplaced DOCTYPE means quirks mode).
    pub async fn shot(&self, name: &str) {
        let mode = self
            .client
            .execute("return document.compatMode;", vec![])
            .await
            .expect("compatMode");
        assert_eq!(mode, json!("CSS1Compat"), "{name}: quirks mode");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Type into the field with this `name` attribute (replacing its value).
    pub async fn fill(&self, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("[name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("no field {name}: {e}"));
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type");
    }

    /// Press the button whose text is exactly `label` (every dashboard button
    /// submits a form) and wait for the page it leads to.
    pub async fn press(&self, label: &str) {
        self.click(Locator::XPath(&format!(
            "//button[normalize-space()='{label}']"
        )))
        .await;
    }

    /// Follow the link whose text is exactly `label` and wait for the new page.
    pub async fn follow(&self, label: &str) {
        self.click(Locator::LinkText(label)).await;
    }

    /// Click the first element matching `locator`, then wait until a new page has
    /// loaded (a WebDriver click returns before the navigation finishes).
    pub async fn click(&self, locator: Locator<'_>) {
        self.client
            .execute("window.__oldPage = true; return 0;", vec![])
            .await
            .expect("mark page");
        self.client
            .find(locator)
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {locator:?}: {e}"))
            .click()
            .await
            .expect("click");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let loaded = self
                .client
                .execute(
                    "return !window.__oldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or_default();
            if loaded == serde_json::Value::Bool(true) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "clicking {locator:?} never loaded a new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// The page's visible text.
    pub async fn body(&self) -> String {
        self.text("body").await
    }

    /// Wait (up to 20 s, without reloading) until the page text satisfies `ok`.
    pub async fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let body = self.body().await;
            if ok(&body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "page never showed {what}; it shows:\n{body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .path()
            .to_owned()
    }
}
