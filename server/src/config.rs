//! All configuration in one place: command-line flags, each with an
//! environment variable (`FINDKIN_*`) for deployments.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "findkin",
    version,
    about = "findkin: relatives of captured and killed soldiers search a registry by name and send a contact request",
    long_about = None,
    after_help = "Without a command, `findkin` runs `serve --demo` (what `cargo leptos watch` starts)."
)]
pub struct Cli {
    /// Directory with the database (findkin.db) and the search index (index/).
    #[arg(long, global = true, env = "FINDKIN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL; by default an SQLite file in the data directory.
    #[arg(long, global = true, env = "FINDKIN_DATABASE_URL")]
    pub database_url: Option<String>,

    /// SQLite: how long a write waits for another write to finish, in
    /// milliseconds, before it is refused as busy.
    #[arg(long, global = true, env = "FINDKIN_DB_BUSY_TIMEOUT_MS", default_value_t = 10_000)]
    pub db_busy_timeout_ms: u64,

    /// Requests closed "no match" are re-matched against new records for
    /// this many days after closing (open requests always are).
    #[arg(long, global = true, env = "FINDKIN_REMATCH_WINDOW_DAYS", default_value_t = crate::rematch::DEFAULT_WINDOW_DAYS)]
    pub rematch_window_days: i64,

    /// Log output: human-readable text or one JSON object per line.
    #[arg(long, global = true, env = "FINDKIN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Without a command, `serve --demo` runs (what `cargo leptos watch` starts).
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// How the database pool waits.
    pub fn tuning(&self) -> findkin_store::Tuning {
        findkin_store::Tuning { busy_timeout: std::time::Duration::from_millis(self.db_busy_timeout_ms) }
    }

    /// The command to run; none given means the development server.
    pub fn command(&self) -> Command {
        match &self.command {
            Some(c) => c.clone(),
            None => Command::Serve(Box::new(ServeArgs::development())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the web site and the JSON API.
    Serve(Box<ServeArgs>),
    /// Import a registry CSV file (format in docs/ARCHITECTURE.md).
    ///
    /// The whole file is checked first: any bad row and nothing is imported.
    /// Re-importing an external_id updates that record; nothing else is removed.
    Import {
        /// The CSV file (UTF-8, header row).
        file: PathBuf,
    },
    /// Exchange with other tracing services in PFIF 1.4 (the People Finder
    /// Interchange Format; mapping in docs/ARCHITECTURE.md, "PFIF exchange").
    #[command(subcommand)]
    Pfif(PfifCommand),
    /// Write a fictional demo registry as CSV to standard output.
    DemoData {
        /// Number of records.
        #[arg(long, default_value_t = 20_000)]
        count: usize,
        /// Random seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Search the registry by name, as staff would (public flag per hit).
    Search {
        /// The name as a relative would type it, e.g. "Иванов Александр".
        query: String,
        /// Year of birth: keeps records born that year or with no known date.
        #[arg(long)]
        birth_year: Option<u16>,
        /// Birth date as the relative knows it (YYYY-MM-DD, YYYY-MM or YYYY):
        /// agreement raises a hit, a conflict lowers it.
        #[arg(long)]
        birth_date: Option<String>,
        /// Region the relative gave: agreement raises a hit.
        #[arg(long)]
        region: Option<String>,
        /// Most hits to print.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
        /// Only hits the public search would show.
        #[arg(long)]
        public: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Measure search quality on a query set: recall, MRR, latency.
    ///
    /// The query file is JSON lines (id, query, birth_year, expected, kind).
    /// Prints recall@1, recall@10, MRR, the share of empty public results for
    /// people not in the registry (expected: null), per kind, and latency.
    Eval {
        /// The query file, e.g. eval/dev/queries.jsonl.
        queries: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
        /// Also list the ids of the queries that missed.
        #[arg(long)]
        misses: bool,
    },
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Write a consistent copy of the database while the service runs:
    /// an SQLite file, or on PostgreSQL a `pg_dump` custom-format archive.
    Backup {
        /// The backup file to create (never overwritten).
        dest: PathBuf,
    },
    /// Bring a backup back into a new, empty registry (this data directory's
    /// SQLite file, or an empty PostgreSQL database), then rebuild the index.
    Restore {
        /// A file written by `findkin backup`.
        src: PathBuf,
    },
    /// Database administration.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum DbCommand {
    /// PostgreSQL, run as the tables' owner: let ROLE run `findkin serve`
    /// (read and write every table) while it can only read and append to
    /// the audit log.
    GrantApp {
        /// The application's login role, e.g. findkin_app.
        role: String,
    },
    /// Check the database's integrity and that the search index holds
    /// exactly the stored records (after bringing it up to date). Exit
    /// code 1 on any problem.
    Check,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain of the audit log and report the first broken
    /// link (exit code 1), or the number of rows and the head hash.
    Verify,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PfifCommand {
    /// Write every record as PFIF 1.4 XML, at the public level only: name,
    /// birth year and region under DOMAIN/public-reference. Nothing staff-only
    /// or released-only (status, places, unit, dates, sex, notes) is written.
    Export {
        /// This registry's host name: every person_record_id is DOMAIN/ref.
        #[arg(long, env = "FINDKIN_PFIF_DOMAIN")]
        domain: String,
        /// Write to this file (complete or not at all) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Import a PFIF 1.4 file. The whole file is checked first: any problem
    /// and nothing is imported. Re-importing a person_record_id updates it.
    Import {
        /// The PFIF 1.4 XML file (UTF-8).
        file: PathBuf,
        /// The status of every person in the file, which PFIF cannot say
        /// precisely: captured, released, deceased or remains_repatriated.
        /// A person whose latest note contradicts it (believed_dead against
        /// captured, say) is a problem: import such lists separately.
        #[arg(long, value_parser = crate::records::Status::parse)]
        status: crate::records::Status,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum UserCommand {
    /// Create a staff account and print its one-time password (to be
    /// changed at first sign-in, followed by TOTP enrolment).
    Add {
        name: String,
        /// admin, moderator or editor.
        #[arg(long)]
        role: String,
    },
    /// Disable an account; all its sessions end at once.
    Disable { name: String },
    /// How a moderator or admin hears of new work (batched digests): by
    /// email, in a Telegram chat, or not at all. Turning it on never sends
    /// the history, only what comes after.
    #[command(group(clap::ArgGroup::new("channel").required(true).args(["email", "telegram_chat", "off"])))]
    Notify {
        name: String,
        /// Send digests by email to this address.
        #[arg(long)]
        email: Option<String>,
        /// Send digests to this Telegram chat id (what the bot links with `/staff CODE`).
        #[arg(long, allow_negative_numbers = true)]
        telegram_chat: Option<i64>,
        /// No digests.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FINDKIN_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Load a fictional demo registry (20,000 records) if the registry is
    /// empty, and show a "demo data" banner on every page. The variable
    /// takes what people type: 1/0, true/false, yes/no, on/off.
    #[arg(long, env = "FINDKIN_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: bool,

    /// Public search requests per minute per client address (0: no limit).
    /// Generous by default: many relatives share a Tor exit or a VPN.
    #[arg(long, env = "FINDKIN_SEARCH_RATE", default_value_t = 120)]
    pub search_rate_per_minute: u32,

    /// Public searches per second for all clients together: the cap that
    /// many addresses cannot get around.
    #[arg(long, env = "FINDKIN_SEARCH_GLOBAL_RATE", default_value_t = 200)]
    pub search_global_per_second: u32,

    /// Contact requests per hour per client address, both doors (form and
    /// API), with a burst of half of it (0: no per-client limit). Retries
    /// with the same Idempotency-Key are free.
    #[arg(long, env = "FINDKIN_SUBMIT_RATE", default_value_t = 10)]
    pub submit_rate_per_hour: u32,

    /// Contact requests per minute for all clients together (0: no cap).
    #[arg(long, env = "FINDKIN_SUBMIT_GLOBAL_RATE", default_value_t = 60)]
    pub submit_global_per_minute: u32,

    /// Requester messages (status page) per hour per client address (0: no limit).
    #[arg(long, env = "FINDKIN_MESSAGE_RATE", default_value_t = 30)]
    pub message_rate_per_hour: u32,

    /// Requester messages per minute for all clients together (0: no cap).
    #[arg(long, env = "FINDKIN_MESSAGE_GLOBAL_RATE", default_value_t = 120)]
    pub message_global_per_minute: u32,

    /// Photos (with a request or added later) per hour per client address (0: no limit).
    #[arg(long, env = "FINDKIN_PHOTO_RATE", default_value_t = 20)]
    pub photo_rate_per_hour: u32,

    /// Photos per minute for all clients together (0: no cap).
    #[arg(long, env = "FINDKIN_PHOTO_GLOBAL_RATE", default_value_t = 60)]
    pub photo_global_per_minute: u32,

    /// Total MiB all stored photos may take in the database; when reached,
    /// photos are refused and requests without photos still go through
    /// (0: no budget).
    #[arg(long, env = "FINDKIN_PHOTO_STORAGE_MIB", default_value_t = 2048)]
    pub photo_storage_mib: u64,

    /// Reverse proxies (comma-separated addresses or CIDRs, e.g.
    /// 127.0.0.1,10.0.0.0/8) whose Forwarded / X-Forwarded-For names the
    /// client. By default only the socket address counts.
    #[arg(long, env = "FINDKIN_TRUSTED_PROXIES", default_value = "", value_parser = parse_trusted_proxies)]
    pub trusted_proxies: TrustedProxies,

    /// The address the public reaches the site at, e.g.
    /// https://findkin.example: links sent to relatives, HSTS and the staff
    /// cookie's Secure flag come from it, never from request headers.
    /// Default: http://ADDR.
    #[arg(long, env = "FINDKIN_PUBLIC_URL", value_parser = crate::http::public_url::PublicUrl::parse)]
    pub public_url: Option<crate::http::public_url::PublicUrl>,

    /// Serve Prometheus metrics at http://ADDR/metrics (off by default;
    /// keep it off the public network).
    #[arg(long, env = "FINDKIN_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Seconds a client gets to send a request's headers, and to start the
    /// next request on a kept-alive connection.
    #[arg(long, env = "FINDKIN_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request may take, its body included: generous for photos
    /// sent over Tor from a slow phone, finite for a client that trickles.
    #[arg(long, env = "FINDKIN_REQUEST_TIMEOUT", default_value_t = 120)]
    pub request_timeout_secs: u64,

    /// Most connections served at once; more wait in the listen backlog.
    #[arg(long, env = "FINDKIN_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Send notifications by SMTP (e.g. smtp://user:pass@mail.example.org:587);
    /// without it they are written as .eml files to DATA_DIR/outbox.
    #[arg(long, env = "FINDKIN_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Sender address of notifications sent by SMTP.
    #[arg(long, env = "FINDKIN_MAIL_FROM", default_value = "findkin <noreply@localhost>")]
    pub mail_from: String,

    /// Directory with the built browser files (pkg/findkin.js, .wasm, .css).
    #[arg(long, env = "FINDKIN_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Minutes between two digests of new work to one moderator: the first
    /// news after a quiet spell goes out at once, what follows within this
    /// time waits for the next digest (0: every news at once).
    #[arg(long, env = "FINDKIN_STAFF_DIGEST_MINUTES", default_value_t = 15)]
    pub staff_digest_minutes: u64,

    /// The digest window in seconds, overriding --staff-digest-minutes (for tests).
    #[arg(long, env = "FINDKIN_STAFF_DIGEST_SECONDS", hide = true)]
    pub staff_digest_seconds: Option<u64>,
    /// Run the Telegram bot with this token (from @BotFather). Without it
    /// there is no bot. Prefer the variable: flags show in `ps`.
    #[arg(long, env = "FINDKIN_TELEGRAM_TOKEN", hide_env_values = true)]
    pub telegram_token: Option<Secret>,

    /// The Bot API the bot talks to: the official one, a local Bot API
    /// server, or a test double.
    #[arg(long, env = "FINDKIN_TELEGRAM_API_URL", default_value = "https://api.telegram.org")]
    pub telegram_api_url: String,

    /// Receive updates by webhook at this public URL, which must reach
    /// this server's `/telegram/webhook` (e.g.
    /// https://findkin.example/telegram/webhook); without it the bot uses
    /// long polling.
    #[arg(long, env = "FINDKIN_TELEGRAM_WEBHOOK_URL")]
    pub telegram_webhook_url: Option<String>,
}

/// A secret from the command line or the environment that never shows in
/// `Debug` output (and so never in a log or an error).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl std::str::FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty".into());
        }
        Ok(Secret(s.to_string()))
    }
}

impl ServeArgs {
    /// The time between two digests to one moderator.
    pub fn staff_digest_window(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.staff_digest_seconds.unwrap_or_else(|| self.staff_digest_minutes.saturating_mul(60)),
        )
    }
}

impl ServeArgs {
    /// The demo server, on the address and site directory cargo-leptos
    /// announces through its `LEPTOS_*` variables when it runs us.
    fn development() -> Self {
        let env = |k: &str| std::env::var(k).ok();
        ServeArgs {
            addr: env("LEPTOS_SITE_ADDR").and_then(|a| a.parse().ok()).unwrap_or(([127, 0, 0, 1], 3000).into()),
            demo: true,
            search_rate_per_minute: 120,
            search_global_per_second: 200,
            submit_rate_per_hour: 10,
            submit_global_per_minute: 60,
            message_rate_per_hour: 30,
            message_global_per_minute: 120,
            photo_rate_per_hour: 20,
            photo_global_per_minute: 60,
            photo_storage_mib: 2048,
            trusted_proxies: TrustedProxies::default(),
            metrics_addr: None,
            public_url: None,
            header_timeout_secs: 10,
            request_timeout_secs: 120,
            max_connections: 1024,
            smtp_url: None,
            mail_from: "findkin <noreply@localhost>".into(),
            staff_digest_minutes: 15,
            staff_digest_seconds: None,
            site_root: env("LEPTOS_SITE_ROOT").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target/site")),
            telegram_token: None,
            telegram_api_url: "https://api.telegram.org".into(),
            telegram_webhook_url: None,
        }
    }
}

/// The parsed `--trusted-proxies` list.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

fn parse_trusted_proxies(text: &str) -> Result<TrustedProxies, String> {
    crate::http::client_ip::parse_trusted(text).map(TrustedProxies)
}

/// Records loaded by `serve --demo` into an empty registry.
pub const DEMO_RECORDS: usize = 20_000;
/// Seed of the demo registry, so every demo shows the same people.
pub const DEMO_SEED: u64 = 20_240_224;
