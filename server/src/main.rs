//! The `findkin` command line: serve, import, demo-data, search, reindex.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use findkin::audit::{Entry, Verdict};
use findkin::auth::{totp, Role};
use findkin::config::{
    AuditCommand, Cli, Command, DbCommand, LogFormat, PfifCommand, ServeArgs, UserCommand, DEMO_RECORDS, DEMO_SEED,
};
use findkin::csv_import::{parse_csv, CheckedRows};
use findkin::http::search_guard::SearchBudget;
use findkin::http::{AppState, ConnectionLimits, Submissions};
use findkin::registry::Registry;
use findkin::store::StoreError;
use findkin::submission_budget::SubmissionBudget;
use findkin::{demo_data, eval, http, pfif, Error};
use findkin_search::SearchOptions;
use indicatif::{ProgressBar, ProgressStyle};
use leptos::config::LeptosOptions;

/// jemalloc, not glibc's malloc: a search page allocates and frees
/// thousands of small strings on one thread and its search on another, and
/// glibc's arenas spent a sixth of the page's CPU on it (the HTML search
/// page served 17 % more pages a second with jemalloc, docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Freed memory goes back to the system within about a second, by
/// jemalloc's own background thread: an import's indexing threads free
/// hundreds of megabytes just before the merge maps the index (import peak
/// 220–240 MB at a million rows with this, 286 MB with jemalloc's defaults).
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static _rjem_malloc_conf: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FINDKIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(total);
    let style = ProgressStyle::with_template("{msg:12} [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    pb.set_style(style);
    pb.set_message(what.to_string());
    pb
}

async fn open(cli: &Cli) -> Result<Registry> {
    Registry::open(&cli.data_dir, cli.database_url.as_deref(), cli.tuning())
        .await
        .with_context(|| format!("cannot open the registry in {}", cli.data_dir.display()))
}

/// Brings the index up to date, with a progress bar on a terminal.
async fn sync_index(registry: &Registry) -> Result<u64, Error> {
    let pb = bar(0, "indexing");
    let n = registry
        .sync(&mut |done, total| {
            pb.set_length(total);
            pb.set_position(done);
        })
        .await;
    pb.finish_and_clear();
    n
}

/// Runs new and changed records against the waiting requests, saying what it found.
async fn rematch(registry: &Registry, window_days: i64) -> Result<()> {
    let r = registry.rematch(window_days).await.context("re-matching the waiting requests failed")?;
    if r.raised > 0 {
        println!(
            "re-matching: {} of {} waiting requests have a new candidate ({} reopened); moderators and relatives are told",
            r.raised, r.waiting, r.reopened
        );
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command() {
        Command::Serve(args) => serve(&cli, args).await,
        Command::Import { file } => {
            // One streaming pass: each row is checked and staged as it is
            // read, and a problem anywhere in the file drops what was staged
            // (`findkin_store::import`) after every problem is listed. Only a
            // batch of rows and the ids seen are in memory.
            let started = Instant::now();
            let open_file = || std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()));
            let total = count_lines(open_file()?).with_context(|| format!("cannot read {}", file.display()))?;
            let rows = match CheckedRows::new(std::io::BufReader::with_capacity(1 << 20, open_file()?)) {
                Ok(rows) => rows,
                Err(errors) => {
                    eprintln!("{}: {errors}", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let mut registry = open(&cli).await?;
            // This process serves nobody: alone with the database, the
            // import need not make way for anyone.
            registry.store.set_one_shot();
            registry.store.resume_imports().await?;
            let run = Run { source_name: &name, file, total, started, window_days: cli.rematch_window_days };
            match store_records(Arc::new(registry), rows.map(|row| row.map_err(Error::Csv)), run).await {
                Ok(()) => Ok(ExitCode::SUCCESS),
                Err(e) => match e.downcast_ref::<Error>() {
                    Some(Error::Csv(errors)) => {
                        eprintln!("{}: {errors}", file.display());
                        Ok(ExitCode::from(2))
                    }
                    _ => Err(e),
                },
            }
        }
        Command::Pfif(PfifCommand::Export { domain, out }) => pfif_export(&cli, domain, out.as_deref()).await,
        Command::Pfif(PfifCommand::Import { file, status }) => pfif_import(&cli, file, *status).await,
        Command::DemoData { count, seed } => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let pb = bar(*count as u64, "generating");
            demo_data::write_demo_csv_with_progress(&mut out, *count, *seed, &mut |n| pb.set_position(n as u64))?;
            out.flush()?;
            pb.finish_and_clear();
            Ok(ExitCode::SUCCESS)
        }
        Command::Search { query, birth_year, birth_date, region, limit, json, public } => {
            if let Some(d) = birth_date {
                if let Err(e) = findkin::records::parse_partial_date(d) {
                    eprintln!("error: --birth-date: {e}");
                    return Ok(ExitCode::from(2));
                }
            }
            let registry = open(&cli).await?;
            sync_index(&registry).await?;
            let parsed = findkin_search::Query::parse(query, *birth_year)
                .map(|q| q.with_birth_date(birth_date.as_deref()).with_region(region.as_deref()))
                .map_err(Error::from);
            let opts = SearchOptions { limit: *limit, public_only: *public };
            let hits = match parsed.and_then(|q| Ok((registry.search_query(&q, opts)?, q.set_aside))) {
                Ok((h, aside)) => {
                    if !aside.is_empty() && !*json {
                        eprintln!("not part of the name: {}", aside.join(", "));
                    }
                    h
                }
                Err(Error::Search(e)) if e.is_user_error() => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
                Err(e) => return Err(e.into()),
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else if hits.is_empty() {
                println!("no match");
            } else {
                for h in &hits {
                    let r = &h.record;
                    println!(
                        "{:>5.2} {} {:<14} {} {} {} {} {}",
                        h.score,
                        if h.public { "P" } else { " " },
                        r.external_id,
                        r.surname,
                        r.given_name,
                        r.patronymic,
                        r.birth_date.as_deref().unwrap_or("-"),
                        r.region.as_deref().unwrap_or("")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { queries, json, misses } => {
            let text =
                std::fs::read_to_string(queries).with_context(|| format!("cannot read {}", queries.display()))?;
            let queries = eval::parse_queries(&text)?;
            let registry = open(&cli).await?;
            sync_index(&registry).await?;
            // Measured as `serve` searches.
            registry.index.keep_resident()?;
            let pb = bar(queries.len() as u64, "evaluating");
            let report = eval::run(&registry, &queries, &mut |n| pb.set_position(n as u64));
            pb.finish_and_clear();
            if *json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.table());
                if *misses {
                    println!("missed: {}", report.misses.join(" "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Add { name, role }) => {
            let Some(role) = Role::parse(role) else {
                eprintln!("error: unknown role {role:?}; expected admin, moderator or editor");
                return Ok(ExitCode::from(2));
            };
            let registry = open(&cli).await?;
            let one_time = registry.store.add_user(name, role).await?;
            registry
                .store
                .audit(Entry {
                    actor_name: Some("cli"),
                    action: "user_added",
                    target_type: Some("user"),
                    target_id: Some(name.clone()),
                    details: Some(role.as_str().into()),
                    ..Entry::default()
                })
                .await?;
            println!("created {} {name}", role.as_str());
            println!("one-time password: {one_time}");
            println!("it must be changed at first sign-in, then a TOTP authenticator is enrolled");
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Disable { name }) => {
            let registry = open(&cli).await?;
            let released = registry.store.disable_user(name).await?;
            registry
                .store
                .audit(Entry {
                    actor_name: Some("cli"),
                    action: "user_disabled",
                    target_type: Some("user"),
                    target_id: Some(name.clone()),
                    ..Entry::default()
                })
                .await?;
            println!("disabled {name}; their sessions have ended");
            if released > 0 {
                println!("{released} request(s) they held for review are back in the queue for any moderator");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::User(UserCommand::Notify { name, email, telegram_chat, off }) => {
            use findkin::staff_alerts::{email_problem, Setting};
            let setting = match (email, telegram_chat, off) {
                (Some(e), _, _) => {
                    if let Some(problem) = email_problem(e) {
                        eprintln!("error: --email: {}", findkin_app::i18n::t(findkin_app::i18n::Lang::En, problem));
                        return Ok(ExitCode::from(2));
                    }
                    Setting::Email(e.trim().to_string())
                }
                (None, Some(chat), _) => Setting::Telegram(*chat),
                _ => Setting::Off,
            };
            let registry = open(&cli).await?;
            let Some(account) = registry.store.account_by_name(name).await? else {
                eprintln!("error: no user named {name:?}");
                return Ok(ExitCode::from(2));
            };
            registry.store.set_notify(account.user.id, &setting).await?;
            registry
                .store
                .audit(Entry {
                    actor_name: Some("cli"),
                    action: "notify_settings_changed",
                    target_type: Some("user"),
                    target_id: Some(name.clone()),
                    details: Some(setting.channel().into()),
                    ..Entry::default()
                })
                .await?;
            match &setting {
                Setting::Off => println!("{name}: notifications off"),
                Setting::Email(e) => println!("{name}: digests by email to {e}"),
                Setting::Telegram(c) => println!("{name}: digests to Telegram chat {c}"),
            }
            if matches!(account.user.role, Role::Editor) {
                println!("note: editors get no digests; only moderators and admins do");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify) => {
            let registry = open(&cli).await?;
            let pb = bar(0, "checking the audit chain");
            let verdict = registry.store.verify_audit(&mut |n| pb.set_position(n)).await?;
            pb.finish_and_clear();
            match verdict {
                Verdict::Intact { rows, unchained, head } => {
                    println!("audit log intact: {rows} rows, head {head}");
                    if unchained > 0 {
                        println!("note: the first {unchained} rows predate the chain and carry no hash");
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken { id, reason } => {
                    eprintln!("audit log BROKEN at row {id}: {reason}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Backup { dest } => {
            let registry = open(&cli).await?;
            let started = Instant::now();
            match registry.store.backup(dest).await {
                Ok(()) => {
                    println!("backup written to {} in {:.1} s", dest.display(), started.elapsed().as_secs_f64());
                    Ok(ExitCode::SUCCESS)
                }
                Err(StoreError::Invalid(why)) => {
                    eprintln!("{why}");
                    Ok(ExitCode::from(2))
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Restore { src } => {
            if let Err(e) = findkin::store::backup::restore(src, &cli.data_dir, cli.database_url.as_deref()).await {
                eprintln!("{e}");
                return Ok(ExitCode::from(if matches!(e, StoreError::Invalid(_)) { 2 } else { 1 }));
            }
            let registry = open(&cli).await?;
            let n = sync_index(&registry).await?;
            println!("restored {}: {} records, {n} indexed", src.display(), registry.store.count_records().await?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Db(DbCommand::Check) => {
            let registry = open(&cli).await?;
            let problems = registry.store.integrity().await?;
            sync_index(&registry).await?;
            let stored = registry.store.count_records().await?;
            let indexed = registry.index.num_docs();
            for p in &problems {
                eprintln!("database: {p}");
            }
            println!("database: {}", if problems.is_empty() { "ok" } else { "PROBLEMS" });
            println!("index: {indexed} records, database: {stored} records");
            if problems.is_empty() && indexed == stored {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("the index and the database disagree or the database reports problems");
                Ok(ExitCode::from(1))
            }
        }
        Command::Db(DbCommand::GrantApp { role }) => {
            let registry = open(&cli).await?;
            registry.store.grant_app_role(role).await?;
            println!("{role} may now run findkin serve; it can only read and append to audit_log");
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            let registry = open(&cli).await?;
            let started = Instant::now();
            let pb = bar(0, "indexing");
            let n = registry
                .rebuild(&mut |done, total| {
                    pb.set_length(total);
                    pb.set_position(done);
                })
                .await?;
            pb.finish_and_clear();
            println!("indexed {n} records in {:.1} s", started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One import run, for [`store_records`]'s report.
struct Run<'a> {
    source_name: &'a str,
    file: &'a Path,
    /// Rows expected, for the progress bar.
    total: u64,
    started: Instant,
    window_days: i64,
}

/// Lines in a file, for a progress bar's length (a fast pass over bytes
/// already in the page cache: about 0.1 s for a million rows).
fn count_lines(mut file: std::fs::File) -> std::io::Result<u64> {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0u64;
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(lines),
            n => lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64,
        }
    }
}

/// Stores records as one import (`findkin_store::import`) while the index
/// follows them on the other core, then prints the counts and re-matches
/// the waiting requests (both `import` and `pfif import`).
async fn store_records(
    registry: Arc<Registry>,
    records: impl Iterator<Item = Result<findkin::records::RecordInput, Error>> + Send,
    run: Run<'_>,
) -> Result<()> {
    let Run { source_name, file, total, started, window_days: rematch_window_days } = run;
    let pb = bar(total * 2, "storing");
    let (stored_tx, stored) = tokio::sync::oneshot::channel::<()>();
    let follower = {
        let registry = Arc::clone(&registry);
        tokio::spawn(async move {
            registry
                .follow(
                    async move {
                        let _ = stored.await;
                    },
                    &mut |_, _| {},
                )
                .await
        })
    };
    let who = Entry { actor_name: Some("cli"), ..Entry::default() };
    let counts = registry.store.import_rows(source_name, records, &who, &mut |n| pb.set_position(n)).await;
    // Also after a failure: the follower indexes what is stored and stops.
    let _ = stored_tx.send(());
    pb.finish_and_clear();
    let stored_in = started.elapsed();
    let spinner = bar(0, "indexing");
    let indexed = follower.await.context("the indexing task failed")?;
    spinner.finish_and_clear();
    let counts = counts?;
    // A running server holds the index: it indexes and re-matches the new records itself.
    let indexed = match indexed {
        Ok(_) => true,
        Err(Error::Search(findkin_search::SearchError::IndexBusy)) => {
            eprintln!("note: the search index is in use by a running server; it will pick the changes up itself");
            false
        }
        Err(e) => return Err(e).context("records are stored, but indexing failed; run `findkin reindex`"),
    };
    let elapsed = started.elapsed();
    println!(
        "imported {} rows from {}: {} new, {} updated, in {:.1} s (stored and indexed {:.1} s, index finished {:.1} s); the registry holds {} records",
        counts.inserted + counts.updated,
        file.display(),
        counts.inserted,
        counts.updated,
        elapsed.as_secs_f64(),
        stored_in.as_secs_f64(),
        (elapsed - stored_in).as_secs_f64(),
        registry.store.count_records().await?
    );
    if indexed {
        rematch(&registry, rematch_window_days).await?;
    }
    Ok(())
}

/// `pfif export`: the public level of every record, to a file (written
/// beside it and renamed when complete) or to standard output.
async fn pfif_export(cli: &Cli, domain: &str, out: Option<&Path>) -> Result<ExitCode> {
    if let Err(e) = pfif::export::check_domain(domain) {
        eprintln!("error: --domain: {e}");
        return Ok(ExitCode::from(2));
    }
    let registry = open(cli).await?;
    let pb = bar(registry.store.count_records().await?, "exporting");
    let now = time::OffsetDateTime::now_utc();
    let n = match out {
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let n = pfif::export_registry(&registry.store, domain, now, &mut w, &mut |n| pb.set_position(n)).await?;
            w.flush()?;
            n
        }
        Some(path) => {
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = std::path::PathBuf::from(partial);
            let written = async {
                let f =
                    std::fs::File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
                let mut w = BufWriter::new(f);
                let n =
                    pfif::export_registry(&registry.store, domain, now, &mut w, &mut |n| pb.set_position(n)).await?;
                w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
                anyhow::Ok(n)
            }
            .await;
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written?
        }
    };
    pb.finish_and_clear();
    if let Some(path) = out {
        println!("exported {n} persons (public level: name, birth year, region) to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `pfif import`: checked whole, stored in one transaction like `import`.
async fn pfif_import(cli: &Cli, file: &Path, status: findkin::records::Status) -> Result<ExitCode> {
    let size = std::fs::metadata(file).with_context(|| format!("cannot read {}", file.display()))?.len();
    if size > pfif::import::MAX_BYTES as u64 {
        eprintln!(
            "{}: the file has {size} bytes, more than the {} MiB read at once; split it",
            file.display(),
            pfif::import::MAX_BYTES >> 20
        );
        return Ok(ExitCode::from(2));
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let started = Instant::now();
    let pb = bar(0, "checking");
    let parsed = pfif::parse(&bytes, status, &mut |n| pb.set_position(n));
    pb.finish_and_clear();
    let records = match parsed {
        Ok(r) => r,
        Err(errors) => {
            eprintln!("{}: {errors}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let mut registry = open(cli).await?;
    registry.store.set_one_shot();
    // Fictional people belong in a demo registry only, and keep it marked.
    let demo = records.iter().filter(|r| pfif::is_demo(r)).count();
    if demo > 0 {
        let is_demo = registry.store.meta("demo").await?.as_deref() == Some("1");
        if !is_demo && registry.store.count_records().await? > 0 {
            eprintln!(
                "{}: {demo} person(s) are marked as fictional demo data, and this registry holds real records; nothing was imported",
                file.display()
            );
            return Ok(ExitCode::from(2));
        }
    }
    if demo > 0 {
        // Marked before storing: a failure leaves a marked registry, never unmarked fiction.
        registry.store.set_meta("demo", "1").await?;
        println!("{demo} person(s) are fictional demo data: the registry is marked as a demo registry");
    }
    let name = format!("pfif:{}", file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
    let run =
        Run { source_name: &name, file, total: records.len() as u64, started, window_days: cli.rematch_window_days };
    store_records(Arc::new(registry), records.into_iter().map(Ok), run).await?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Result<ExitCode> {
    let registry = Arc::new(open(cli).await?);
    if args.demo && registry.store.count_records().await? == 0 {
        load_demo(&registry).await?;
    }
    if args.demo {
        create_demo_staff(&registry, &cli.data_dir).await?;
    }
    let demo = registry.store.meta("demo").await?.as_deref() == Some("1");
    let n = sync_index(&registry).await?;
    if n > 0 {
        tracing::info!(records = n, "search index brought up to date");
    }
    let resident = registry.index.keep_resident()?;
    tracing::info!(mb = resident >> 20, "search index dictionaries and postings held in memory");
    if !args.site_root.join("pkg").exists() {
        tracing::warn!(
            site_root = %args.site_root.display(),
            "browser files not found: pages work without JavaScript only (run `make build`)"
        );
    }
    let transport = match &args.smtp_url {
        Some(url) => findkin::notify::Transport::Smtp { url: url.clone(), from: args.mail_from.clone() },
        None => findkin::notify::Transport::File { dir: cli.data_dir.join("outbox") },
    };
    let public_url = args.public_url.clone().unwrap_or_else(|| findkin::http::public_url::PublicUrl::local(args.addr));
    // Notifications leave through the outbox; a failed send is retried and
    // never holds up the state change that caused it.
    let courier = findkin::notify::EmailCourier::new(&transport)?;
    let _outbox = findkin::notify::spawn_courier(
        registry.store.pool.clone(),
        Arc::new(courier),
        Some(public_url.origin().to_string()),
        std::time::Duration::from_secs(5),
    );
    let search_budget = SearchBudget::new(args.search_rate_per_minute, args.search_global_per_second);
    let submissions = Submissions {
        requests: SubmissionBudget::hourly("request", args.submit_rate_per_hour, args.submit_global_per_minute),
        messages: SubmissionBudget::hourly("message", args.message_rate_per_hour, args.message_global_per_minute),
        photos: SubmissionBudget::hourly("photo", args.photo_rate_per_hour, args.photo_global_per_minute),
        photo_storage_bytes: (args.photo_storage_mib > 0)
            .then(|| i64::try_from(args.photo_storage_mib.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX)),
    };
    // The bot shares the site's budgets: the same limits through every door.
    let telegram = match &args.telegram_token {
        Some(token) => findkin::telegram::start(findkin::telegram::Settings {
            token: token.0.clone(),
            api_url: args.telegram_api_url.clone(),
            webhook_url: args.telegram_webhook_url.clone(),
            registry: Arc::clone(&registry),
            search_budget: search_budget.clone(),
            submissions: submissions.clone(),
            public_url: public_url.clone(),
        })?,
        None => None,
    };
    // Moderators hear of new work in digests, through the same outbox.
    let _digests = findkin::staff_alerts::spawn_digest_worker(
        registry.store.clone(),
        args.staff_digest_window(),
        public_url.origin().to_string(),
    );
    let leptos_options = LeptosOptions::builder()
        .output_name("findkin")
        .site_root(args.site_root.to_string_lossy().into_owned())
        // `pkg/<hash of the files>`: the URL the pages load the bundle by.
        .site_pkg_dir(findkin::http::assets::url_dir(&args.site_root))
        .site_addr(args.addr)
        .build();
    if let Some(addr) = args.metrics_addr {
        findkin::metrics::serve(addr, Arc::clone(&registry)).await?;
    }
    http::serve(AppState::new(http::Shared {
        leptos_options,
        registry,
        demo,
        data_dir: cli.data_dir.clone(),
        search_budget,
        submissions,
        trusted_proxies: Arc::new(args.trusted_proxies.0.clone()),
        public_url,
        limits: ConnectionLimits {
            header_timeout: std::time::Duration::from_secs(args.header_timeout_secs.max(1)),
            request_timeout: std::time::Duration::from_secs(args.request_timeout_secs.max(1)),
            max_connections: args.max_connections,
        },
        rematch_window_days: cli.rematch_window_days,
        telegram,
    }))
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// Fills an empty registry with generated, clearly fictional people.
async fn load_demo(registry: &Registry) -> Result<()> {
    tracing::info!(records = DEMO_RECORDS, "loading the fictional demo registry");
    let mut csv = Vec::new();
    demo_data::write_demo_csv(&mut csv, DEMO_RECORDS, DEMO_SEED)?;
    let records = parse_csv(&csv, &mut |_| {}).map_err(Error::Csv).context("demo data did not validate")?;
    registry.store.import("demo-data", &records, &Entry::default(), &mut |_| {}).await?;
    registry.store.set_meta("demo", "1").await?;
    if std::io::stderr().is_terminal() {
        eprintln!("demo registry loaded: {} fictional records", records.len());
    }
    Ok(())
}

/// Demo accounts, ready to use (no password change, TOTP enrolled), so
/// that the four-eyes release can be tried at once. Their credentials are
/// printed and kept in DATA_DIR/demo-staff.txt.
async fn create_demo_staff(registry: &Registry, data_dir: &std::path::Path) -> Result<()> {
    if registry.store.count_users().await? > 0 {
        return Ok(());
    }
    let mut text = String::from("findkin demo staff (fictional; for trying the console only)\n");
    for (name, role) in [
        ("moderator1", Role::Moderator),
        ("moderator2", Role::Moderator),
        ("admin", Role::Admin),
        ("editor", Role::Editor),
    ] {
        let password = findkin::auth::password::generate_one_time();
        let secret = totp::new_secret();
        registry.store.add_demo_user(name, role, &password, &secret).await?;
        text.push_str(&format!("{name:<11} role {:<9} password {password}  TOTP secret {secret}\n", role.as_str()));
    }
    let path = data_dir.join("demo-staff.txt");
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("\n{text}(saved in {}; sign in at /staff)\n", path.display());
    Ok(())
}
