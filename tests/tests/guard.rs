//! The doors to the registry are guarded: one search budget for the page,
//! the server function and the API; no list for a surname alone; slow
//! clients are cut off; metrics count refusals. Over real HTTP on loopback.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use findkin_tests::{dev_registry, eval_dir, free_port, unique_people, Server};
use serde_json::Value;

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// A client whose connections come from `from` (any 127.x address is ours).
fn client_from(from: &str) -> reqwest::Client {
    let ip: IpAddr = from.parse().expect("ip");
    reqwest::Client::builder().local_address(ip).build().expect("client")
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    cache_control: Option<String>,
    csp: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn call(c: &reqwest::Client, req: reqwest::RequestBuilder) -> Answer {
    let _ = c;
    let r = req.send().await.expect("request");
    let h = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (retry_after, cache_control, csp) = (h("retry-after"), h("cache-control"), h("content-security-policy"));
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    Answer { status, retry_after, cache_control, csp, headers, body: r.text().await.unwrap_or_default() }
}

/// The three doors, each asked for `q`.
async fn page(s: &Server, c: &reqwest::Client, q: &str) -> Answer {
    call(c, c.get(s.url(&format!("/search?q={}", enc(q))))).await
}
async fn server_fn(s: &Server, c: &reqwest::Client, q: &str) -> Answer {
    call(c, c.post(s.url("/_fn/search")).form(&[("q", q), ("birth_year", "")])).await
}
async fn api(s: &Server, c: &reqwest::Client, q: &str) -> Answer {
    call(c, c.get(s.url(&format!("/api/v1/search?q={}", enc(q))))).await
}

/// Full names ("Surname Given Patronymic") listed by an answer of any door.
fn listed(a: &Answer) -> Vec<String> {
    if let Ok(v) = serde_json::from_str::<Value>(&a.body) {
        let hits = v.get("hits").or_else(|| v.get("Hits")).and_then(Value::as_array).cloned().unwrap_or_default();
        return hits
            .iter()
            .map(|h| format!("{} {} {} {}", h["surname"], h["given_name"], h["patronymic"], h["birth_year"]))
            .collect();
    }
    a.body.split("class=\"hit-name\">").skip(1).filter_map(|c| c.split('<').next()).map(str::to_string).collect()
}

#[tokio::test]
async fn a_surname_alone_lists_nobody_and_says_what_to_add() {
    let server = Server::start(dev_registry(), &[]);
    let c = reqwest::Client::new();
    let p = &unique_people(1)[0];
    // The check can fail: the same surname with a given name lists people.
    let full = page(&server, &c, &format!("{} {}", p.surname, p.given_name)).await;
    assert!(!listed(&full).is_empty(), "surname and given name list people");
    let alone = page(&server, &c, &p.surname).await;
    assert_eq!(alone.status, 200);
    assert!(listed(&alone).is_empty(), "a surname alone lists nobody: {}", alone.body);
    assert!(alone.body.contains("Одной фамилии мало"), "the page says what to add");
    let a = api(&server, &c, &p.surname).await;
    assert_eq!(a.status, 400);
    let v: Value = serde_json::from_str(&a.body).expect("json");
    assert_eq!(v["error"]["code"], "needs_given_name_or_year", "{v}");
    let f = server_fn(&server, &c, &p.surname).await;
    assert!(f.body.contains("needs_more") && listed(&f).is_empty(), "{}", f.body);
    // With a birth year the surname is specific enough.
    let with_year = call(&c, c.get(server.url(&format!("/api/v1/search?q={}&birth_year=1990", enc(&p.surname))))).await;
    assert_eq!(with_year.status, 200, "{}", with_year.body);
}

#[tokio::test]
async fn every_door_draws_on_one_budget_and_refuses_with_429() {
    // 12 a minute: a burst of 3, then one every 5 s.
    let server = Server::start(dev_registry(), &["--search-rate-per-minute", "12"]);
    let c = client_from("127.0.0.11");
    let p = &unique_people(2)[1];
    let q = format!("{} {}", p.surname, p.given_name);
    assert_eq!(page(&server, &c, &q).await.status, 200);
    assert_eq!(server_fn(&server, &c, &q).await.status, 200);
    assert_eq!(api(&server, &c, &q).await.status, 200);

    let refused = page(&server, &c, &q).await;
    assert_eq!(refused.status, 429, "the fourth search, whatever the door");
    let wait: u64 = refused.retry_after.as_deref().and_then(|s| s.parse().ok()).expect("Retry-After");
    assert!((1..=5).contains(&wait), "Retry-After {wait}");
    assert!(refused.body.contains("Слишком много поисков") && refused.body.contains("Повторить можно через"));
    assert!(listed(&refused).is_empty());
    let refused = api(&server, &c, &q).await;
    assert_eq!(refused.status, 429);
    assert!(refused.retry_after.is_some());
    let v: Value = serde_json::from_str(&refused.body).expect("json");
    assert_eq!(v["error"]["code"], "rate_limited");
    let refused = server_fn(&server, &c, &q).await;
    assert_eq!(refused.status, 429);
    assert!(refused.body.contains("rate_limited"), "{}", refused.body);

    // In English for an English reader.
    let en = call(&c, c.get(server.url(&format!("/search?q={}&lang=en", enc(&q))))).await;
    assert!(en.status == 429 && en.body.contains("Too many searches"), "{}", en.body);

    // Another address has its own budget; a forged X-Forwarded-For does not.
    let other = client_from("127.0.0.12");
    assert_eq!(api(&server, &other, &q).await.status, 200);
    let forged =
        call(&c, c.get(server.url(&format!("/api/v1/search?q={}", enc(&q)))).header("x-forwarded-for", "203.0.113.9"))
            .await;
    assert_eq!(forged.status, 429, "X-Forwarded-For from an untrusted peer is ignored");
    // Encoding the parameter's name does not get around the budget.
    let encoded = call(&c, c.get(server.url(&format!("/search?%71={}", enc(&q))))).await;
    assert_eq!(encoded.status, 429, "%71 is q");
    // The search page without a query is not a search.
    assert_eq!(call(&c, c.get(server.url("/search"))).await.status, 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let server =
        Server::start(dev_registry(), &["--search-rate-per-minute", "4", "--trusted-proxies", "127.0.0.21/32"]);
    let proxy = client_from("127.0.0.21");
    let q = "Иванов Александр";
    let via = |client: &'static str| {
        proxy.get(server.url(&format!("/api/v1/search?q={}", enc(q)))).header("x-forwarded-for", client)
    };
    // A burst of one per client: the second search of the same client is refused…
    assert_eq!(call(&proxy, via("198.51.100.1")).await.status, 200);
    assert_eq!(call(&proxy, via("198.51.100.1")).await.status, 429);
    // …while another client behind the same proxy is served.
    assert_eq!(call(&proxy, via("198.51.100.2")).await.status, 200);
    // IPv6 clients are keyed by /64: a neighbour in the same /64 shares the budget.
    assert_eq!(call(&proxy, via("2001:db8:5:6::1")).await.status, 200);
    assert_eq!(call(&proxy, via("2001:db8:5:6::ffff")).await.status, 429);
    assert_eq!(call(&proxy, via("2001:db8:5:7::1")).await.status, 200);
}

/// The most frequent (surname, given name) pairs of the registry: what a
/// scraper with a public list of name frequencies would try first.
fn scraper_queries(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(eval_dir().join("records.csv")).expect("records.csv");
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() > 3 {
            *counts.entry(format!("{} {}", cols[1], cols[2])).or_default() += 1;
        }
    }
    let mut pairs: Vec<(String, usize)> = counts.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    pairs.into_iter().take(n).map(|(q, _)| q).collect()
}

/// A bounded scraping run: at most `budget` requests or `limit` time, from
/// the given addresses in turn, through all three doors. Returns the
/// requests sent and the distinct people listed.
async fn scrape(server: &Server, from: &[String], budget: usize, limit: Duration) -> (usize, usize) {
    let clients: Vec<reqwest::Client> = from.iter().map(|a| client_from(a)).collect();
    let queries = scraper_queries(budget);
    let mut people = HashSet::new();
    let started = Instant::now();
    let mut sent = 0;
    for (i, q) in queries.iter().enumerate() {
        if started.elapsed() > limit {
            break;
        }
        let c = &clients[i % clients.len()];
        let a = match i % 3 {
            0 => page(server, c, q).await,
            1 => server_fn(server, c, q).await,
            _ => api(server, c, q).await,
        };
        sent += 1;
        people.extend(listed(&a));
    }
    (sent, people.len())
}

#[tokio::test]
async fn a_scraper_lists_only_a_small_share_of_the_registry() {
    // Control: with the budget off, the same run lists a large share.
    let open = Server::start(dev_registry(), &["--search-rate-per-minute", "0"]);
    let one = vec!["127.0.0.31".to_string()];
    let (sent, unguarded) = scrape(&open, &one, 2000, Duration::from_secs(60)).await;
    eprintln!("no budget: {sent} requests listed {unguarded} of 20000 people");
    assert!(unguarded > 4000, "without a budget the run lists many people: {unguarded}");
    drop(open);

    // Defaults: one address, 2,000 requests within 20 s.
    let server = Server::start(dev_registry(), &[]);
    let (sent, listed) = scrape(&server, &one, 2000, Duration::from_secs(20)).await;
    eprintln!("one address: {sent} requests listed {listed} of 20000 people");
    assert!(listed <= 1000, "one address lists at most 5 %: {listed} people after {sent} requests");

    // Forty addresses share the global cap (here 5 a second, burst 10).
    let capped = Server::start(dev_registry(), &["--search-global-per-second", "5"]);
    let many: Vec<String> = (0..40).map(|i| format!("127.0.1.{}", i + 1)).collect();
    let (sent, listed) = scrape(&capped, &many, 2000, Duration::from_secs(10)).await;
    eprintln!("forty addresses: {sent} requests listed {listed} of 20000 people");
    assert!(listed <= 1000, "forty addresses list at most 5 %: {listed} people after {sent} requests");
}

/// Sends `head` and then trickles one byte a second; returns how long the
/// server kept the connection open (bounded by `limit`).
fn held_open(port: u16, head: &[u8], trickle: bool, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = s.write_all(head);
    let mut buf = [0u8; 512];
    while started.elapsed() < limit {
        if trickle && s.write_all(b"x").is_err() {
            break;
        }
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {
                // A response (408) then the close: read on until it closes.
            }
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    started.elapsed()
}

#[tokio::test]
async fn slow_and_idle_clients_are_cut_off() {
    let server = Server::start(dev_registry(), &["--header-timeout-secs", "2", "--request-timeout-secs", "2"]);
    let port: u16 = server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    let limit = Duration::from_secs(15);
    // The check can fail: a connection the server keeps is held to the limit.
    let keeper = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let kport = keeper.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        if let Ok((conn, _)) = keeper.accept() {
            std::thread::sleep(Duration::from_secs(5));
            drop(conn);
        }
    });
    assert!(held_open(kport, b"", false, Duration::from_secs(3)) >= Duration::from_secs(3));

    let idle = held_open(port, b"", false, limit);
    assert!(idle < Duration::from_secs(8), "an idle connection is closed: {idle:?}");
    let trickling = held_open(port, b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", true, limit);
    assert!(trickling < Duration::from_secs(8), "a header trickle is cut off: {trickling:?}");
    let slow_body = held_open(
        port,
        b"POST /api/v1/requests HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
        true,
        limit,
    );
    assert!(slow_body < Duration::from_secs(8), "a slow body is cut off: {slow_body:?}");
}

#[tokio::test]
async fn oversized_bodies_get_413_everywhere() {
    let server = Server::start(dev_registry(), &[]);
    // Larger than any route takes: refused from the Content-Length alone,
    // before the body is sent.
    let port: u16 = server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    for path in
        ["/api/v1/requests", "/request", "/status/FK-0000/photo", "/_fn/search", "/staff/login", "/staff/import"]
    {
        let answer = post_raw(port, path, "multipart/form-data; boundary=x", 60 * 1024 * 1024, b"--x");
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {}", &answer[..answer.len().min(300)]);
    }
    // Within the server's limit but over the route's: a well-formed form
    // with too large a photo is 413 too, not 400.
    // Sent over a raw socket: the server answers 413 and closes while the
    // body is still being written, so the write may be cut off, but the
    // answer is there to read.
    let mut form = b"--x\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.png\"\r\n\r\n".to_vec();
    form.extend(std::iter::repeat_n(b'a', 45 * 1024 * 1024));
    form.extend(b"\r\n--x--\r\n");
    let answer = post_raw(port, "/request", "multipart/form-data; boundary=x", form.len(), &form);
    assert!(answer.starts_with("HTTP/1.1 413"), "{}", &answer[..answer.len().min(300)]);
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let json = body.find('{').zip(body.rfind('}')).map(|(a, b)| &body[a..=b]).unwrap_or_default();
    let v: Value = serde_json::from_str(json).expect("a JSON error body");
    assert_eq!(v["error"]["code"], "too_large");
    // The JSON API takes 2 MiB: refused from the Content-Length, before the body.
    let answer = post_raw(port, "/api/v1/requests", "application/json", 3 * 1024 * 1024, b"{");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // In the API's own error shape, as its OpenAPI document says.
    assert!(answer.to_ascii_lowercase().contains("content-type: application/json"), "{answer}");
    assert!(answer.contains("\"too_large\""), "{answer}");
}

/// Posts to `path` over a raw socket, declaring `content_length` and
/// sending `body` (all of it, or only its start) while the server reads,
/// and returns everything the server answered before it closed.
fn post_raw(port: u16, path: &str, content_type: &str, content_length: usize, body: &[u8]) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {content_length}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).expect("send the head");
    for chunk in body.chunks(64 * 1024) {
        if s.write_all(chunk).is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn searches_and_personal_pages_are_never_cached() {
    let server = Server::start(dev_registry(), &[]);
    let c = reqwest::Client::new();
    let q = "Иванов Александр";
    for a in [page(&server, &c, q).await, api(&server, &c, q).await, server_fn(&server, &c, q).await] {
        assert_eq!(a.cache_control.as_deref(), Some("no-store"), "{}", &a.body[..a.body.len().min(200)]);
    }
    let status = call(&c, c.get(server.url("/status/FK-NOPE?t=x"))).await;
    assert_eq!(status.cache_control.as_deref(), Some("no-store"));
    // The check can fail: the static bundle may be cached.
    let css = call(&c, c.get(server.url("/pkg/findkin.css"))).await;
    assert_eq!(css.status, 200);
    assert_ne!(css.cache_control.as_deref(), Some("no-store"));
}

#[tokio::test]
async fn metrics_count_requests_and_refusals_on_their_own_address() {
    let port = free_port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = Server::start(dev_registry(), &["--search-rate-per-minute", "4", "--metrics-addr", &metrics_addr]);
    let c = client_from("127.0.0.41");
    let q = "Иванов Александр";
    for _ in 0..3 {
        api(&server, &c, q).await;
    }
    page(&server, &c, q).await;
    let public = call(&c, c.get(server.url("/metrics"))).await;
    assert_ne!(public.status, 200, "metrics are not on the public address");
    let text =
        reqwest::get(format!("http://{metrics_addr}/metrics")).await.expect("metrics").text().await.expect("text");
    let value = |needle: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(value("http_requests_total{route=\"/api/v1/search\",status=\"200\"}") >= 1.0, "{text}");
    assert!(value("http_requests_total{route=\"/api/v1/search\",status=\"429\"}") >= 1.0, "{text}");
    assert!(value("findkin_rate_limited_total{door=\"search_page\"}") >= 1.0, "{text}");
    assert!(value("findkin_searches_total{door=\"search_api\"}") >= 1.0, "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"), "latency histogram");
    assert!(!text.contains("Иванов") && !text.contains("127.0.0.41"), "no names or addresses in metrics");
}

#[tokio::test]
async fn every_page_carries_a_content_security_policy() {
    let server = Server::start(dev_registry(), &["--search-rate-per-minute", "8"]);
    let c = client_from("127.0.0.51");
    let mut pages = Vec::new();
    for path in [
        "/",
        "/search?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2+%D0%90",
        "/no-such-page",
        "/request",
        "/status/FK-0?t=x",
        "/staff/login",
    ] {
        pages.push((path.to_string(), call(&c, c.get(server.url(path))).await));
    }
    // The rate-limited page too.
    let q = "Иванов Александр";
    let limited = loop {
        let a = page(&server, &c, q).await;
        if a.status == 429 {
            break a;
        }
    };
    pages.push(("limited".into(), limited));
    for (path, a) in &pages {
        for (name, value) in
            [("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "same-origin")]
        {
            assert_eq!(a.headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{path}: {name}");
        }
        let csp = a.csp.as_deref().unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"));
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        // A hydrated page allows exactly its own inline scripts, by nonce.
        let nonces: Vec<&str> = a.body.split(" nonce=\"").skip(1).filter_map(|c| c.split('"').next()).collect();
        for n in &nonces {
            assert!(csp.contains(&format!("'nonce-{n}'")), "{path}: script nonce {n} not in {csp}");
        }
        if path == "/" {
            assert!(!nonces.is_empty(), "the home page hydrates with nonced scripts");
        }
    }
}

async fn post_request_form(s: &Server, headers: &[(&str, &str)]) -> Answer {
    let c = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let form = reqwest::multipart::Form::new().text("requester_name", "Мария").text("language", "ru");
    let mut r = c.post(s.url("/request")).multipart(form);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    call(&c, r).await
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_our_own_forms_work() {
    let server = Server::start(dev_registry(), &[]);
    // The check can fail: our own page's post is read (the form comes back with its errors).
    let own = post_request_form(&server, &[("sec-fetch-site", "same-origin"), ("origin", server.base.as_str())]).await;
    assert_ne!(own.status, 403, "{}", own.body);
    assert!(own.body.contains("sought_name"), "the form is shown again with its errors");
    let cross = post_request_form(&server, &[("sec-fetch-site", "cross-site")]).await;
    assert_eq!(cross.status, 403);
    assert!(cross.body.contains("со страницы другого сайта"), "{}", cross.body);
    let evil = post_request_form(&server, &[("origin", "https://evil.example")]).await;
    assert_eq!(evil.status, 403);
    // The staff sign-in form, which has no session token yet, too.
    let c = reqwest::Client::new();
    let login = |origin: &str| {
        c.post(server.url("/staff/login"))
            .header("origin", origin.to_string())
            .form(&[("name", "nobody"), ("password", "x")])
    };
    assert_eq!(call(&c, login("https://evil.example")).await.status, 403);
    assert_eq!(call(&c, login(&server.base)).await.status, 401, "our own sign-in form is read");
    // A script of the JSON API sends neither header and is served.
    let c = reqwest::Client::new();
    let api = call(&c, c.post(server.url("/api/v1/requests")).json(&serde_json::json!({}))).await;
    assert_eq!(api.status, 422, "{}", api.body);
    let api = call(
        &c,
        c.post(server.url("/api/v1/requests")).header("origin", "https://evil.example").json(&serde_json::json!({})),
    )
    .await;
    assert_eq!(api.status, 403);
    assert!(api.body.contains("cross_site"));
}

#[tokio::test]
async fn the_public_url_not_the_request_decides_hsts_cookies_and_links() {
    use findkin_tests::staff_registry;
    let (dir, creds) = staff_registry(&[("m-url", "moderator")]);
    let request = serde_json::json!({
        "language": "ru", "requester_name": "Мария", "relationship": "мать", "email": "mother@example.org",
        "sought_name": "Лаврентьев Остап Ильич", "sought_birth": "1990-01-02", "consent": true
    });
    let forged = [("x-forwarded-proto", "https"), ("host", "evil.example")];
    let no_redirect =
        || reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    for (public, https) in [(None, false), (Some("https://findkin.example"), true)] {
        let mut args = vec![];
        if let Some(u) = public {
            args = vec!["--public-url", u];
        }
        let server = Server::start(dir.path(), &args);
        let c = no_redirect();
        let mut home = c.get(server.url("/"));
        for (k, v) in forged {
            home = home.header(k, v);
        }
        let home = home.send().await.expect("home");
        assert_eq!(
            home.headers().contains_key("strict-transport-security"),
            https,
            "HSTS only for an https public URL"
        );

        let mut login = c
            .post(server.url("/staff/login"))
            .form(&[("name", creds[0].0.as_str()), ("password", creds[0].1.as_str())]);
        for (k, v) in forged {
            login = login.header(k, v);
        }
        let login = login.send().await.expect("login");
        let cookie = login.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert_eq!(cookie.starts_with("__Host-findkin_staff="), https, "{cookie}");
        assert_eq!(cookie.contains("; Secure"), https, "{cookie}");

        let answer: Value = c
            .post(server.url("/api/v1/requests"))
            .json(&request)
            .send()
            .await
            .expect("submit")
            .json()
            .await
            .expect("json");
        let path = answer["status_url"].as_str().expect("status url").to_string();
        // The page shows the secret link once, right after sending.
        let mut status = c.get(server.url(&format!("{path}&new=1")));
        for (k, v) in forged {
            status = status.header(k, v);
        }
        let html = status.send().await.expect("status").text().await.unwrap_or_default();
        let expected = format!("{}{}", public.unwrap_or(&server.base), path).replace('&', "&amp;");
        assert!(html.contains(&expected), "the secret link is built from the configured address: {expected}");
        assert!(!html.contains("evil.example"), "never from the Host header");
    }
}

/// GET /healthz on a fresh connection; whether it was answered within `wait`.
fn answered_within(port: u16, wait: Duration) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(wait));
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n > 0)
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_a_slot_frees() {
    let server = Server::start(dev_registry(), &["--max-connections", "2", "--header-timeout-secs", "3"]);
    let port: u16 = server.base.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
    // The check can fail: with a free slot a request is answered at once.
    assert!(answered_within(port, Duration::from_secs(2)));
    // Two clients hold both slots with half-sent headers…
    let holders: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n").expect("send");
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // …so a third waits in the backlog instead of being served…
    assert!(!answered_within(port, Duration::from_secs(1)), "a third connection is not served over the cap");
    // …until the header timeout frees a slot.
    let started = Instant::now();
    let mut served = false;
    while !served && started.elapsed() < Duration::from_secs(10) {
        served = answered_within(port, Duration::from_secs(2));
    }
    assert!(served, "served once the slow clients were cut off");
    drop(holders);
}
