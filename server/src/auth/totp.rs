//! TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s) with replay refusal:
//! the caller stores the accepted time step and no step is accepted twice.

use qrcode::render::svg;
use qrcode::QrCode;
use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "findkin";
const STEP: u64 = 30;

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP, bytes, Some(ISSUER.to_string()), account.to_string()).ok()
}

/// A fresh random secret, base32.
pub fn new_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn provisioning_uri(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The QR code of the provisioning URI as an SVG image.
pub fn qr_svg(secret_b32: &str, account: &str) -> Option<String> {
    let uri = provisioning_uri(secret_b32, account)?;
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(code.render::<svg::Color>().min_dimensions(220, 220).quiet_zone(true).build())
}

/// The code for a time (seconds since the epoch); for tests and demos.
pub fn code_at(secret_b32: &str, unix: u64) -> Option<String> {
    totp(secret_b32, "x").map(|t| t.generate(unix))
}

/// Checks `code` at time `unix`, allowing one step of clock drift either
/// way. Returns the matched time step if it is newer than `last_step`.
pub fn verify(secret_b32: &str, code: &str, unix: u64, last_step: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret_b32, "x")?;
    let now = (unix / STEP) as i64;
    (now - 1..=now + 1).find(|&step| step > last_step && t.generate(step as u64 * STEP) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_verify_once() {
        let s = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&s, now).unwrap();
        let step = verify(&s, &code, now, 0).expect("fresh code accepted");
        assert_eq!(verify(&s, &code, now, step), None, "replay refused");
        assert_eq!(verify(&s, "000000x", now, 0), None);
        let late = code_at(&s, now + 30).unwrap();
        assert!(verify(&s, &late, now, step).is_some(), "next step accepted (drift)");
        assert_eq!(verify(&s, &code_at(&s, now - 300).unwrap(), now, 0), None, "old code refused");
    }

    #[test]
    fn qr_is_svg() {
        let s = new_secret();
        let svg = qr_svg(&s, "moderator1").unwrap();
        assert!(svg.starts_with("<?xml") || svg.contains("<svg"));
        assert!(provisioning_uri(&s, "moderator1").unwrap().starts_with("otpauth://totp/"));
    }
}
