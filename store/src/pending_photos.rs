//! Photos of a request form that is shown again — a field to fix, or
//! another language chosen — kept on the server until the form is sent, so
//! a relative never picks the files again and each photo's budget charge is
//! paid once. The form names them by hidden tokens, under its idempotency key.
//!
//! Kept photos stay a day after the form is sent too: a browser's retry of
//! that post must find them, or it would no longer be the same request.

use rand::Rng;
use sqlx::FromRow;

use crate::photos::{CleanPhoto, MAX_PHOTOS, MAX_REQUEST_PHOTO_BYTES};
use crate::{clock, Sql, Store, StoreError, Writer};

/// How long a kept photo waits for its form.
const KEPT_FOR: time::Duration = time::Duration::DAY;

/// A photo kept for a form: named by its token, shown by its file name.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PendingPhoto {
    pub token: String,
    pub file_name: String,
}

/// The photos a re-posted form still has.
#[derive(Debug, Default)]
pub struct Kept {
    pub photos: Vec<PendingPhoto>,
    /// A photo the form named is gone (kept longer than a day).
    pub lost: bool,
}

/// A kept photo's stored image, as read back to send with its form.
#[derive(FromRow)]
struct KeptRow {
    format: String,
    width: i64,
    height: i64,
    jpeg: Vec<u8>,
    thumb: Vec<u8>,
}

impl KeptRow {
    fn into_photo(self) -> CleanPhoto {
        let format = match self.format.as_str() {
            "png" => "png",
            "webp" => "webp",
            _ => "jpeg",
        };
        CleanPhoto {
            jpeg: self.jpeg,
            thumb_jpeg: self.thumb,
            width: self.width as u32,
            height: self.height as u32,
            format,
        }
    }
}

fn token() -> String {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill(&mut raw);
    hex::encode(raw)
}

fn bytes(p: &CleanPhoto) -> i64 {
    (p.jpeg.len() + p.thumb_jpeg.len()) as i64
}

/// The tokens a form keeps: named, not ticked for removal, each once, at most [`MAX_PHOTOS`].
fn wanted<'a>(named: &'a [String], removed: &[String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for t in named.iter().filter(|t| !removed.contains(t)) {
        if out.len() < MAX_PHOTOS && !out.contains(&t.as_str()) {
            out.push(t);
        }
    }
    out
}

impl Store {
    /// The photos a posted form still carries. In one transaction, deletes
    /// every kept photo older than a day (of any form), then those of this
    /// form it ticked for removal or no longer names (a page reached with
    /// Back), so a form never holds more than [`MAX_PHOTOS`].
    pub async fn kept_photos(&self, key: &str, named: &[String], removed: &[String]) -> Result<Kept, StoreError> {
        let wanted = wanted(named, removed);
        let mut tx = self.begin(Writer::Service).await?;
        sqlx::query("DELETE FROM pending_photos WHERE created_at < $1")
            .bind(clock::ago(KEPT_FOR))
            .execute(&mut *tx)
            .await?;
        let mut q = Sql::new("DELETE FROM pending_photos WHERE form_key = ");
        q.bind(key);
        if !wanted.is_empty() {
            q.push(" AND token NOT IN ").list(wanted.iter().copied());
        }
        q.execute(&mut *tx).await?;
        let photos: Vec<PendingPhoto> =
            sqlx::query_as("SELECT token, file_name FROM pending_photos WHERE form_key = $1 ORDER BY id")
                .bind(key)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(Kept { lost: photos.len() < wanted.len(), photos })
    }

    /// Keeps cleaned photos (with their file names) for a form shown again,
    /// within the form's count and byte caps and the storage budget, which
    /// counts kept and sent photos together. `None`: they do not fit, and
    /// nothing is kept.
    pub async fn keep_photos(
        &self,
        key: &str,
        photos: &[(String, CleanPhoto)],
        budget: Option<i64>,
    ) -> Result<Option<Vec<PendingPhoto>>, StoreError> {
        if photos.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let adding: i64 = photos.iter().map(|(_, p)| bytes(p)).sum();
        let mut tx = self.begin(Writer::Service).await?;
        let (count, of_form): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(length(jpeg) + length(thumb)), 0) AS BIGINT) AS b FROM pending_photos \
             WHERE form_key = $1",
        )
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        if count as usize + photos.len() > MAX_PHOTOS || of_form + adding > MAX_REQUEST_PHOTO_BYTES {
            return Ok(None);
        }
        if let Some(budget) = budget {
            let total: i64 = sqlx::query_scalar(
                "SELECT CAST((SELECT COALESCE(SUM(length(jpeg) + length(thumb)), 0) FROM photos) \
                      + (SELECT COALESCE(SUM(length(jpeg) + length(thumb)), 0) FROM pending_photos) AS BIGINT)",
            )
            .fetch_one(&mut *tx)
            .await?;
            if total + adding > budget {
                return Ok(None);
            }
        }
        let mut kept = Vec::with_capacity(photos.len());
        for (name, p) in photos {
            let t = token();
            let file_name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
            sqlx::query(
                "INSERT INTO pending_photos (form_key, token, file_name, format, width, height, jpeg, thumb) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(key)
            .bind(&t)
            .bind(&file_name)
            .bind(p.format)
            .bind(p.width as i64)
            .bind(p.height as i64)
            .bind(&p.jpeg)
            .bind(&p.thumb_jpeg)
            .execute(&mut *tx)
            .await?;
            kept.push(PendingPhoto { token: t, file_name });
        }
        tx.commit().await?;
        Ok(Some(kept))
    }

    /// The kept photos of a form, oldest first, to send with it.
    pub async fn kept_clean_photos(&self, key: &str) -> Result<Vec<CleanPhoto>, StoreError> {
        let rows: Vec<KeptRow> = sqlx::query_as(
            "SELECT format, width, height, jpeg, thumb FROM pending_photos WHERE form_key = $1 ORDER BY id",
        )
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(KeptRow::into_photo).collect())
    }

    /// The thumbnail of a kept photo, for the form that keeps it only.
    pub async fn kept_thumb(&self, key: &str, token: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(sqlx::query_scalar("SELECT thumb FROM pending_photos WHERE form_key = $1 AND token = $2")
            .bind(key)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Moves a form's kept photos to its new key (the old one was used for
    /// another request).
    pub async fn rekey_kept_photos(&self, from: &str, to: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE pending_photos SET form_key = $1 WHERE form_key = $2")
            .bind(to)
            .bind(from)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_keeps_each_named_photo_once_and_at_most_max() {
        let s = |v: &[&str]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(wanted(&s(&["a", "b", "a"]), &s(&["b"])), vec!["a"]);
        assert_eq!(wanted(&s(&["a", "b", "c", "d", "e"]), &[]).len(), MAX_PHOTOS);
    }

    fn photo(n: usize) -> (String, CleanPhoto) {
        let p = CleanPhoto { jpeg: vec![1; n], thumb_jpeg: vec![2; 10], width: 4, height: 3, format: "png" };
        (format!("{n}.png"), p)
    }

    #[tokio::test]
    async fn kept_photos_are_bounded_removable_and_expire() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::scratch(dir.path()).await;
        let kept = store.keep_photos("k", &[photo(100), photo(200)], None).await.expect("keep").expect("fits");
        let tokens: Vec<String> = kept.iter().map(|p| p.token.clone()).collect();
        assert_eq!(kept[0].file_name, "100.png");
        // Over the count cap or the storage budget: nothing is kept.
        assert!(store.keep_photos("k", &[photo(1), photo(2)], None).await.expect("keep").is_none());
        assert!(store.keep_photos("other", &[photo(100)], Some(400)).await.expect("keep").is_none());
        assert_eq!(store.kept_clean_photos("k").await.expect("load").len(), 2);

        // Ticked for removal: gone; named: kept, with its bytes and format.
        let left = store.kept_photos("k", &tokens, &tokens[1..]).await.expect("kept");
        assert_eq!((left.photos.len(), left.lost), (1, false));
        let clean = store.kept_clean_photos("k").await.expect("load");
        assert_eq!((clean[0].jpeg.len(), clean[0].format), (100, "png"));
        assert!(store.kept_thumb("k", &tokens[0]).await.expect("thumb").is_some());
        assert!(store.kept_thumb("other", &tokens[0]).await.expect("thumb").is_none(), "only for its own form");

        // A day later it is gone, and the form says so.
        sqlx::query("UPDATE pending_photos SET created_at = '2000-01-01T00:00:00.000Z'")
            .execute(&store.pool)
            .await
            .expect("age");
        let left = store.kept_photos("k", &tokens[..1], &[]).await.expect("kept");
        assert_eq!((left.photos.len(), left.lost), (0, true));
    }
}
