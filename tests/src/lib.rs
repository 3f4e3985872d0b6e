//! Harness for the end-to-end tests: the real `findkin` binary on a free
//! loopback port with a temporary data directory, and Chromium driven over
//! WebDriver.
//!
//! `make test` sets `FINDKIN_BIN` and `FINDKIN_SITE_ROOT`; without them the
//! release build in the workspace's target directory is used.

pub mod browser;
pub mod database;
pub mod fake_telegram;
pub mod relative;
pub mod staff;
pub mod workflow;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

/// The `findkin` binary under test.
pub fn bin() -> PathBuf {
    std::env::var_os("FINDKIN_BIN").map(PathBuf::from).unwrap_or_else(|| target_dir().join("release/findkin"))
}

pub fn site_root() -> PathBuf {
    std::env::var_os("FINDKIN_SITE_ROOT").map(PathBuf::from).unwrap_or_else(|| target_dir().join("site"))
}

/// The development evaluation set, kept in the repository (`eval/dev`).
pub fn eval_dir() -> PathBuf {
    eval_set("dev")
}

/// An evaluation set kept in the repository: `eval/dev` (our own rules) or
/// `eval/dev2` (independent sources). Nothing outside the clone is read.
pub fn eval_set(name: &str) -> PathBuf {
    workspace_root().join("eval").join(name)
}

/// `findkin --data-dir DIR`, with the data directory's PostgreSQL database
/// when the tests run on PostgreSQL ([`database`]).
pub fn command(data_dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("--data-dir").arg(data_dir);
    match database::url_for(data_dir) {
        Some(url) => c.env("FINDKIN_DATABASE_URL", url),
        None => c.env_remove("FINDKIN_DATABASE_URL"),
    };
    c
}

/// Runs `findkin --data-dir DIR ARGS…` to completion.
pub fn findkin(data_dir: &Path, args: &[&str]) -> Output {
    let out = command(data_dir).args(args).env("FINDKIN_LOG", "warn").output();
    match out {
        Ok(o) => o,
        Err(e) => panic!("cannot run {}: {e} (build it with `make build`)", bin().display()),
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

/// A data directory with the dev registry imported once per test binary.
pub fn dev_registry() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| imported("dev")).path()
}

/// A data directory with the second (harder) evaluation set imported once per test binary.
pub fn dev2_registry() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| imported("dev2")).path()
}

fn imported(set: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = eval_set(set).join("records.csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "import of {set} failed: {}", stderr(&out));
    dir
}

/// A running `findkin serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// Starts the server on a free loopback port and waits until `/healthz` answers.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_with_env(data_dir, extra, &[])
    }

    /// As [`Server::start`], with environment variables set for the server.
    pub fn start_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Server::spawn(command(data_dir), extra, env)
    }

    /// Starts a replica on the database at `url` (not the data directory's
    /// own), for tests of several servers sharing one PostgreSQL database.
    pub fn start_on(data_dir: &Path, url: &str, extra: &[&str]) -> Server {
        let mut c = Command::new(bin());
        c.arg("--data-dir").arg(data_dir).env("FINDKIN_DATABASE_URL", url);
        Server::spawn(c, extra, &[])
    }

    fn spawn(mut command: Command, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let child = command
            .args(["serve", "--addr", &addr, "--site-root"])
            .arg(site_root())
            .args(extra)
            .env("FINDKIN_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn findkin serve");
        let server = Server { child, base: format!("http://{addr}") };
        server.wait_healthy(Duration::from_secs(120));
        server
    }

    fn wait_healthy(&self, limit: Duration) {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(mut s) = std::net::TcpStream::connect(self.base.trim_start_matches("http://")) {
                use std::io::{Read, Write};
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n");
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("findkin serve did not become healthy within {limit:?}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A row of the dev registry, for choosing people to look for.
#[derive(Debug, Clone)]
pub struct Person {
    pub external_id: String,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
}

/// The first `n` records of the dev registry whose full name is unique in it.
pub fn unique_people(n: usize) -> Vec<Person> {
    let text = std::fs::read_to_string(eval_dir().join("records.csv")).expect("records.csv");
    let rows: Vec<Vec<String>> = text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect();
    let key = |r: &Vec<String>| format!("{} {} {}", r[1], r[2], r[3]).to_lowercase().replace('ё', "е");
    let mut counts = std::collections::HashMap::new();
    for r in &rows {
        *counts.entry(key(r)).or_insert(0) += 1;
    }
    rows.iter()
        .filter(|r| counts[&key(r)] == 1 && !r[3].is_empty())
        .take(n)
        .map(|r| Person {
            external_id: r[0].clone(),
            surname: r[1].clone(),
            given_name: r[2].clone(),
            patronymic: r[3].clone(),
        })
        .collect()
}

/// The TOTP code for a base32 secret at `unix` seconds (what an
/// authenticator app would show).
pub fn totp_code(secret: &str, unix: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string()).to_bytes().expect("base32 secret");
    totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "t".into()).expect("totp").generate(unix)
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A data directory with a few records and staff accounts created through
/// the CLI: returns the directory and (name, one-time password) per account.
pub fn staff_registry(accounts: &[(&str, &str)]) -> (tempfile::TempDir, Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("tmp");
    let csv = dir.path().join("seed.csv");
    std::fs::write(
        &csv,
        "external_id,surname,given_name,patronymic,sex,birth_date,region,status,notes\n\
         S1,Лаврентьев,Остап,Ильич,m,1990-01-02,Тульская область,captured,демо\n\
         S2,Подберёзкин,Гордей,Фомич,m,1985,Омская область,deceased,\n\
         S3,Чистякова,Вера,Павловна,f,1999-07,Тульская область,released,\n",
    )
    .expect("seed csv");
    let out = findkin(dir.path(), &["import", csv.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut creds = Vec::new();
    for (name, role) in accounts {
        let out = findkin(dir.path(), &["user", "add", name, "--role", role]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        let pw = text
            .lines()
            .find_map(|l| l.strip_prefix("one-time password: "))
            .expect("one-time password printed")
            .trim()
            .to_string();
        creds.push((name.to_string(), pw));
    }
    (dir, creds)
}

/// A JSON API contact request from relative `i` (a phone of her own, no
/// email) seeking Лаврентьев Остап Ильич, for tests that post many.
pub fn contact_request(i: usize) -> serde_json::Value {
    serde_json::json!({
        "language": "ru",
        "requester_name": format!("Мать {i}"),
        "relationship": "мать",
        "phone": format!("+7 900 {:03} {:04}", i / 1000, i % 10_000),
        "sought_name": "Лаврентьев Остап Ильич",
        "consent": true
    })
}
