//! Online backups and restores of the database (the search index is
//! derived data and is rebuilt from it).
//!
//! SQLite: `VACUUM INTO` writes a consistent copy while the service runs.
//! PostgreSQL: the documented `pg_dump` custom format, restored with
//! `pg_restore` into an empty database. The password never appears on a
//! command line (it goes through `PGPASSWORD`).

use std::path::Path;
use std::process::Command;

use sqlx::{AnyPool, Connection};

use super::{dialect, Dialect, Store, StoreError};

impl Store {
    /// Writes a consistent copy of the database to `dest` (a new file).
    pub async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Invalid(format!("{} already exists; nothing was overwritten", dest.display())));
        }
        match self.dialect {
            Dialect::Sqlite => {
                let path = dest.to_string_lossy().replace('\'', "''");
                sqlx::query(&format!("VACUUM INTO '{path}'")).execute(&self.pool).await?;
                Ok(())
            }
            Dialect::Postgres => {
                let mut cmd = pg_tool("pg_dump", &self.url);
                cmd.args(["--format=custom", "--no-owner", "--file"]).arg(dest);
                run(cmd, "pg_dump")
            }
        }
    }
}

/// Brings a backup back into an empty registry: the SQLite file of
/// `data_dir`, or the (empty) PostgreSQL database at `url`. Refuses to
/// overwrite anything. The index of `data_dir` is dropped; it is rebuilt
/// from the restored database when the registry is next opened.
pub async fn restore(src: &Path, data_dir: &Path, url: Option<&str>) -> Result<(), StoreError> {
    if !src.is_file() {
        return Err(StoreError::Invalid(format!("{} is not a backup file", src.display())));
    }
    std::fs::create_dir_all(data_dir)?;
    match url.map(Dialect::of_url).transpose()? {
        None | Some(Dialect::Sqlite) => {
            let db = match url {
                Some(u) => std::path::PathBuf::from(u.trim_start_matches("sqlite://").trim_start_matches("sqlite:")),
                None => data_dir.join("findkin.db"),
            };
            if db.exists() {
                return Err(StoreError::Invalid(format!(
                    "{} already exists; restore into a new data directory (nothing was overwritten)",
                    db.display()
                )));
            }
            let tmp = db.with_extension("restoring");
            std::fs::copy(src, &tmp)?;
            let check = async {
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", tmp.display())).await?;
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(&mut conn).await?;
                conn.close().await?;
                Ok::<_, sqlx::Error>(rows)
            };
            match check.await {
                Ok(rows) if rows == ["ok"] => std::fs::rename(&tmp, &db)?,
                Ok(rows) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(StoreError::Invalid(format!("{} is damaged: {}", src.display(), rows.join("; "))));
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(StoreError::Invalid(format!("{} is not an SQLite backup: {e}", src.display())));
                }
            }
        }
        Some(Dialect::Postgres) => {
            let url = url.unwrap_or_default();
            sqlx::any::install_default_drivers();
            let pool = AnyPool::connect(url)
                .await
                .map_err(|e| StoreError::Unreachable { url: dialect::redact(url), reason: e.to_string() })?;
            let tables: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
                    .fetch_one(&pool)
                    .await?;
            pool.close().await;
            if tables > 0 {
                return Err(StoreError::Invalid(format!(
                    "the database {} is not empty; restore into a new database (nothing was overwritten)",
                    dialect::redact(url)
                )));
            }
            let mut cmd = pg_tool("pg_restore", url);
            cmd.args(["--no-owner", "--exit-on-error", "--single-transaction"]).arg(src);
            run(cmd, "pg_restore")?;
        }
    }
    let _ = std::fs::remove_dir_all(data_dir.join("index"));
    let _ = std::fs::remove_file(data_dir.join("index.state"));
    Ok(())
}

/// A PostgreSQL client tool aimed at `url`, its password in the environment.
fn pg_tool(tool: &str, url: &str) -> Command {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    cmd.arg(format!("--dbname={url}"));
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd
}

fn run(mut cmd: Command, tool: &str) -> Result<(), StoreError> {
    let out = cmd.output().map_err(|e| {
        StoreError::Invalid(format!(
            "cannot run {tool}: {e} (install the PostgreSQL client tools, e.g. apt-get install postgresql-client)"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("{tool} failed: {}", String::from_utf8_lossy(&out.stderr).trim())))
    }
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret`).
fn split_password(url: &str) -> (String, Option<String>) {
    if let (Some(scheme), Some(at)) = (url.find("://"), url.rfind('@')) {
        if at > scheme {
            if let Some((user, password)) = url[scheme + 3..at].split_once(':') {
                return (format!("{}{user}{}", &url[..scheme + 3], &url[at..]), Some(password.to_string()));
            }
        }
    }
    (url.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_off_the_command_line() {
        assert_eq!(
            split_password("postgres://findkin:s3cret@db.local:5432/findkin"),
            ("postgres://findkin@db.local:5432/findkin".to_string(), Some("s3cret".to_string()))
        );
        assert_eq!(split_password("postgres://postgres@127.0.0.1/x"), ("postgres://postgres@127.0.0.1/x".into(), None));
    }
}
