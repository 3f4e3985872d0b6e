//! Text normalization shared by indexing and querying.
//!
//! Every name part goes through the same routine on both sides, so that a
//! record stored as "СОЛОВЬЁВ" and a query typed as "solovyov" or "Соловьев"
//! meet on the same keys. Three representations matter:
//!
//! * the *folded* form: lowercase, ё→е, apostrophes and accents dropped;
//! * the *skeleton*: a lossy Latin key onto which every transliteration
//!   system (ICAO, BGN/PCGN, Ukrainian national, informal typing) and
//!   Ukrainian spelling of the same name map;
//! * the *by-ear* key: the skeleton with unstressed-vowel confusions
//!   (akanye) and final devoicing folded, for names written as heard.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Which alphabet a token is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Cyrillic,
    Latin,
    Mixed,
}

/// Lowercases, folds ё→е and turns every way of writing a letter into one.
///
/// Unicode normalization (NFKC) runs first, so a letter typed decomposed
/// (Z + U+030C) meets the precomposed one (Ž), and full-width or ligature
/// forms from phone keyboards become plain letters. Then:
/// * the diacritic letters of the transliteration standards become the
///   plain spelling they stand for (ISO 9 / GOST 7.79 A `ž č š ŝ â û ë`,
///   ALA-LC `ĭ`, BS 2979 `ȳ`, ISO 9 (1968) `ė`), see [`diacritic_letter`];
/// * soft and hard signs written as primes, apostrophes or modifier letters
///   (`ʹ ʺ ' ’ \``) carry no identity of their own and are dropped;
/// * any other combining mark (stress accents, the ALA-LC tie bar U+0361 in
///   `i͡a`) is dropped, so the tie bar no longer splits a word in two.
pub fn fold(word: &str) -> String {
    // Most text (every stored name) is already normalized: skip the copy.
    if unicode_normalization::is_nfkc_quick(word.chars()) == unicode_normalization::IsNormalized::Yes {
        return fold_normalized(word.chars());
    }
    fold_normalized(word.nfkc())
}

fn fold_normalized(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    for c in chars {
        for l in c.to_lowercase() {
            if let Some(plain) = diacritic_letter(l) {
                out.push_str(plain);
            } else if l == 'ё' {
                out.push('е');
            } else if is_cyrillic(l) || l.is_ascii() {
                if !is_sign_mark(l) {
                    out.push(l);
                }
            } else if is_sign_mark(l) || is_combining_mark(l) {
                // no identity of its own
            } else {
                // Any other accented letter: its base letter.
                out.extend(std::iter::once(l).nfd().filter(|d| !is_combining_mark(*d)));
            }
        }
    }
    out
}

/// Soft and hard signs and apostrophes as the standards and people write
/// them: ASCII quotes, typographic quotes, primes and modifier letters.
fn is_sign_mark(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '`'
            | '’'
            | '‘'
            | '”'
            | '“'
            | '´'
            | 'ʹ'
            | 'ʺ'
            | 'ʼ'
            | 'ʻ'
            | 'ˈ'
            | 'ˊ'
            | 'ˋ'
            | '′'
            | '″'
            | 'ˮ'
    )
}

/// The plain Latin spelling of a letter the transliteration standards
/// write with a diacritic (lowercase, precomposed).
fn diacritic_letter(c: char) -> Option<&'static str> {
    Some(match c {
        // ж ч ш щ (ISO 9, GOST 7.79 A, GOST 16876, UNGEGN, the scientific scheme)
        'ž' | 'ẑ' => "zh",
        'č' | 'ĉ' => "ch",
        'š' => "sh",
        'ŝ' => "shch",
        // я ю ё є ї (ISO 9 1995 / GOST 7.79 A, Ukrainian ISO 9)
        'â' => "ya",
        'û' => "yu",
        'ë' => "yo",
        'ê' => "ye",
        'ï' => "yi",
        // й (ALA-LC ĭ, some ǐ), ы (BS 2979 ȳ), э (ISO 9 1968 ė, ISO 9 1995 è)
        'ĭ' | 'ǐ' => "y",
        'ȳ' => "y",
        'ė' | 'è' | 'é' | 'ĕ' | 'ē' => "e",
        // Ukrainian і (ISO 9 ì), ґ (g̀), Belarusian ў (ŭ)
        'ì' | 'í' | 'ī' => "i",
        'ŭ' | 'ú' | 'ù' | 'ū' => "u",
        'ý' => "y",
        _ => return None,
    })
}

pub fn is_cyrillic(c: char) -> bool {
    matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё' | 'і' | 'І' | 'ї' | 'Ї' | 'є' | 'Є' | 'ґ' | 'Ґ' | 'ў' | 'Ў')
}

pub fn script_of(word: &str) -> Script {
    let (mut cyr, mut lat) = (false, false);
    for c in word.chars() {
        if is_cyrillic(c) {
            cyr = true;
        } else if c.is_ascii_alphabetic() {
            lat = true;
        }
    }
    match (cyr, lat) {
        (true, false) => Script::Cyrillic,
        (false, true) => Script::Latin,
        _ => Script::Mixed,
    }
}

/// Splits free text into folded name words: letters kept (apostrophes
/// dropped inside a word), everything else a separator.
pub fn words(text: &str) -> Vec<String> {
    // Fold first (it drops apostrophes), so splitting sees final letters.
    fold(text).split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Cyrillic → a rich Latin spelling, fed to [`latin_skeleton`] so that both
/// scripts share one set of rules.
fn cyrillic_to_latin(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Ukrainian ьо / йо spell the sound Russian writes ё.
        if (c == 'ь' || c == 'й') && next == Some('о') {
            out.push_str("yo");
            i += 2;
            continue;
        }
        let s = match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'ґ' => "g",
            'д' => "d",
            'е' | 'ё' => "e",
            'є' => "ye",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'і' => "i",
            'ї' => "yi",
            'й' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' | 'ў' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ъ' | 'ь' => "",
            'ы' => "y",
            'э' => "e",
            'ю' => "yu",
            'я' => "ya",
            '-' => "",
            other if other.is_ascii_alphabetic() => {
                out.push(other);
                i += 1;
                continue;
            }
            _ => "",
        };
        out.push_str(s);
        i += 1;
    }
    out
}

/// Maps a Latin spelling onto the transliteration-independent skeleton.
///
/// Multi-letter spellings become one symbol (capitals are internal symbols:
/// `S` щ, `W` ш, `C` ч, `Z` ж), then single letters that systems disagree
/// on are merged, then vowel pairs that differ only by an iotation marker,
/// and finally doubled letters collapse.
fn latin_skeleton(word: &str) -> String {
    let b: Vec<char> = word.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let mut s: Vec<char> = Vec::with_capacity(b.len());
    let mut i = 0;
    // Patterns are ASCII and so is `b`: compared in place, without a
    // vector per letter (this runs for every name word of an import).
    let starts = |i: usize, pat: &str| -> bool {
        b.len() >= i + pat.len() && b[i..].iter().zip(pat.bytes()).all(|(&c, p)| c as u32 == u32::from(p))
    };
    let vowel = |c: Option<&char>| c.is_some_and(|c| "aeiouy".contains(*c));
    while i < b.len() {
        // ICAO Doc 9303 writes ъ as "ie" before an iotated vowel (Podieiachev).
        if starts(i, "iei") {
            i += 2;
            continue;
        }
        // GOST 16876 (table 2) writes э as "eh": at the start of a word or
        // after a vowel, before a consonant (Ehrnest, Rafaehl').
        if starts(i, "eh") && (i == 0 || vowel(b.get(i - 1))) && b.get(i + 2).is_some() && !vowel(b.get(i + 2)) {
            s.push('e');
            i += 2;
            continue;
        }
        let (sym, len): (&str, usize) = if starts(i, "shch") {
            ("S", 4)
        } else if starts(i, "tsch") {
            ("C", 4)
        } else if starts(i, "sch") || starts(i, "shh") {
            ("S", 3)
        } else if starts(i, "tch") {
            ("C", 3)
        } else if starts(i, "ch") {
            ("C", 2)
        } else if starts(i, "sh") {
            ("W", 2)
        } else if starts(i, "zh") {
            ("Z", 2)
        } else if starts(i, "kh") {
            ("h", 2)
        } else if starts(i, "ts") || starts(i, "tz") || starts(i, "cz") || starts(i, "tc") {
            // ц: ts (most), tz (German), cz (GOST 7.79 B), tc (GOST 52535)
            ("c", 2)
        } else if starts(i, "ph") {
            ("f", 2)
        } else if starts(i, "ck") {
            ("k", 2)
        } else {
            let c = b[i];
            let m = match c {
                'g' | 'h' => "h",
                'y' | 'j' => "i",
                'x' if i == 0 => "h",
                'x' => "ks",
                'w' => "v",
                'q' => "k",
                'c' => "c",
                _ => {
                    s.push(c);
                    i += 1;
                    continue;
                }
            };
            (m, 1)
        };
        s.extend(sym.chars());
        i += len;
    }
    // "c" followed by k-like context is a hard k in Western spellings (Jacob).
    let mut merged: Vec<char> = Vec::with_capacity(s.len());
    let mut j = 0;
    while j < s.len() {
        let c = s[j];
        let next = s.get(j + 1).copied();
        // ie/io/ye/yo: an iotated vowel (е, ё, є) spelled with a marker.
        if c == 'i' && matches!(next, Some('e') | Some('o')) && j + 1 < s.len() {
            // keep a real i before e only at the very start? No: merge always,
            // both sides go through the same rule.
            merged.push('e');
            j += 2;
            continue;
        }
        merged.push(c);
        j += 1;
    }
    merged.dedup();
    merged.into_iter().collect()
}

/// A plain Latin spelling (BGN-like for Cyrillic, as typed for Latin): the
/// form a typo in a Latin query is closest to, before the skeleton merges
/// vowels and letters and so can stretch one slip into two.
pub fn plain_latin(folded: &str) -> String {
    match script_of(folded) {
        Script::Latin => folded.chars().filter(char::is_ascii_alphabetic).collect(),
        _ => cyrillic_to_latin(folded),
    }
}

/// The transliteration-independent key of one folded word in any script.
pub fn skeleton(folded: &str) -> String {
    match script_of(folded) {
        Script::Latin => latin_skeleton(folded),
        _ => latin_skeleton(&cyrillic_to_latin(folded)),
    }
}

/// The by-ear key: skeleton with о/а merged (akanye), е/и merged (ikanye)
/// and final consonants devoiced, for names written down as heard.
pub fn by_ear(skel: &str) -> String {
    let mut v: Vec<char> = skel
        .chars()
        .map(|c| match c {
            'o' => 'a',
            'e' => 'i',
            _ => c,
        })
        .collect();
    if let Some(last) = v.last_mut() {
        *last = match *last {
            'v' => 'f',
            'd' => 't',
            'b' => 'p',
            'z' => 's',
            'Z' => 'W',
            other => other,
        };
    }
    v.dedup();
    v.into_iter().collect()
}

/// Strips trailing vowels: the common stem of a name and the patronymic
/// built from it (Никита / Никитич, Сергей / Сергеевич).
pub fn trim_vowels(skel: &str) -> &str {
    skel.trim_end_matches(['a', 'e', 'i', 'o', 'u'])
}

/// How plausible a folded Latin word is as a transliterated name: names
/// alternate vowels and consonants; wrong-layout gibberish ("ltybcjd") has
/// long consonant runs and letters transliteration never produces together.
pub fn latin_plausibility(word: &str) -> f32 {
    let chars: Vec<char> = word.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let vowels = chars.iter().filter(|&&c| is_vowel(c)).count();
    let mut run = 0;
    let mut max_run = 0;
    for &c in &chars {
        if is_vowel(c) {
            run = 0;
        } else {
            run += 1;
            max_run = max_run.max(run);
        }
    }
    let ratio = vowels as f32 / chars.len() as f32;
    let mut score = 1.0;
    if ratio < 0.25 {
        score -= 0.5;
    }
    if max_run >= 4 {
        score -= 0.4;
    }
    if chars.iter().any(|c| !c.is_ascii_alphabetic()) {
        score -= 0.6;
    }
    // Letter pairs no transliteration of a Russian name produces.
    for pair in
        ["jd", "jh", "bd", "dj", "fy", "yj", "wq", "qx", "lb", "vb", "hj", "yy", "jj", "jb", "gk", "bj", "tj", "rj"]
    {
        if word.contains(pair) {
            score -= 0.3;
        }
    }
    score
}

/// Cyrillic plausibility: wrong layout the other way round, or a keyboard
/// smash, produces runs such as "ыфв" that no name has.
pub fn cyrillic_plausibility(word: &str) -> f32 {
    let chars: Vec<char> = word.chars().collect();
    if chars.is_empty() {
        return 0.0;
    }
    let vowels = chars.iter().filter(|c| "аеиоуыэюяіїє".contains(**c)).count();
    let mut score = 1.0;
    if (vowels as f32) / (chars.len() as f32) < 0.2 {
        score -= 0.5;
    }
    let mut run = 0;
    for c in &chars {
        run = if "аеиоуыэюяіїєьъй".contains(*c) { 0 } else { run + 1 };
        if run >= 4 {
            score -= 0.5;
            break;
        }
    }
    if chars.first().is_some_and(|c| "ьъы".contains(*c)) {
        score -= 0.5;
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(s: &str) -> String {
        skeleton(&fold(s))
    }

    #[test]
    fn fold_handles_case_yo_and_apostrophes() {
        assert_eq!(fold("СОЛОВЬЁВ"), "соловьев");
        assert_eq!(fold("Мар'яна"), "маряна");
        assert_eq!(fold("O’Brien"), "obrien");
    }

    #[test]
    fn transliteration_systems_meet() {
        // ICAO (passport), BGN/PCGN, informal, Ukrainian national system.
        let cases = [
            ("Щербаков", &["Shcherbakov", "Scherbakov", "Shherbakov"][..]),
            ("Соловьёв", &["Solovev", "Solovyov", "Solovyev", "Soloviev"][..]),
            ("Юрий", &["Iurii", "Yuriy", "Yurij", "Jurij", "Yuri"][..]),
            ("Цветков", &["Tsvetkov", "Cvetkov", "Tzvetkov"][..]),
            ("Жуков", &["Zhukov"][..]),
            ("Харитонов", &["Kharitonov", "Haritonov"][..]),
            ("Алексей", &["Aleksei", "Aleksey", "Alexey", "Alexei"][..]),
            ("Евгений", &["Evgenii", "Yevgeniy", "Evgeniy", "Jevgenij"][..]),
            ("Фёдор", &["Fedor", "Fyodor", "Fiodor"][..]),
            ("Наталья", &["Natalya", "Natalia", "Natal'ya", "Natalja"][..]),
            ("Чернышёв", &["Chernyshev", "Chernyshyov", "Tchernyshev"][..]),
            ("Быков", &["Bykov", "Bikov"][..]),
        ];
        for (cyr, latins) in cases {
            for lat in latins {
                assert_eq!(sk(cyr), sk(lat), "{cyr} vs {lat}");
            }
        }
    }

    #[test]
    fn ukrainian_spelling_meets_russian() {
        assert_eq!(sk("Іванов"), sk("Иванов"));
        assert_eq!(sk("Григорій"), sk("Hryhorii"));
        assert_eq!(sk("Гончаренко"), sk("Honcharenko"));
        assert_eq!(sk("Гончаренко"), sk("Goncharenko"));
        assert_eq!(sk("Соловйов"), sk("Соловьёв"));
        assert_eq!(sk("Ковальський"), sk("Ковальский"));
        assert_eq!(sk("Єгоров"), sk("Егоров"));
        assert_eq!(sk("Yehorov"), sk("Egorov"));
    }

    #[test]
    fn doubled_letters_collapse() {
        assert_eq!(sk("Ивaнoфф"), sk("Иванофф"));
        assert_eq!(sk("Kassimov"), sk("Касимов"));
        assert_eq!(sk("Аввакумов"), sk("Авакумов"));
    }

    #[test]
    fn by_ear_merges_akanye_and_devoicing() {
        assert_eq!(by_ear(&sk("Каваленко")), by_ear(&sk("Коваленко")));
        assert_eq!(by_ear(&sk("Иванов")), by_ear(&sk("Ivanoff")));
    }

    #[test]
    fn gibberish_from_the_wrong_layout_is_implausible() {
        assert!(latin_plausibility("bdfyjd") < 0.5);
        assert!(latin_plausibility("ivanov") > 0.9);
        assert!(latin_plausibility("shcherbakov") > 0.5);
    }

    #[test]
    fn words_split_messy_input() {
        assert_eq!(words("  ИВАНОВ,  Пётр;Сергеевич "), vec!["иванов", "петр", "сергеевич"]);
        assert_eq!(words("Петров-Водкин"), vec!["петров", "водкин"]);
    }
}
