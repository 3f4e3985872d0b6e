//! Password hashing (argon2id with the crate's defaults) and one-time passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use std::sync::OnceLock;

/// Shortest password a staff member may choose.
pub const MIN_LENGTH: usize = 12;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A real hash of a random password, made once with the same parameters
/// as every stored hash: checking a name that does not exist costs the same
/// argon2 work as checking one that does.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&generate_one_time()).unwrap_or_default())
}

/// Checks `password` against an account's hash, or, when there is no
/// account, against the dummy hash (always refused) so the answer takes
/// as long either way.
pub fn verify_or_dummy(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(h) => verify(password, h),
        None => {
            let _ = verify(password, dummy_hash());
            false
        }
    }
}

/// A one-time password to hand over: 20 characters without look-alikes.
pub fn generate_one_time() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// Why a new password is refused, or `None` if it is acceptable.
pub fn weakness(password: &str, name: &str) -> Option<&'static str> {
    if password.chars().count() < MIN_LENGTH {
        return Some("staff.password.too_short");
    }
    if password.to_lowercase().contains(&name.to_lowercase()) {
        return Some("staff.password.contains_name");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let h = hash("correct horse battery").unwrap();
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong", &h));
        assert_ne!(h, hash("correct horse battery").unwrap());
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn a_missing_account_runs_argon2_on_a_valid_dummy_and_is_refused() {
        assert!(PasswordHash::new(dummy_hash()).is_ok(), "the dummy is a valid PHC string");
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify_or_dummy("anything", None));
        let h = hash("correct horse battery").unwrap();
        assert!(verify_or_dummy("correct horse battery", Some(&h)));
        assert!(!verify_or_dummy("wrong", Some(&h)));
    }

    #[test]
    fn one_time_passwords_are_long_and_random() {
        let a = generate_one_time();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_one_time());
        assert!(weakness(&a, "ivan").is_none());
        assert_eq!(weakness("short", "ivan"), Some("staff.password.too_short"));
        assert_eq!(weakness("my-name-is-ivan-ok", "Ivan"), Some("staff.password.contains_name"));
    }
}
