//! Password hashing (argon2id with the crate's defaults) and one-time passwords.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;

/// Shortest password a staff member may choose.
pub const MIN_LENGTH: usize = 12;

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
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
    fn one_time_passwords_are_long_and_random() {
        let a = generate_one_time();
        assert_eq!(a.len(), 20);
        assert_ne!(a, generate_one_time());
        assert!(weakness(&a, "ivan").is_none());
        assert_eq!(weakness("short", "ivan"), Some("staff.password.too_short"));
        assert_eq!(weakness("my-name-is-ivan-ok", "Ivan"), Some("staff.password.contains_name"));
    }
}
