//! Public references: the opaque handle a public search hit carries
//! instead of the row id.
//!
//! A record's reference is its id enciphered with Blowfish (a 64-bit block
//! cipher, so a keyed permutation of 64-bit numbers) under a key the
//! database itself keeps (`meta.public_ref_key`, drawn by the migration that
//! introduced it). Without the key a reference says nothing: not the id, not
//! the order records came in, nor which records came together. And it needs
//! neither a column nor a unique index of its own: a random reference stored
//! per row cost every inserted record a random B-tree leaf, half of the
//! time a million-row import spent applying its rows.
//!
//! Records written before that migration keep the random reference stored
//! in their `public_ref` column (it may have been handed out already); a
//! stored reference is looked up first, and a record that has one is never
//! reached by its enciphered id.

use blowfish::cipher::generic_array::GenericArray;
use blowfish::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use blowfish::Blowfish;

use crate::StoreError;

/// The `meta` key that holds the cipher key, as hex.
pub(crate) const KEY_NAME: &str = "public_ref_key";

/// Finds a record by a public reference (`$1`) and the id it enciphers
/// (`$2`, 0 when it enciphers none): the record that stores that
/// reference, else the one with that id that stores none.
pub(crate) const FIND_BY_PUBLIC_REF: &str =
    "WHERE public_ref = $1 OR (public_ref IS NULL AND id = $2) ORDER BY public_ref IS NULL LIMIT 1";

/// Turns record ids into public references and back.
#[derive(Clone)]
pub struct PublicRefs(Blowfish);

impl std::fmt::Debug for PublicRefs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PublicRefs(…)")
    }
}

impl PublicRefs {
    /// The cipher under a key stored as hex (16 to 56 bytes).
    pub fn from_hex_key(hex_key: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::Corrupt(format!("meta.{KEY_NAME}: {why}"));
        let key = hex::decode(hex_key.trim()).map_err(|_| bad("not hex"))?;
        if !(16..=56).contains(&key.len()) {
            return Err(bad("not 16 to 56 bytes"));
        }
        Blowfish::new_from_slice(&key).map(PublicRefs).map_err(|_| bad("refused by the cipher"))
    }

    /// The reference of record `id`: 16 lowercase hex digits.
    pub fn of(&self, id: i64) -> String {
        let mut block = GenericArray::from((id as u64).to_be_bytes());
        self.0.encrypt_block(&mut block);
        hex::encode(block)
    }

    /// The record id a reference enciphers, if it is one at all (16 hex
    /// digits standing for a positive id).
    pub fn id_of(&self, public_ref: &str) -> Option<i64> {
        if public_ref.len() != 16 {
            return None;
        }
        let mut bytes = [0u8; 8];
        hex::decode_to_slice(public_ref, &mut bytes).ok()?;
        let mut block = GenericArray::from(bytes);
        self.0.decrypt_block(&mut block);
        let id = u64::from_be_bytes(block.into());
        i64::try_from(id).ok().filter(|&id| id > 0)
    }

    /// A record's reference: the one stored with it if it has one.
    pub fn resolve(&self, id: i64, stored: Option<String>) -> String {
        stored.unwrap_or_else(|| self.of(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::RecordInput;

    fn refs(key: &str) -> PublicRefs {
        PublicRefs::from_hex_key(key).unwrap()
    }

    #[test]
    fn a_reference_leads_back_to_its_record_and_only_there() {
        let r = refs("00112233445566778899aabbccddeeff");
        for id in [1i64, 2, 3, 999_999, 1_000_000, i64::MAX] {
            let public = r.of(id);
            assert_eq!(public.len(), 16);
            assert!(public.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert_eq!(r.id_of(&public), Some(id), "{public}");
        }
        assert_eq!(r.id_of("not a reference!"), None);
        assert_eq!(r.id_of("0123"), None);
    }

    #[test]
    fn neighbouring_ids_get_unrelated_references_and_another_key_others() {
        let (a, b) = (refs("00112233445566778899aabbccddeeff"), refs("ffeeddccbbaa99887766554433221100"));
        let first: Vec<String> = (1..=1000).map(|id| a.of(id)).collect();
        let mut sorted = first.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 1000, "a permutation gives every id its own reference");
        assert_ne!(sorted, first, "references do not follow the order of ids");
        // No common prefix gives away that records came together.
        let shared = first.windows(2).filter(|w| w[0][..4] == w[1][..4]).count();
        assert!(shared < 5, "{shared} neighbours share a prefix");
        assert!((1..=1000).all(|id| a.of(id) != b.of(id)));
    }

    #[tokio::test]
    async fn stored_references_keep_their_records_and_new_records_get_enciphered_ones() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = crate::Store::scratch(dir.path()).await;
        let who = crate::audit::Entry::default();
        store
            .import("t", &[RecordInput::sample("T-1"), RecordInput::sample("T-2")], &who, &mut |_| {})
            .await
            .expect("import");
        let id = |ext: &'static str| {
            let store = store.clone();
            async move {
                sqlx::query_scalar::<_, i64>("SELECT id FROM records WHERE external_id = $1")
                    .bind(ext)
                    .fetch_one(&store.pool)
                    .await
                    .expect("id")
            }
        };
        let (old, new) = (id("T-1").await, id("T-2").await);
        // T-1 stands for a record written before references were enciphered.
        sqlx::query("UPDATE records SET public_ref = 'aaaabbbbccccdddd' WHERE id = $1")
            .bind(old)
            .execute(&store.pool)
            .await
            .expect("update");
        let refs = store.public_refs().clone();
        let found = |r: String| {
            let store = store.clone();
            async move {
                let by_id = store.record_id_by_public_ref(&r).await.expect("by ref");
                let record = store.record_by_public_ref(&r).await.expect("record by ref").map(|r| r.id);
                assert_eq!(by_id, record, "{r}");
                by_id
            }
        };
        assert_eq!(found("aaaabbbbccccdddd".into()).await, Some(old));
        assert_eq!(found(refs.of(new)).await, Some(new));
        assert_eq!(found(refs.of(old)).await, None, "a record with a stored reference has no other");
        assert_eq!(found(refs.of(new + 1000)).await, None);
        assert_eq!(found("ffffffffffffffff".into()).await, None);

        // Search hits and exports carry the same references.
        let docs = store.index_page(0, 10).await.expect("page");
        let of = |id: i64| docs.iter().find(|d| d.id == id as u64).and_then(|d| d.public_ref.clone());
        assert_eq!(of(old).as_deref(), Some("aaaabbbbccccdddd"));
        assert_eq!(of(new), Some(refs.of(new)));
        let public = store.public_columns_page(0, 10).await.expect("columns");
        assert!(public.iter().all(|p| p.public_ref == of(p.id)));

        // The key stays with the database.
        if let Some(file) = store.sqlite_file() {
            let again = crate::Store::open_sqlite(&file).await.expect("reopen");
            assert_eq!(again.public_refs().of(new), refs.of(new));
        }
    }

    #[test]
    fn a_damaged_key_is_refused() {
        assert!(PublicRefs::from_hex_key("zz").is_err());
        assert!(PublicRefs::from_hex_key("0011").is_err());
    }
}
