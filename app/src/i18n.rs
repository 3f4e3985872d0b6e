//! Translations: one `key = value` file per language under `assets/i18n/`,
//! compiled in so pages render without any request for strings.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Ru,
    Uk,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Ru, Lang::Uk, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Uk => "uk",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Ru => "Русский",
            Lang::Uk => "Українська",
            Lang::En => "English",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2)?.to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "uk" | "ua" => Some(Lang::Uk),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Ru => include_str!("../../assets/i18n/ru.txt"),
            Lang::Uk => include_str!("../../assets/i18n/uk.txt"),
            Lang::En => include_str!("../../assets/i18n/en.txt"),
        }
    }
}

/// Parses `key = value` lines; `#` starts a comment line; `\n` in a value is a line break.
pub fn parse(source: &str) -> HashMap<&str, String> {
    source
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim().replace("\\n", "\n")))
        .collect()
}

fn table(lang: Lang) -> &'static HashMap<&'static str, String> {
    static TABLES: OnceLock<[HashMap<&'static str, String>; 3]> = OnceLock::new();
    let all = TABLES.get_or_init(|| Lang::ALL.map(|l| parse(l.source())));
    &all[lang as usize]
}

/// The text for `key` in `lang`, falling back to Russian, then to the key
/// itself (a missing key is caught by a unit test, not shown to people).
pub fn t(lang: Lang, key: &str) -> String {
    table(lang).get(key).or_else(|| table(Lang::Ru).get(key)).cloned().unwrap_or_else(|| key.to_string())
}

/// Whether the Russian (reference) file defines `key`; for tests of code
/// that names keys.
pub fn has_key(key: &str) -> bool {
    table(Lang::Ru).contains_key(key)
}

/// Literal translation keys named in Rust source (`"staff.login.title"`):
/// quoted words with a dot, of the key families the files define.
pub fn keys_in_source(src: &str) -> Vec<String> {
    const FAMILIES: [&str; 12] = [
        "site.",
        "nav.",
        "demo.",
        "footer.",
        "search.",
        "home.",
        "notfound.",
        "staff.",
        "field.",
        "status.",
        "role.",
        "level.",
    ];
    src.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| FAMILIES.iter().any(|f| s.starts_with(f)))
        .filter(|s| {
            !s.ends_with('.') && s.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_' || c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

/// [`t`] with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let mut s = t(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_key() {
        let ru = parse(Lang::Ru.source());
        assert!(ru.len() > 30);
        for lang in [Lang::Uk, Lang::En] {
            let other = parse(lang.source());
            for key in ru.keys() {
                assert!(other.contains_key(key), "{} lacks {key}", lang.code());
            }
            for key in other.keys() {
                assert!(ru.contains_key(key), "{} has unknown {key}", lang.code());
            }
        }
    }

    #[test]
    fn every_key_the_pages_use_is_translated() {
        let sources = [
            include_str!("components.rs"),
            include_str!("backend.rs"),
            include_str!("pages/home.rs"),
            include_str!("pages/search.rs"),
            include_str!("pages/not_found.rs"),
            include_str!("lib.rs"),
            include_str!("staff.rs"),
            include_str!("request.rs"),
        ];
        let keys: Vec<String> = sources.iter().flat_map(|s| keys_in_source(s)).collect();
        assert!(keys.len() > 40, "the scan finds the keys ({})", keys.len());
        for k in keys {
            assert!(has_key(&k), "missing translation {k}");
        }
    }

    #[test]
    fn language_codes_round_trip() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_code(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("uk-UA"), Some(Lang::Uk));
        assert_eq!(Lang::from_code("de"), None);
    }
}
