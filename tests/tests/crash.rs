//! Nothing acknowledged is lost: the server is killed (SIGKILL) three times
//! while 1,000 contact requests are posted concurrently with
//! Idempotency-Keys and retried until acknowledged. Afterwards every
//! acknowledged request exists exactly once, the database passes its
//! integrity check and the search index agrees with it. Runs on SQLite and,
//! in `make test`'s second pass, on PostgreSQL.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use findkin_tests::{contact_request, findkin, free_port, stderr, stdout, Server};
use serde_json::Value;

const REQUESTS: usize = 1000;
const WORKERS: usize = 16;
const KILLS: usize = 3;
/// The whole run is bounded: a stuck server fails the test, not CI's clock.
const LIMIT: Duration = Duration::from_secs(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_requests_survive_repeated_sigkill_exactly_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("seed.csv");
    std::fs::write(
        &csv,
        "external_id,surname,given_name,patronymic,sex,birth_date,region,status\n\
         S1,Лаврентьев,Остап,Ильич,m,1990-01-02,Тульская область,captured\n",
    )
    .expect("seed");
    let out = findkin(dir.path(), &["import", csv.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let flags = ["--submit-rate-per-hour", "0", "--submit-global-per-minute", "0"];
    let server = Server::start(dir.path(), &flags);
    let base = Arc::new(RwLock::new(server.base.clone()));
    let acked: Arc<Mutex<HashMap<usize, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let started = Instant::now();

    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let (base, acked) = (Arc::clone(&base), Arc::clone(&acked));
        workers.push(tokio::spawn(async move {
            let c = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");
            for i in (w..REQUESTS).step_by(WORKERS) {
                loop {
                    assert!(started.elapsed() < LIMIT, "request {i} never acknowledged");
                    let url = format!("{}/api/v1/requests", base.read().expect("base"));
                    let sent = c
                        .post(url)
                        .header("Idempotency-Key", format!("crash-{i}"))
                        .json(&contact_request(i))
                        .send()
                        .await;
                    if let Ok(r) = sent {
                        if matches!(r.status().as_u16(), 200 | 201) {
                            let v: Value = r.json().await.unwrap_or(Value::Null);
                            if let Some(reference) = v["reference"].as_str() {
                                let mut acked = acked.lock().expect("acked");
                                let first = acked.entry(i).or_insert_with(|| reference.to_string());
                                assert_eq!(first, reference, "request {i}: a retry got another request");
                                break;
                            }
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }

    // Kill the server each time another quarter is acknowledged, and start
    // it again on the same data.
    let mut server = Some(server);
    for kill in 1..=KILLS {
        while acked.lock().expect("acked").len() < kill * REQUESTS / (KILLS + 1) {
            assert!(started.elapsed() < LIMIT, "submissions stalled before kill {kill}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(server.take()); // SIGKILL, mid-flight
        let restarted = tokio::task::spawn_blocking({
            let dir = dir.path().to_path_buf();
            move || Server::start(&dir, &flags)
        })
        .await
        .expect("restart");
        *base.write().expect("base") = restarted.base.clone();
        server = Some(restarted);
    }
    for w in workers {
        w.await.expect("worker");
    }
    drop(server);
    let acked = Arc::try_unwrap(acked).expect("workers done").into_inner().expect("acked");
    assert_eq!(acked.len(), REQUESTS, "every request was acknowledged");

    // The database is sound and the index holds exactly the stored records.
    let out = findkin(dir.path(), &["db", "check"]);
    assert!(out.status.success(), "db check: {}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("index: 1 records, database: 1 records"), "{}", stdout(&out));

    // Exactly once: as many requests are stored as were acknowledged, and
    // each key still names its own request.
    let metrics = format!("127.0.0.1:{}", free_port());
    let server = Server::start(dir.path(), &["--metrics-addr", &metrics]);
    let text = reqwest::get(format!("http://{metrics}/metrics")).await.expect("metrics").text().await.expect("text");
    let open = text.lines().find_map(|l| l.strip_prefix("findkin_requests_open ")).map(str::trim);
    assert_eq!(open, Some(REQUESTS.to_string().as_str()), "stored requests: {text}");
    let c = reqwest::Client::new();
    for i in [0, REQUESTS / 3, REQUESTS / 2, REQUESTS - 1] {
        let r = c
            .post(server.url("/api/v1/requests"))
            .header("Idempotency-Key", format!("crash-{i}"))
            .json(&contact_request(i))
            .send()
            .await
            .expect("post");
        assert_eq!(r.status().as_u16(), 200, "request {i} is a repeat");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["reference"].as_str(), acked.get(&i).map(String::as_str), "request {i} kept its reference");
    }
}
