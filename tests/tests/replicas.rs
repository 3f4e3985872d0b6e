//! Several `findkin serve` replicas on one PostgreSQL database, each with
//! its own search index following the change feed; and the audit log's
//! protection by PostgreSQL privileges. These tests need PostgreSQL
//! (`tools/postgres-up.sh`, run by `make test`) whatever backend the rest
//! of the suite runs on.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use findkin_tests::database::{self, psql, PREFIX};
use findkin_tests::{bin, contact_request, eval_dir, stderr, stdout, unique_people, Person, Server};
use serde_json::Value;

/// A fresh database for one test, named after it.
fn fresh_database(test: &str) -> (String, String) {
    let name = format!("{PREFIX}{test}_{}", std::process::id());
    let url = database::create(&name);
    (name, url)
}

/// `findkin --data-dir DIR ARGS…` on the database at `url`.
fn findkin_on(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("FINDKIN_DATABASE_URL", url)
        .env("FINDKIN_LOG", "warn")
        .output()
        .expect("run findkin")
}

/// Imports the dev registry's rows of `people` (a CSV written beside `dir`).
fn import(dir: &Path, url: &str, people: &[Person]) {
    let text = std::fs::read_to_string(eval_dir().join("records.csv")).expect("records.csv");
    let mut lines = text.lines();
    let mut csv = format!("{}\n", lines.next().expect("header"));
    let wanted: std::collections::HashSet<&str> = people.iter().map(|p| p.external_id.as_str()).collect();
    for line in lines {
        if line.split(',').next().is_some_and(|id| wanted.contains(id)) {
            csv.push_str(line);
            csv.push('\n');
        }
    }
    let file = dir.join(format!("part-{}.csv", people.len()));
    std::fs::write(&file, csv).expect("write csv");
    let out = findkin_on(dir, url, &["import", file.to_str().expect("path")]);
    assert!(out.status.success(), "import: {}", stderr(&out));
}

/// Whether the replica's public search lists `p` by full name.
async fn finds(c: &reqwest::Client, s: &Server, p: &Person) -> bool {
    let q = format!("{} {} {}", p.surname, p.given_name, p.patronymic);
    let Ok(r) = c.get(s.url("/api/v1/search")).query(&[("q", q.as_str())]).send().await else { return false };
    let v: Value = r.json().await.unwrap_or(Value::Null);
    // Names are shown as people write them ("ФИЛИППОВ" as "Филиппов").
    let same = |shown: &Value, stored: &str| shown.as_str().is_some_and(|s| s.to_lowercase() == stored.to_lowercase());
    v["hits"].as_array().is_some_and(|hits| {
        hits.iter().any(|h| same(&h["surname"], &p.surname) && same(&h["given_name"], &p.given_name))
    })
}

/// No search limits: the test asks a thousand questions quickly.
const UNLIMITED: &[&str] = &["--search-rate-per-minute", "0", "--search-global-per-second", "100000"];

#[tokio::test(flavor = "multi_thread")]
async fn replicas_follow_one_database_and_catch_up_after_downtime() {
    let (_name, url) = fresh_database("replicas");
    let (a_dir, b_dir, writer) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let people = unique_people(1001);
    assert_eq!(people.len(), 1001, "the dev set holds enough unique names");
    let (first, rest) = people.split_first().expect("people");
    let a = Server::start_on(a_dir.path(), &url, UNLIMITED);
    let b = Server::start_on(b_dir.path(), &url, UNLIMITED);
    let c = reqwest::Client::new();
    assert!(!finds(&c, &b, first).await && !finds(&c, &a, first).await, "nobody is there before the import");

    // A record written to the shared database shows on both replicas
    // within 2 s: the commit's notification wakes each follower.
    import(writer.path(), &url, std::slice::from_ref(first));
    let written = Instant::now();
    while !(finds(&c, &b, first).await && finds(&c, &a, first).await) {
        assert!(written.elapsed() < Duration::from_secs(2), "not searchable on both replicas within 2 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // B is down while 1,000 records arrive; on restart it resumes from its
    // cursor and finds every one of them.
    drop(b);
    import(writer.path(), &url, rest);
    let index_files = std::fs::read_to_string(b_dir.path().join("index.state")).expect("B kept its cursor");
    let b = Server::start_on(b_dir.path(), &url, UNLIMITED);
    let restarted = Instant::now();
    let last = rest.last().expect("last");
    while !finds(&c, &b, last).await {
        assert!(restarted.elapsed() < Duration::from_secs(60), "B did not catch up within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut missing = Vec::new();
    for p in rest {
        if !finds(&c, &b, p).await {
            missing.push(p.external_id.clone());
        }
    }
    assert!(missing.is_empty(), "B misses {} of 1000 after catching up: {missing:?}", missing.len());
    assert!(!index_files.is_empty());
    drop(a);
}

#[test]
fn the_application_role_can_only_read_and_append_to_the_audit_log() {
    let (name, owner_url) = fresh_database("privileges");
    let role = format!("{name}_app");
    psql("postgres", &format!("DROP ROLE IF EXISTS {role}"));
    psql("postgres", &format!("CREATE ROLE {role} LOGIN"));
    let dir = tempfile::tempdir().unwrap();
    // The owner applies the schema and hands the application its rights.
    let out = findkin_on(dir.path(), &owner_url, &["db", "grant-app", &role]);
    assert!(out.status.success(), "grant-app: {}", stderr(&out));
    let server = database::server_url();
    let app_url = format!("postgres://{role}@{}/{name}", server.rsplit('@').next().unwrap_or("127.0.0.1:5432"));

    // As the application: accounts are created, each with an audit row.
    for user in ["moderator1", "moderator2"] {
        let out = findkin_on(dir.path(), &app_url, &["user", "add", user, "--role", "moderator"]);
        assert!(out.status.success(), "user add as the app role: {}", stderr(&out));
    }
    let out = findkin_on(dir.path(), &app_url, &["audit", "verify"]);
    assert!(out.status.success() && stdout(&out).contains("intact: 2 rows"), "{}{}", stdout(&out), stderr(&out));

    // The application's role cannot change or remove what it wrote, even
    // without the triggers (only the owner can drop those).
    let app_db = |sql: &str| {
        Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &app_url, "-c", sql]).output().expect("psql")
    };
    for sql in [
        "UPDATE audit_log SET details = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_no_delete ON audit_log",
    ] {
        let out = app_db(sql);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            !out.status.success() && (err.contains("permission denied") || err.contains("must be owner")),
            "{sql}: {err}"
        );
    }
    // The same statement does run for a role with the right (the check
    // above can fail), and the owner who bypasses the triggers is caught
    // by the chain.
    psql(&name, "ALTER TABLE audit_log DISABLE TRIGGER USER");
    psql(&name, "DELETE FROM audit_log WHERE id = (SELECT MIN(id) FROM audit_log)");
    let out = findkin_on(dir.path(), &app_url, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("BROKEN at row"), "{}", stderr(&out));
    psql("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql("postgres", &format!("DROP ROLE IF EXISTS {role}"));
}

/// Seed records and staff accounts written to the database at `url`;
/// returns (name, one-time password) per account.
fn staff_on(dir: &Path, url: &str, accounts: &[(&str, &str)]) -> Vec<(String, String)> {
    let csv = dir.join("seed.csv");
    std::fs::write(
        &csv,
        "external_id,surname,given_name,patronymic,sex,birth_date,region,status,notes\n\
         S1,Лаврентьев,Остап,Ильич,m,1990-01-02,Тульская область,captured,демо\n",
    )
    .expect("seed csv");
    let out = findkin_on(dir, url, &["import", csv.to_str().expect("path")]);
    assert!(out.status.success(), "{}", stderr(&out));
    accounts
        .iter()
        .map(|(name, role)| {
            let out = findkin_on(dir, url, &["user", "add", name, "--role", role]);
            assert!(out.status.success(), "{}", stderr(&out));
            let pw = stdout(&out)
                .lines()
                .find_map(|l| l.strip_prefix("one-time password: ").map(str::trim).map(String::from));
            (name.to_string(), pw.expect("one-time password printed"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_moderators_on_two_replicas_race_for_one_claim_and_exactly_one_wins() {
    use findkin_tests::relative::{act, request_id, submit};
    use findkin_tests::staff::first_login;
    use findkin_tests::workflow::{page, request_body};
    use reqwest::StatusCode;

    let (_name, url) = fresh_database("claims");
    let (a_dir, b_dir, admin) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let creds = staff_on(admin.path(), &url, &[("m1", "moderator"), ("m2", "moderator")]);
    let a = Server::start_on(a_dir.path(), &url, &[]);
    let b = Server::start_on(b_dir.path(), &url, &[]);
    let m1 = first_login(&a, &creds[0].0, &creds[0].1).await;
    let m2 = first_login(&b, &creds[1].0, &creds[1].1).await;
    // The session m1 opened on A is good on B too: sessions live in the database.
    assert!(page(&b, &m1, "/staff/requests").await.contains("m1"), "m1's session works on replica B");

    for round in 0..5 {
        let (reference, _) = submit(if round % 2 == 0 { &a } else { &b }, &request_body("Анна")).await;
        let id = request_id(&a, &m1, &reference).await;
        let (one, two) = tokio::join!(act(&a, &m1, id, "claim", &[]), act(&b, &m2, id, "claim", &[]));
        let mut codes = [one, two];
        codes.sort();
        assert_eq!(codes, [StatusCode::SEE_OTHER, StatusCode::CONFLICT], "round {round}: exactly one claim wins");
        let (loser_page, winner) = if one == StatusCode::CONFLICT { (&a, "m2") } else { (&b, "m1") };
        let loser = if one == StatusCode::CONFLICT { &m1 } else { &m2 };
        // The loser is told in words, and the request shows the winner.
        let token = findkin_tests::staff::csrf(&loser.c, &loser_page.url(&format!("/staff/requests/{id}"))).await;
        let url = loser_page.url(&format!("/staff/requests/{id}/claim"));
        let (st, _, body) = findkin_tests::staff::post(&loser.c, &url, &[("csrf", &token)]).await;
        assert_eq!(st, StatusCode::CONFLICT);
        assert!(body.contains("Запросом занимается другой модератор"), "the loser is told why: {body}");
        let detail = page(loser_page, loser, &format!("/staff/requests/{id}")).await;
        assert!(detail.contains(winner), "round {round}: the request page names {winner}");
    }
}

/// A client's budget for contact requests is one budget behind the load
/// balancer, not one per replica: alternating between two replicas does
/// not buy a flood twice as many requests.
#[tokio::test(flavor = "multi_thread")]
async fn two_replicas_charge_one_submission_budget() {
    let (_name, url) = fresh_database("budget");
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Four an hour per client: a burst of two, then one every 15 minutes.
    let flags = ["--submit-rate-per-hour", "4", "--submit-global-per-minute", "0"];
    let (a, b) = (Server::start_on(a_dir.path(), &url, &flags), Server::start_on(b_dir.path(), &url, &flags));
    let c = reqwest::Client::new();
    let mut answers = Vec::new();
    for i in 0..6 {
        let server = if i % 2 == 0 { &a } else { &b };
        let r = c
            .post(server.url("/api/v1/requests"))
            .header("Idempotency-Key", format!("budget-{i}"))
            .json(&contact_request(i))
            .send()
            .await
            .expect("post");
        answers.push(r.status().as_u16());
    }
    assert_eq!(answers, [201, 201, 429, 429, 429, 429], "the burst of two is spent across both replicas");
}
