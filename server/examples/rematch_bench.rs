//! Re-matching benchmark (docs/PERFORMANCE.md): 20,000 waiting requests,
//! then an import of 100,000 new records, then one re-matching run.
//!
//! `cargo run --release -p findkin --example rematch_bench [-- new_records requests]`
//!
//! 2,000 of the requests (one in ten) seek someone the import brings; the
//! rest seek people who stay absent. Prints the run's time, its counts and
//! the process's peak memory.

use std::time::Instant;

use findkin::csv_import::parse_csv;
use findkin::demo_data::write_demo_csv;
use findkin::records::RecordInput;
use findkin::registry::Registry;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info,tantivy=warn,sqlx=warn").with_writer(std::io::stderr).init();
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let new_records = args.next().transpose()?.unwrap_or(100_000);
    let requests = args.next().transpose()?.unwrap_or(20_000);
    let present = requests / 10;
    let absent = requests - present;

    let mut csv = Vec::new();
    write_demo_csv(&mut csv, new_records + absent, 7)?;
    let people = parse_csv(&csv, &mut |_| {}).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (imported, never) = people.split_at(new_records);

    let dir = tempfile::tempdir()?;
    let registry = Registry::open(dir.path(), None, Default::default()).await?;
    registry.sync(&mut |_, _| {}).await?;
    let step = (new_records / present.max(1)).max(1);
    let sought: Vec<&RecordInput> = imported.iter().step_by(step).take(present).chain(never.iter()).collect();
    let started = Instant::now();
    insert_requests(&registry, &sought).await?;
    println!("{} waiting requests stored in {:.1} s", sought.len(), started.elapsed().as_secs_f64());
    registry.rematch(365).await?;

    let started = Instant::now();
    registry.store.import("bench.csv", imported, &findkin::audit::Entry::default(), &mut |_| {}).await?;
    registry.sync(&mut |_, _| {}).await?;
    println!("{} new records imported and indexed in {:.1} s", imported.len(), started.elapsed().as_secs_f64());

    let started = Instant::now();
    let report = registry.rematch(365).await?;
    let took = started.elapsed();
    println!(
        "re-matching: {:.1} s for {} changed records against {} waiting requests; \
         {} searched in full, {} raised (of {} seeking an imported person)",
        took.as_secs_f64(),
        report.records,
        report.waiting,
        report.searched,
        report.raised,
        present
    );
    let again = Instant::now();
    let second = registry.rematch(365).await?;
    println!("a second run: {:.3} s, {} raised", again.elapsed().as_secs_f64(), second.raised);
    if let Some(peak) = peak_rss() {
        println!("peak memory of the whole benchmark: {peak}");
    }
    Ok(())
}

/// Stores the waiting requests in one transaction, created before the import.
async fn insert_requests(registry: &Registry, sought: &[&RecordInput]) -> anyhow::Result<()> {
    let mut tx = registry.store.pool.begin().await?;
    for (i, r) in sought.iter().enumerate() {
        let name = format!("{} {} {}", r.surname, r.given_name, r.patronymic);
        let birth = r.birth_date.as_deref().filter(|_| i % 2 == 0).and_then(|d| d.get(..4)).map(str::to_string);
        sqlx::query(
            "INSERT INTO contact_requests (reference, body_hash, state, language, requester_name, relationship, \
             email, sought_name, sought_birth, created_at) \
             VALUES (?, '', 'submitted', 'ru', 'Демо', 'мать', ?, ?, ?, '2026-01-01T00:00:00.000Z')",
        )
        .bind(format!("BENCH-{i:06}"))
        .bind(format!("bench{i}@example.org"))
        .bind(name)
        .bind(birth)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find(|l| l.starts_with("VmHWM")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
}
