//! An import never holds up the service's own writes. While a 200,000-row
//! import runs beside a live server, relatives keep sending contact
//! requests, and every one is stored at once. The server waits at most
//! 1 s for the database's write lock (`--db-busy-timeout-ms`), less than a
//! 200,000-row import takes to store (about 3 s on SQLite): an import held
//! in one long transaction would make these requests fail. Runs on SQLite and, in
//! `make test`'s second pass, on PostgreSQL.

use std::process::Stdio;
use std::time::{Duration, Instant};

use findkin_tests::{command, contact_request, findkin, free_port, stderr, stdout, Server};

const ROWS: usize = 200_000;
/// The whole run is bounded: a stuck import fails the test, not CI's clock.
const LIMIT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contact_requests_are_stored_while_a_large_import_runs() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("big.csv");
    let generated = findkin(dir.path(), &["demo-data", "--count", &ROWS.to_string(), "--seed", "5"]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    std::fs::write(&csv, &generated.stdout).expect("csv");

    let flags = ["--submit-rate-per-hour", "0", "--submit-global-per-minute", "0", "--db-busy-timeout-ms", "1000"];
    let server = Server::start(dir.path(), &flags);
    // What the import looks at before each transaction: with the server up,
    // it is not alone with the database and must make way.
    assert!(
        findkin_store::neighbours::others_have_open(&dir.path().join("findkin.db")),
        "a running server holds the database open"
    );
    let mut import = command(dir.path())
        .args(["import", csv.to_str().expect("path")])
        .env("FINDKIN_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn import");

    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let started = Instant::now();
    let (mut sent, mut refused, mut slowest) = (0usize, Vec::new(), Duration::ZERO);
    let status = loop {
        assert!(started.elapsed() < LIMIT, "the import did not finish within {LIMIT:?}");
        if let Some(status) = import.try_wait().expect("import") {
            break status;
        }
        let asked = Instant::now();
        let r = client
            .post(server.url("/api/v1/requests"))
            .header("Idempotency-Key", format!("during-import-{sent}"))
            .json(&contact_request(sent))
            .send()
            .await
            .expect("the server answers");
        slowest = slowest.max(asked.elapsed());
        if r.status().as_u16() != 201 {
            refused.push(format!("request {sent}: {} {}", r.status(), r.text().await.unwrap_or_default()));
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut import_err = String::new();
    if let Some(mut e) = import.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut import_err);
    }
    assert!(status.success(), "the import failed: {import_err}");
    eprintln!("{sent} contact requests sent during the import; the slowest took {slowest:?}");
    assert!(sent >= 20, "only {sent} requests were sent while the import ran; it was too quick to tell");
    assert!(
        refused.is_empty(),
        "{} of {sent} requests sent during the import failed:\n{}",
        refused.len(),
        refused.join("\n")
    );

    // Every record is stored and indexed, and every request is stored.
    drop(server);
    let check = findkin(dir.path(), &["db", "check"]);
    assert!(check.status.success(), "db check: {}{}", stdout(&check), stderr(&check));
    let expected = format!("index: {ROWS} records, database: {ROWS} records");
    assert!(stdout(&check).contains(&expected), "{}", stdout(&check));
    let metrics = format!("127.0.0.1:{}", free_port());
    let _server = Server::start(dir.path(), &["--metrics-addr", &metrics]);
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.expect("metrics").text().await.expect("text");
    let open = text.lines().find_map(|l| l.strip_prefix("findkin_requests_open ")).map(str::trim);
    assert_eq!(open, Some(sent.to_string().as_str()), "stored requests: {text}");
}
