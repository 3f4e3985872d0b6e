//! Latin spellings that read some letters differently from the
//! English-style schemes the skeleton follows. A query word written that way
//! gets one more reading, in English-style spelling, beside its own.
//!
//! * GOST 7.79 B and informal typing write х as `x` ("Rixter", "Paxom"),
//!   where the English-style schemes mean кс ("Aleksandr" as "Alexandr").
//! * Telegram's scheme and informal typing write ж as `j` before a vowel
//!   ("Jeltyshev"), where ISO-style schemes mean й ("Jurin" for Юрин).
//! * French-style spelling (MVD 310 in French, old passports, French
//!   sources) writes у as `ou`, ч as `tch`, ш as `ch`, ж as `j`, дж as `dj`,
//!   г before e/i as `gu`, and a final -ин as `-ine` ("Poutine").

/// The `x` = х reading of a folded Latin word with an `x` after its first
/// letter (a leading x is already read as х by the skeleton).
pub fn x_as_kh(latin: &str) -> Option<String> {
    let mut chars = latin.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    rest.contains('x').then(|| format!("{first}{}", rest.replace('x', "kh")))
}

/// The `j` = ж reading of a folded Latin word with a `j` before a vowel.
pub fn j_as_zh(latin: &str) -> Option<String> {
    let b = latin.as_bytes();
    let vowel_after = |i: usize| matches!(b.get(i + 1), Some(b'a' | b'e' | b'i' | b'o' | b'u' | b'y'));
    let hits = (0..b.len()).any(|i| b[i] == b'j' && vowel_after(i));
    hits.then(|| {
        let mut out = String::with_capacity(latin.len() + 2);
        for (i, c) in latin.char_indices() {
            if c == 'j' && vowel_after(i) {
                out.push_str("zh");
            } else {
                out.push(c);
            }
        }
        out
    })
}

/// Whether a folded Latin word carries a mark only French-style spelling
/// makes: `ou`, `tch`, `dj`, `gu` before a front vowel, or a final `-ine`.
pub fn looks_french(latin: &str) -> bool {
    latin.contains("ou")
        || latin.contains("tch")
        || latin.contains("dj")
        || latin.contains("gue")
        || latin.contains("gui")
        || (latin.len() > 4 && latin.ends_with("ine"))
}

/// The English-style spelling of a French-style folded Latin word, if it
/// differs. Applied to every Latin word of a query that [`looks_french`]
/// anywhere, since one word gives the scheme away for the others
/// ("Evguen Gouralnik").
pub fn french_reading(latin: &str) -> Option<String> {
    let b = latin.as_bytes();
    let mut out = String::with_capacity(latin.len() + 4);
    let mut i = 0;
    while i < b.len() {
        let rest = &latin[i..];
        let (text, len) = if rest.starts_with("tch") {
            ("ch", 3)
        } else if rest.starts_with("dj") {
            ("dzh", 2)
        } else if rest.starts_with("ch") {
            ("sh", 2)
        } else if rest.starts_with("ou") {
            ("u", 2)
        } else if rest.starts_with("gu") && matches!(b.get(i + 2), Some(b'e' | b'i' | b'y')) {
            ("g", 2)
        } else if rest.starts_with('j') {
            ("zh", 1)
        } else {
            out.push(b[i] as char);
            i += 1;
            continue;
        };
        out.push_str(text);
        i += len;
    }
    if out.len() > 4 && out.ends_with("ine") {
        out.pop();
    }
    (out != latin).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{fold, skeleton};

    fn sk(s: &str) -> String {
        skeleton(&fold(s))
    }

    #[test]
    fn x_reads_as_kh_after_the_first_letter() {
        assert_eq!(x_as_kh("rixter").as_deref(), Some("rikhter"));
        assert_eq!(sk(&x_as_kh("moxammed").unwrap()), sk("Мохаммед"));
        assert_eq!(sk(&x_as_kh("paxom").unwrap()), sk("Пахом"));
        assert_eq!(x_as_kh("xasan"), None);
        assert_eq!(sk(&j_as_zh("jeltyshev").unwrap()), sk("Желтышев"));
        assert_eq!(sk(&j_as_zh("bajenov").unwrap()), sk("Баженов"));
        assert_eq!(j_as_zh("olejnikov"), None);
        assert_eq!(j_as_zh("ivanov"), None);
        assert_eq!(x_as_kh("ivanov"), None);
        // The default reading still holds for the English-style schemes.
        assert_eq!(sk("Alexandr"), sk("Александр"));
    }

    #[test]
    fn french_spellings_meet_the_cyrillic_name() {
        for (fr, cyr) in [
            ("chevtchenko", "Шевченко"),
            ("gaptchouk", "Гапчук"),
            ("naoumovitch", "Наумович"),
            ("zdounov", "Здунов"),
            ("evguen", "Евген"),
            ("gouralnik", "Гуральник"),
            ("baklagine", "Баклагин"),
            ("artour", "Артур"),
            ("djalil", "Джалил"),
            ("jukov", "Жуков"),
        ] {
            let reading = french_reading(fr).unwrap_or_else(|| fr.to_string());
            assert_eq!(sk(&reading), sk(cyr), "{fr} → {reading}");
        }
        assert!(looks_french("gaptchouk") && looks_french("baklagine") && looks_french("evguenii"));
        assert!(!looks_french("ivanov") && !looks_french("shevchenko") && !looks_french("marina"));
    }
}
