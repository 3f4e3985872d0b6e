//! The HTTP side: JSON API, health, and server-rendered pages (no JavaScript).

use findkin_tests::{dev_registry, unique_people, Server};
use serde_json::Value;

async fn get(url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let resp = reqwest::get(url).await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.text().await.expect("body"), headers)
}

fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn api_search_finds_people_and_returns_public_fields_only() {
    let server = Server::start(dev_registry(), &[]);
    for p in unique_people(5) {
        let q = format!("{} {} {}", p.given_name, p.patronymic, p.surname);
        let (status, body, _) = get(&server.url(&format!("/api/v1/search?q={}", enc(&q)))).await;
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).expect("json");
        let hits = v["hits"].as_array().expect("hits");
        assert!(!hits.is_empty() && hits.len() <= 10, "{q}: {body}");
        assert_eq!(hits[0]["given_name"].as_str(), Some(p.given_name.as_str()), "{q}");
        for h in hits {
            let mut keys: Vec<&str> = h.as_object().expect("object").keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, vec!["birth_year", "candidate", "given_name", "patronymic", "region", "surname"], "{h}");
        }
        assert!(!body.contains(&p.external_id), "the record id must not leak");
    }
}

#[tokio::test]
async fn api_refuses_bad_input_with_400_and_a_code() {
    let server = Server::start(dev_registry(), &[]);
    let long = "я".repeat(5_000); // 10 kB of UTF-8
    for (query, code) in [
        ("q=".to_string(), "empty_query"),
        ("q=%20%2C%20".to_string(), "empty_query"),
        (format!("q={}", enc(&long)), "query_too_long"),
        ("q=Ivanov&birth_year=3000".to_string(), "bad_birth_year"),
        ("q=Ivanov&birth_year=19x0".to_string(), "bad_birth_year"),
        ("q=%FF%FE".to_string(), "empty_query"),
    ] {
        let (status, body, _) = get(&server.url(&format!("/api/v1/search?{query}"))).await;
        assert_eq!(status, 400, "{query}: {body}");
        let v: Value = serde_json::from_str(&body).expect("json error");
        assert_eq!(v["error"]["code"].as_str(), Some(code), "{query}: {body}");
        assert!(!v["error"]["message"].as_str().unwrap_or("").is_empty());
    }
}

#[tokio::test]
async fn healthz_and_request_ids() {
    let server = Server::start(dev_registry(), &[]);
    let (status, body, headers) = get(&server.url("/healthz")).await;
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v, serde_json::json!({ "status": "ok" }), "health tells nobody the registry size");
    assert!(headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn results_page_renders_on_the_server_in_three_languages() {
    let server = Server::start(dev_registry(), &[]);
    let p = &unique_people(1)[0];
    let q = enc(&format!("{} {}", p.surname, p.given_name));
    let (status, html, _) = get(&server.url(&format!("/search?q={q}"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("<html lang=\"ru\""), "Russian first");
    assert!(html.contains("Возможное совпадение"), "{html}");
    assert!(html.contains(&p.surname) && html.contains(&p.given_name));
    assert!(!html.contains(&p.external_id));

    let (_, html, headers) = get(&server.url(&format!("/search?q={q}&lang=uk"))).await;
    assert!(html.contains("<html lang=\"uk\"") && html.contains("Можливий збіг"));
    assert!(headers.get_all("set-cookie").iter().any(|c| c.to_str().unwrap_or("").starts_with("lang=uk")));
    let (_, html, _) = get(&server.url(&format!("/search?q={q}&lang=en"))).await;
    assert!(html.contains("Possible match"));

    let (_, html, _) = get(&server.url("/search?q=&birth_year=3000")).await;
    assert!(html.contains("role=\"alert\""), "an error is shown, not a crash");
    let (status, _, _) = get(&server.url("/no-such-page")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn demo_mode_loads_fictional_people_and_says_so() {
    // The banner check can fail: a real registry served with FINDKIN_DEMO=0 has none.
    let real = Server::start_with_env(dev_registry(), &[], &[("FINDKIN_DEMO", "0")]);
    let (_, html, _) = get(&real.url("/")).await;
    assert!(!html.contains("demo-banner"), "no banner without demo mode");
    drop(real);
    // The variable takes what a person would type, here 1 rather than true.
    let tmp = tempfile::tempdir().expect("tmp");
    let server = Server::start_with_env(tmp.path(), &[], &[("FINDKIN_DEMO", "1")]);
    let (_, html, _) = get(&server.url("/")).await;
    assert!(html.contains("demo-banner"), "banner on the home page");
    assert!(html.contains("вымышлены"));
    // The fictional registry is loaded: a common name finds people.
    let (status, body, _) = get(&server.url(&format!("/api/v1/search?q={}", enc("Иванов Александр")))).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert!(!v["hits"].as_array().map(Vec::is_empty).unwrap_or(true), "demo people are findable");
}

/// The URLs under `/pkg/` a page names in its attributes.
fn bundle_urls(html: &str) -> Vec<String> {
    html.match_indices("\"/pkg/")
        .map(|(i, _)| {
            let url = &html[i + 1..];
            url[..url.find('"').unwrap_or(url.len())].to_string()
        })
        .collect()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

#[tokio::test]
async fn browser_bundle_is_served_hashed_compressed_and_kept() {
    const KEPT: &str = "public, max-age=31536000, immutable";
    let server = Server::start(dev_registry(), &[]);
    let (_, html, _) = get(&server.url("/")).await;
    // The page names its script, wasm and stylesheet under one directory
    // that carries the content hash of the build.
    let urls = bundle_urls(&html);
    let dir = urls.iter().find_map(|u| u.strip_suffix("/findkin.js")).expect("the hydration script is linked");
    let hash = dir.strip_prefix("/pkg/").unwrap_or_default();
    assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "a hashed directory: {dir}");
    for file in ["findkin.js", "findkin_bg.wasm", "findkin.css"] {
        assert!(urls.contains(&format!("{dir}/{file}")), "{file} under {dir}: {urls:?}");
    }
    // The script-free pages link the same stylesheet.
    let (_, form, _) = get(&server.url("/request")).await;
    assert!(form.contains(&format!("href=\"{dir}/findkin.css\"")), "{}", &form[..form.len().min(600)]);

    // Each is sent as built (`make site` writes .br and .gz: a Content-Length
    // equal to the file on disk; on-the-fly compression streams without one),
    // and may be kept for a year.
    let site = std::path::PathBuf::from(std::env::var("FINDKIN_SITE_ROOT").expect("FINDKIN_SITE_ROOT")).join("pkg");
    let c = reqwest::Client::new();
    for file in ["findkin.js", "findkin_bg.wasm", "findkin.css"] {
        for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz"), ("identity", "")] {
            let url = server.url(&format!("{dir}/{file}"));
            let resp = c.get(&url).header("accept-encoding", encoding).send().await.expect("bundle request");
            assert_eq!(resp.status().as_u16(), 200, "{url}");
            let on_disk = std::fs::metadata(site.join(format!("{file}{suffix}"))).expect("built file").len();
            assert_eq!(header(&resp, "content-encoding"), if suffix.is_empty() { "" } else { encoding }, "{url}");
            assert_eq!(resp.content_length(), Some(on_disk), "{url} {encoding}: the file as built");
            assert_eq!(header(&resp, "cache-control"), KEPT, "{url}");
        }
    }

    // The plain names still answer (scripts, proxies), revalidated each time.
    let resp = c.get(server.url("/pkg/findkin_bg.wasm")).header("accept-encoding", "br").send().await.expect("plain");
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "content-encoding"), "br");
    assert_eq!(header(&resp, "cache-control"), "public, no-cache");
    let resp = c.get(server.url("/favicon.svg")).send().await.expect("favicon");
    assert_eq!((resp.status().as_u16(), header(&resp, "cache-control").as_str()), (200, "public, no-cache"));
    // Another build's hash (a page from before a restart) finds nothing, and
    // the miss is not kept.
    let other = if hash == "0123456789abcdef" { "fedcba9876543210" } else { "0123456789abcdef" };
    for path in [format!("/pkg/{other}/findkin.js"), format!("{dir}/missing.js")] {
        let resp = c.get(server.url(&path)).send().await.expect("missing");
        assert_eq!(resp.status().as_u16(), 404, "{path}");
        assert_ne!(header(&resp, "cache-control"), KEPT, "{path}");
    }
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let server = Server::start(dev_registry(), &[]);
    let (status, body, _) = get(&server.url("/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let doc: Value = serde_json::from_str(&body).expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for path in ["/api/v1/search", "/api/v1/requests", "/api/v1/requests/{reference}", "/healthz"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["paths"]["/api/v1/requests"]["post"]["parameters"].to_string().contains("Idempotency-Key"));
    let schema = &doc["components"]["schemas"]["RequestInput"]["properties"];
    for field in ["requester_name", "relationship", "email", "sought_name", "sought_birth", "consent", "candidate"] {
        assert!(schema.get(field).is_some(), "RequestInput.{field} documented");
    }
    let required = doc["components"]["schemas"]["RequestInput"]["required"].to_string();
    for field in ["language", "requester_name", "relationship", "sought_name", "consent"] {
        assert!(required.contains(&format!("\"{field}\"")), "RequestInput.{field} required: {required}");
    }
    let search = &doc["paths"]["/api/v1/search"]["get"];
    assert_eq!(search["parameters"][0]["schema"]["minLength"], 1);
    for code in ["400", "429"] {
        assert!(search["responses"][code]["content"].to_string().contains("ErrorBody"), "search {code} body");
    }
    let submit = &doc["paths"]["/api/v1/requests"]["post"]["responses"];
    for code in ["400", "409", "422"] {
        assert!(submit.get(code).is_some(), "submit answers {code}");
    }
    let status = &doc["paths"]["/api/v1/requests/{reference}"]["get"];
    assert!(status["parameters"].to_string().contains("\"token\""), "the status token is a parameter");
    assert!(status["responses"].get("404").is_some());
    let public = &doc["components"]["schemas"]["PublicHit"]["properties"];
    assert!(public.get("status").is_none() && public.get("external_id").is_none(), "public hits stay public");
}

#[tokio::test]
async fn public_search_is_rate_limited_per_client() {
    let server = Server::start(dev_registry(), &["--search-rate-per-minute", "8"]);
    let url = server.url(&format!("/api/v1/search?q={}", enc("Иванов Александр")));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&url).await.0);
    }
    assert_eq!(&statuses[..2], &[200, 200], "a burst of two is allowed: {statuses:?}");
    assert_eq!(statuses[3], 429, "{statuses:?}");
    let (_, body, _) = get(&url).await;
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["error"]["code"], "rate_limited");
    // Pages and the health check are not limited.
    assert_eq!(get(&server.url("/healthz")).await.0, 200);
}

/// A name written as in a letter ("ищу Иванова Сергея Петровича") finds
/// the man publicly, and the page and the API say which words were not
/// read as a name. The same name without the request word shows no such
/// note, so the note is not always there.
#[tokio::test]
async fn a_declined_name_with_a_request_word_is_found_and_the_word_set_aside() {
    let server = Server::start(dev_registry(), &[]);
    let consonant = |s: &str| s.chars().last().is_some_and(|c| "бвгдзклмнпрстфхцчшщ".contains(c));
    let people = unique_people(400);
    let p = people
        .iter()
        .find(|p| p.surname.ends_with("ов") && consonant(&p.given_name) && p.patronymic.ends_with("ич"))
        .expect("a man whose name declines with -а");
    // The genitive: "ищу (кого?) Иванова Сергея Петровича".
    let genitive = format!("{}а {}а {}а", p.surname, p.given_name, p.patronymic);
    let (status, html, _) = get(&server.url(&format!("/search?q={}", enc(&format!("ищу {genitive}"))))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("<span class=\"hit-name\">{} {} {}</span>", p.surname, p.given_name, p.patronymic)),
        "{html}"
    );
    assert!(html.contains("не считал") && html.contains("«ищу»"), "the note names the word: {html}");

    let (_, plain, _) = get(&server.url(&format!("/search?q={}", enc(&genitive)))).await;
    assert!(plain.contains(&p.given_name) && !plain.contains("не считал"), "no note without a request word");

    let q = enc(&format!("разыскивается {genitive}"));
    let (status, body, _) = get(&server.url(&format!("/api/v1/search?q={q}"))).await;
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["set_aside"], serde_json::json!(["разыскивается"]), "{body}");
    assert_eq!(v["hits"][0]["patronymic"].as_str(), Some(p.patronymic.as_str()), "{body}");
}
