//! Real Chromium over WebDriver for the journey tests: headless, with
//! JavaScript on or off (as in Tor Browser "Safest"), failing on any console
//! error, uncaught exception or failed resource load.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::free_port;

pub struct Browser {
    driver: Child,
    client: Option<Client>,
    pub javascript: bool,
    _profile: tempfile::TempDir,
}

/// chromedriver's log endpoint (a Selenium extension it keeps in W3C mode):
/// returns, and forgets, what the page wrote to the console since the last
/// call, uncaught exceptions and failed resource loads included.
#[derive(Debug)]
pub struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "type": "browser" }).to_string()))
    }
}

impl Browser {
    pub async fn start(javascript: bool) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (make setup-test installs it)");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--no-first-run".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--window-size=390,844".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if !javascript {
            args.push("--blink-settings=scriptEnabled=false".into());
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": args },
            "goog:loggingPrefs": { "browser": "ALL" }
        });
        let caps = caps.as_object().cloned().unwrap_or_default();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
                Ok(c) => break c,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("cannot start Chromium through chromedriver: {e}"),
            }
        };
        Browser { driver, client: Some(client), javascript, _profile: profile }
    }

    pub fn c(&self) -> &Client {
        self.client.as_ref().expect("client")
    }

    /// Errors the page reported since the last call: console errors,
    /// uncaught exceptions, failed loads, refused scripts (level SEVERE).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.c().issue_cmd(BrowserLog).await.expect("browser log (goog:loggingPrefs)");
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    pub async fn assert_console_clean(&self, page: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "{page}: the browser reported errors: {errors:#?}");
    }

    /// Opens a page; with JavaScript on, waits until the app has hydrated
    /// (the marker the hydrated app sets), and in any case checks that the
    /// console stayed clean.
    pub async fn open(&self, url: &str) {
        self.c().goto(url).await.expect("page loads");
        if self.javascript {
            self.wait_hydrated(url).await;
        }
        self.assert_console_clean(url).await;
    }

    pub async fn hydrated(&self) -> bool {
        let v = self.c().execute("return document.documentElement.dataset.hydrated || null;", vec![]).await;
        v.ok() == Some(json!("1"))
    }

    pub async fn wait_hydrated(&self, url: &str) {
        let started = Instant::now();
        while !self.hydrated().await {
            if started.elapsed() > Duration::from_secs(20) {
                let errors = self.console_errors().await;
                panic!("{url} did not hydrate within 20 s; console: {errors:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn body_text(&self) -> String {
        self.c().find(Locator::Css("body")).await.expect("body").text().await.unwrap_or_default()
    }

    pub async fn hit_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.c().find_all(Locator::Css(".hit-name")).await.unwrap_or_default() {
            out.push(el.text().await.unwrap_or_default());
        }
        out
    }

    /// Waits (bounded) until a hit names exactly `full_name`, and returns
    /// the hits then shown.
    pub async fn wait_for_hit(&self, full_name: &str) -> Vec<String> {
        let started = Instant::now();
        loop {
            let names = self.hit_names().await;
            if names.iter().any(|n| n == full_name) || started.elapsed() > Duration::from_secs(20) {
                return names;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Closes the browser; a test that ends with errors in the console fails.
    pub async fn close(mut self) {
        self.assert_console_clean("at the end of the test").await;
        if let Some(c) = self.client.take() {
            let _ = c.close().await;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
