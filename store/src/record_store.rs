//! Reading and editing single records for the staff console: full record,
//! filtered lists, three-way merged updates (optimistic concurrency) with a
//! per-field history.

use crate::public_ref::FIND_BY_PUBLIC_REF;
use serde::Serialize;
use sqlx::FromRow;

use crate::audit::{self, Entry};
use crate::record_merge::{self, FieldMerge, Value};
use crate::records::{RecordInput, Sex, Status};
use crate::{clock, Sql, Store, StoreError, Writer};

/// A stored record with its id and version.
#[derive(Debug, Clone, Serialize)]
pub struct StoredRecord {
    pub id: i64,
    pub version: i64,
    pub input: RecordInput,
    pub updated_at: String,
}

/// One field change in a record's history.
#[derive(Debug, Clone, Serialize, FromRow)]
pub struct Change {
    pub at: String,
    pub user_name: String,
    pub version: i64,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Filters of the staff records list.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub status: Option<Status>,
    pub region: Option<String>,
    /// Status date range, inclusive, `YYYY-MM-DD`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Restrict to these ids (from a name search), in this order.
    pub ids: Option<Vec<i64>>,
}

/// Outcome of saving an edited record.
#[derive(Debug)]
pub enum SaveOutcome {
    Saved {
        id: i64,
        version: i64,
        /// Fields someone else changed since the form was opened, whose
        /// newer values were kept (the editor is told their save merged).
        kept_theirs: Vec<&'static str>,
    },
    /// The submitted form changes nothing: nothing was written.
    Unchanged { id: i64, version: i64 },
    /// Someone else changed a field this editor changed too, to another
    /// value: nothing was written.
    Conflict {
        current: Box<StoredRecord>,
        /// What the save would do with each field (`Conflict` on the
        /// colliding ones).
        plan: Vec<(&'static str, FieldMerge)>,
    },
}

const COLUMNS: &str =
    "id, version, updated_at, external_id, surname, given_name, patronymic, sex, birth_date, birth_place, \
     region, unit, rank, status, status_date, status_place, source, notes";

/// A `records` row as read with [`COLUMNS`].
#[derive(FromRow)]
struct RecordRow {
    id: i64,
    version: i64,
    updated_at: String,
    external_id: String,
    surname: String,
    given_name: String,
    patronymic: String,
    sex: Option<String>,
    birth_date: Option<String>,
    birth_place: Option<String>,
    region: Option<String>,
    unit: Option<String>,
    rank: Option<String>,
    status: String,
    status_date: Option<String>,
    status_place: Option<String>,
    source: Option<String>,
    notes: Option<String>,
}

impl TryFrom<RecordRow> for StoredRecord {
    type Error = StoreError;

    fn try_from(r: RecordRow) -> Result<Self, StoreError> {
        Ok(StoredRecord {
            id: r.id,
            version: r.version,
            updated_at: r.updated_at,
            input: RecordInput {
                external_id: r.external_id,
                surname: r.surname,
                given_name: r.given_name,
                patronymic: r.patronymic,
                sex: r.sex.as_deref().and_then(|s| Sex::parse(s).ok().flatten()),
                birth_date: r.birth_date,
                birth_place: r.birth_place,
                region: r.region,
                unit: r.unit,
                rank: r.rank,
                status: Status::parse(&r.status).map_err(StoreError::Corrupt)?,
                status_date: r.status_date,
                status_place: r.status_place,
                source: r.source,
                notes: r.notes,
            },
        })
    }
}

/// The editable fields as (name, value) pairs, for diffs and CSV.
pub fn fields(r: &RecordInput) -> [(&'static str, Value); 15] {
    let s = |v: &str| (!v.is_empty()).then(|| v.to_string());
    [
        ("external_id", s(&r.external_id)),
        ("surname", s(&r.surname)),
        ("given_name", s(&r.given_name)),
        ("patronymic", s(&r.patronymic)),
        ("sex", r.sex.map(|x| x.as_str().to_string())),
        ("birth_date", r.birth_date.clone()),
        ("birth_place", r.birth_place.clone()),
        ("region", r.region.clone()),
        ("unit", r.unit.clone()),
        ("rank", r.rank.clone()),
        ("status", Some(r.status.as_str().to_string())),
        ("status_date", r.status_date.clone()),
        ("status_place", r.status_place.clone()),
        ("source", r.source.clone()),
        ("notes", r.notes.clone()),
    ]
}

impl Store {
    pub async fn record(&self, id: i64) -> Result<Option<StoredRecord>, StoreError> {
        let row: Option<RecordRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM records WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(StoredRecord::try_from).transpose()
    }

    /// The record a public search hit referred to (opaque reference).
    pub async fn record_by_public_ref(&self, public_ref: &str) -> Result<Option<StoredRecord>, StoreError> {
        let row: Option<RecordRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM records {FIND_BY_PUBLIC_REF}"))
            .bind(public_ref)
            .bind(self.public_refs().id_of(public_ref).unwrap_or(0))
            .fetch_optional(&self.pool)
            .await?;
        row.map(StoredRecord::try_from).transpose()
    }

    /// How many of these external ids are already stored (import preview):
    /// one query per few hundred ids, not one per row.
    pub async fn count_existing(&self, external_ids: &[&str]) -> Result<usize, StoreError> {
        let mut n = 0usize;
        for chunk in external_ids.chunks(500) {
            let mut q = Sql::new("SELECT COUNT(*) FROM records WHERE external_id IN ");
            q.list(chunk.iter().copied());
            let c: i64 = q.fetch_scalar(&self.pool).await?;
            n += c as usize;
        }
        Ok(n)
    }

    pub async fn record_id_by_external(&self, external_id: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar("SELECT id FROM records WHERE external_id = $1")
            .bind(external_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Records matching the filter, by id (or in the given id order).
    pub async fn list_records(
        &self,
        f: &RecordFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<StoredRecord>, StoreError> {
        let mut q = Sql::new(format!("SELECT {COLUMNS} FROM records WHERE 1 = 1"));
        if let Some(s) = f.status {
            q.push(" AND status = ").bind(s.as_str());
        }
        if let Some(r) = &f.region {
            q.push(" AND region = ").bind(r.clone());
        }
        if let Some(d) = &f.from {
            q.push(" AND status_date >= ").bind(d.clone());
        }
        if let Some(d) = &f.to {
            q.push(" AND status_date <= ").bind(d.clone());
        }
        if let Some(ids) = &f.ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND id IN ");
            q.list(ids.iter().copied());
        } else {
            q.push(" ORDER BY id");
        }
        q.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
        let rows: Vec<RecordRow> = q.fetch_as(&self.pool).await?;
        let mut out: Vec<StoredRecord> = rows.into_iter().map(StoredRecord::try_from).collect::<Result<_, _>>()?;
        if let Some(ids) = &f.ids {
            out.sort_by_key(|r| ids.iter().position(|i| *i == r.id).unwrap_or(usize::MAX));
        }
        Ok(out)
    }

    /// Distinct regions, for the filter menu.
    pub async fn regions(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT DISTINCT region FROM records WHERE region IS NOT NULL ORDER BY region")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn history(&self, record_id: i64) -> Result<Vec<Change>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT at, user_name, version, field, old_value, new_value FROM record_history WHERE record_id = $1 ORDER BY id DESC",
        )
        .bind(record_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Saves an edit as a three-way merge (see [`crate::record_merge`]):
    /// `base` is what the form was opened with (version `expected_version`).
    /// Only the fields this editor changed are written; a field someone else
    /// changed meanwhile keeps their value, and if both changed the same
    /// field differently nothing is written and the current record comes
    /// back. Without `base` (an old form) the save goes through only if the
    /// record did not move on, as before.
    pub async fn update_record(
        &self,
        id: i64,
        expected_version: i64,
        base: Option<&[(&str, Value)]>,
        new: &RecordInput,
        who: &Entry<'_>,
    ) -> Result<SaveOutcome, StoreError> {
        // The transaction takes the write lock first, so nobody can save
        // between our read and our write; the version check in the UPDATE
        // still guards it, and a lost race is simply merged again.
        for _ in 0..3 {
            if let Some(outcome) = self.try_update(id, expected_version, base, new, who).await? {
                return Ok(outcome);
            }
        }
        Err(StoreError::Contended(id))
    }

    /// One attempt of [`Store::update_record`]; `None` when the stored
    /// version changed between the read and the write.
    async fn try_update(
        &self,
        id: i64,
        expected_version: i64,
        base: Option<&[(&str, Value)]>,
        new: &RecordInput,
        who: &Entry<'_>,
    ) -> Result<Option<SaveOutcome>, StoreError> {
        let by = who.actor.ok_or(StoreError::Invalid("a record is edited by a signed-in user".into()))?;
        let mut tx = self.begin(Writer::Registry).await?;
        let row: Option<RecordRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM records WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(current) = row.map(StoredRecord::try_from).transpose()? else {
            return Err(StoreError::NotFound { what: "record", id });
        };
        // An old form without base values: its base is known only if the
        // record is still at the version it was opened on.
        let unchanged_base = fields(&current.input);
        let base: &[(&str, Value)] = match base {
            Some(b) => b,
            None if current.version == expected_version => &unchanged_base,
            None => &[],
        };
        let plan = record_merge::plan(base, new, &current.input);
        if plan.iter().any(|(_, k)| *k == FieldMerge::Conflict) {
            return Ok(Some(SaveOutcome::Conflict { current: Box::new(current), plan }));
        }
        let merged = record_merge::apply(&plan, new, &current.input);
        if merged == current.input {
            return Ok(Some(SaveOutcome::Unchanged { id, version: current.version }));
        }
        let version = current.version + 1;
        let done = sqlx::query(
            "UPDATE records SET external_id = $1, surname = $2, given_name = $3, patronymic = $4, sex = $5, birth_date = $6,
                birth_place = $7, region = $8, unit = $9, rank = $10, status = $11, status_date = $12, status_place = $13,
                source = $14, notes = $15, version = $16, updated_at = $19
             WHERE id = $17 AND version = $18",
        )
        .bind(&merged.external_id)
        .bind(&merged.surname)
        .bind(&merged.given_name)
        .bind(&merged.patronymic)
        .bind(merged.sex.map(|s| s.as_str()))
        .bind(&merged.birth_date)
        .bind(&merged.birth_place)
        .bind(&merged.region)
        .bind(&merged.unit)
        .bind(&merged.rank)
        .bind(merged.status.as_str())
        .bind(&merged.status_date)
        .bind(&merged.status_place)
        .bind(&merged.source)
        .bind(&merged.notes)
        .bind(version)
        .bind(id)
        .bind(current.version)
        .bind(clock::now())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(None);
        }
        for ((field, old), (_, newv)) in fields(&current.input).into_iter().zip(fields(&merged)) {
            if old != newv {
                sqlx::query(
                    "INSERT INTO record_history (record_id, version, user_id, user_name, field, old_value, new_value)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(version)
                .bind(by.id)
                .bind(&by.name)
                .bind(field)
                .bind(old)
                .bind(newv)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("INSERT INTO record_changes (record_id, changed_at) VALUES ($1, $2)")
            .bind(id)
            .bind(clock::now())
            .execute(&mut *tx)
            .await?;
        crate::announce_changes(&mut tx).await?;
        let kept_theirs = record_merge::with(&plan, FieldMerge::Theirs);
        let merged_note = if kept_theirs.is_empty() {
            String::new()
        } else {
            format!("; kept others' changes to {}", kept_theirs.join(", "))
        };
        let entry = Entry {
            action: "edit_record",
            target_type: Some("record"),
            target_id: Some(merged.external_id.clone()),
            details: Some(format!("version {version} (form of version {expected_version}){merged_note}")),
            ..who.clone()
        };
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Some(SaveOutcome::Saved { id, version, kept_theirs }))
    }

    /// Creates one record, with its history row, change-feed row and audit
    /// entry in one transaction; refuses an `external_id` already in use.
    pub async fn create_record(&self, new: &RecordInput, who: &Entry<'_>) -> Result<Option<i64>, StoreError> {
        let by = who.actor.ok_or(StoreError::Invalid("a record is created by a signed-in user".into()))?;
        let mut tx = self.begin(Writer::Registry).await?;
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM records WHERE external_id = $1")
            .bind(&new.external_id)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let now = clock::now();
        let rows = crate::upsert_records(&mut tx, std::slice::from_ref(new), &now).await?;
        let Some(&(id, _)) = rows.first() else { return Ok(None) };
        sqlx::query(
            "INSERT INTO record_history (record_id, version, user_id, user_name, field, old_value, new_value, at)
             VALUES ($1, 1, $2, $3, 'created', NULL, $4, $5)",
        )
        .bind(id)
        .bind(by.id)
        .bind(&by.name)
        .bind(&new.external_id)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let entry = Entry {
            action: "create_record",
            target_type: Some("record"),
            target_id: Some(new.external_id.clone()),
            ..who.clone()
        };
        audit::append(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Records per status, for the dashboard.
    pub async fn count_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) AS n FROM records GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows)
    }

    /// Record changes per day over the last `days` days (dashboard).
    pub async fn changes_per_day(&self, days: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT substr(changed_at, 1, 10) AS day, COUNT(*) AS n FROM record_changes
             WHERE changed_at >= $1 GROUP BY day ORDER BY day",
        )
        .bind(days_back(days))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }
}

impl Store {
    /// Contact requests received per day over the last `days` days.
    pub async fn requests_per_day(&self, days: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT substr(created_at, 1, 10) AS day, COUNT(*) AS n FROM contact_requests
             WHERE created_at >= $1 GROUP BY day ORDER BY day",
        )
        .bind(days_back(days))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Median hours from a request to its first moderator response, over
    /// the requests that have one (`None` when there are none yet).
    pub async fn median_first_response_hours(&self) -> Result<Option<f64>, StoreError> {
        let pairs: Vec<(String, String)> = sqlx::query_as(
            "SELECT created_at, first_response_at FROM contact_requests WHERE first_response_at IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut hours: Vec<f64> = pairs
            .iter()
            .filter_map(|(asked, answered)| {
                Some((clock::parse(answered)? - clock::parse(asked)?).as_seconds_f64() / 3600.0)
            })
            .collect();
        hours.sort_by(f64::total_cmp);
        Ok(match hours.len() {
            0 => None,
            n if n % 2 == 1 => Some(hours[n / 2]),
            n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
        })
    }
}

/// The start of the day `days` days ago, as stored text (day-granular
/// charts count whole days).
fn days_back(days: i64) -> String {
    let ago = clock::ago(time::Duration::days(days.clamp(0, 36_500)));
    format!("{}T00:00:00.000Z", &ago[..10])
}

/// The public columns of a record, and nothing else (exports read only these).
#[derive(Debug, Clone, FromRow)]
pub struct PublicColumns {
    pub id: i64,
    pub public_ref: Option<String>,
    pub surname: String,
    pub given_name: String,
    pub patronymic: String,
    pub birth_date: Option<String>,
    pub region: Option<String>,
}

impl Store {
    /// Up to `limit` records with id above `after`, by id, public columns only.
    pub async fn public_columns_page(&self, after: i64, limit: i64) -> Result<Vec<PublicColumns>, StoreError> {
        let rows: Vec<PublicColumns> = sqlx::query_as(
            "SELECT id, public_ref, surname, given_name, patronymic, birth_date, region FROM records
             WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let refs = self.public_refs();
        Ok(rows
            .into_iter()
            .map(|r| PublicColumns { public_ref: Some(refs.resolve(r.id, r.public_ref)), ..r })
            .collect())
    }
}
