//! The web search page in a real headless Chromium, driven over WebDriver (chromedriver):
//! type a query, see highlighted passages (byte ranges turned into `<mark>`s correctly, Arabic
//! right-to-left), apply filters, page, go back, meet the "no results" state. Screenshots go
//! to `target/browser/`.
//!
//! Skipped, with a message, when Chromium or chromedriver is missing; CI sets
//! `GAZETTE_BROWSER_TESTS=require` so that a missing browser fails instead.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gazette::server::ServerConfig;
use gazette::NewsIndex;
use serde_json::{json, Value};

use crate::server::{http, Running};
use crate::util::corpus_index;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
    })
}

struct Driver {
    agent: ureq::Agent,
    url: String,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.agent.delete(&self.url).call();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let agent = crate::server::http();
        let started = Instant::now();
        loop {
            if let Ok(mut r) = agent.get(&format!("{base}/status")).call() {
                let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
                if v["value"]["ready"] == true {
                    break;
                }
            }
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,1400",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        }}});
        let mut resp = agent.post(&format!("{base}/session")).send_json(&caps).unwrap();
        let v: Value = resp.body_mut().read_json().unwrap();
        let session = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("{v}")).to_string();
        Driver { agent, url: format!("{base}/session/{session}"), child, _profile: profile }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.url);
        let mut resp = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            (_, body) => self.agent.post(&url).send_json(body.unwrap_or(json!({}))),
        }
        .unwrap();
        let v: Value = resp.body_mut().read_json().unwrap();
        assert!(v["value"].get("error").is_none(), "webdriver {path}: {v}");
        v["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", Some(json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap().to_string()
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), None);
        self.cmd("POST", &format!("/element/{e}/value"), Some(json!({ "text": text })));
    }

    fn js(&self, script: &str) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Waits until `script` (a JS expression) is true.
    fn wait_for(&self, script: &str) {
        let started = Instant::now();
        while self.js(&format!("return Boolean({script});")) != true {
            assert!(started.elapsed() < Duration::from_secs(15), "timed out waiting for {script}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }
}

const QUIET: &str = "!document.body.hasAttribute('aria-busy')";

#[test]
fn search_page_in_headless_chromium() {
    let required = std::env::var("GAZETTE_BROWSER_TESTS").is_ok_and(|v| v == "require");
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, driver) else {
        assert!(!required, "GAZETTE_BROWSER_TESTS=require but chromium/chromedriver is missing");
        eprintln!(
            "SKIPPED search_page_in_headless_chromium: chromium and chromedriver not found \
                   (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let index = NewsIndex::open(corpus_index().dir()).unwrap();
    let server = Running::start(index, ServerConfig::default());
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("browser");
    let b = Driver::start(&chromium, &chromedriver);

    // Type a query, press Enter: results with highlighted passages, query in the URL.
    b.goto(&format!("{}/", server.base));
    b.wait_for("document.getElementById('status').textContent.includes('Type a query')");
    b.type_into("#q", "Morocco data\u{E007}");
    b.wait_for(&format!("{QUIET} && document.querySelectorAll('#results li.hit').length === 10"));
    let url = b.js("return location.search;");
    assert!(url.as_str().unwrap().contains("q=Morocco+data"), "{url}");
    let marks =
        b.js("return [...document.querySelectorAll('#results mark')].map(m => m.textContent);");
    let marks: Vec<String> = serde_json::from_value(marks).unwrap();
    assert!(!marks.is_empty());
    for m in &marks {
        let w = m.to_lowercase();
        assert!(
            w.starts_with("morocc")
                || w.starts_with("data")
                || w.starts_with("maroc")
                || w.starts_with("donn"),
            "{m:?}"
        );
    }
    // The marks are exactly the API's byte ranges, decoded.
    let agent = http();
    let api: Value = agent
        .get(&format!("{}/search?q=Morocco%20data&limit=10&passages=2", server.base))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let expected: Vec<String> = api["hits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["passages"].as_array().unwrap().iter())
        .flat_map(|p| {
            let text = p["text"].as_str().unwrap().to_string();
            p["highlights"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |r| {
                    let (s, e) = (
                        r["start"].as_u64().unwrap() as usize,
                        r["end"].as_u64().unwrap() as usize,
                    );
                    text[s..e].to_string()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(marks, expected);
    b.screenshot(&shots.join("search.png"));

    // Pagination, then the back button.
    let total = api["total_hits"].as_u64().unwrap();
    assert!(total > 10, "{total}");
    b.click("#pager a[rel=next]");
    b.wait_for(&format!("{QUIET} && location.search.includes('page=2') && document.getElementById('status').textContent.includes('showing 11')"));
    b.cmd("POST", "/back", None);
    b.wait_for(&format!("{QUIET} && !location.search.includes('page=') && document.getElementById('status').textContent.includes('showing 1–10')"));

    // A language filter from the facet counts: every hit then has that language.
    let lang = b.js("return document.querySelector('#facet-lang button .value').textContent;");
    let lang = lang.as_str().unwrap().to_string();
    b.click("#facet-lang button");
    b.wait_for(&format!(
        "{QUIET} && location.search.includes('lang={}') && [...document.querySelectorAll('#results .badge')].every(x => x.textContent === '{lang}') && document.querySelector('#facet-lang button[aria-pressed=true]')",
        lang.to_lowercase()
    ));
    assert!(b.js("return document.querySelectorAll('#active-filters .chip').length;") == 1);
    // A month from the facets sets the date range.
    b.click("#facet-month button");
    b.wait_for(&format!("{QUIET} && location.search.includes('since=') && document.getElementById('since').value !== ''"));
    b.screenshot(&shots.join("search-filtered.png"));

    // Filters stay when the query changes, and their chips remove them.
    while b.js("return document.querySelectorAll('#active-filters .chip').length;") != 0 {
        b.click("#active-filters .chip");
        b.wait_for(QUIET);
    }
    assert!(b.js("return location.search;").as_str().unwrap().contains("q=Morocco"));

    // Arabic: passages right-to-left, marks on Arabic words.
    b.type_into("#q", "المغرب\u{E007}");
    b.wait_for(&format!(
        "{QUIET} && location.search.includes('q=%D8') && !location.search.includes('lang=')"
    ));
    b.wait_for("document.querySelectorAll('#results .passage[dir=rtl] mark').length > 0");
    let ar = b.js("return [...document.querySelectorAll('#results .passage[dir=rtl] mark')].map(m => m.textContent);");
    for m in ar.as_array().unwrap() {
        // Harakat are ignored by the analysis: المَغرب matches المغرب.
        let bare: String =
            m.as_str().unwrap().chars().filter(|c| !('\u{64B}'..='\u{652}').contains(c)).collect();
        assert!(bare.contains("مغرب"), "{m}");
    }
    b.cmd("POST", "/window/rect", Some(json!({"width": 390, "height": 844})));
    b.screenshot(&shots.join("search-phone-arabic.png"));
    let overflow = b.js("return document.documentElement.scrollWidth <= window.innerWidth + 1;");
    assert_eq!(overflow, true, "no horizontal scrolling at phone width");

    // No results.
    b.type_into("#q", "zyxwvutsrq\u{E007}");
    b.wait_for(&format!("{QUIET} && document.querySelector('#results .empty')"));
    let status = b.js("return document.getElementById('status').textContent;");
    assert!(status.as_str().unwrap().starts_with("No articles match"), "{status}");

    // Untrusted text is never HTML: a query with markup shows as text.
    b.type_into("#q", "<img src=x onerror=alert(1)>\u{E007}");
    b.wait_for(QUIET);
    assert_eq!(b.js("return document.querySelectorAll('img').length;"), 0);
    drop(b);
    server.stop();
    eprintln!("screenshots in {}", shots.display());
}
