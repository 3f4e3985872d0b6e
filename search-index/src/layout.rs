//! Keyboard layouts: a name typed with the wrong layout active.
//!
//! The Russian and Ukrainian ЙЦУКЕН layouts sit on the US QWERTY keys, so a
//! name typed with the wrong one active comes out as the letters of the
//! other layout on the same keys. Both ways are undone: Cyrillic meant but
//! typed on the Latin layout ("Bdfyjd" for Иванов, Shift symbols included:
//! `{` Х, `<` Б, `"` Э, `:` Ж), and Latin meant but typed on the Cyrillic
//! layout ("Шмфтщм" for Ivanov).

/// One key: its unshifted US character, and the Russian and Ukrainian
/// letters on it (`None`: not a letter in that layout).
struct Key {
    latin: char,
    russian: Option<char>,
    ukrainian: Option<char>,
}

const fn key(latin: char, russian: char, ukrainian: char) -> Key {
    Key { latin, russian: Some(russian), ukrainian: Some(ukrainian) }
}

/// The letter keys of both ЙЦУКЕН layouts. They differ on four keys: ы/і,
/// ъ/ї, э/є, and ё/apostrophe; Ukrainian ґ sits on the backslash key.
const KEYS: &[Key] = &[
    key('q', 'й', 'й'),
    key('w', 'ц', 'ц'),
    key('e', 'у', 'у'),
    key('r', 'к', 'к'),
    key('t', 'е', 'е'),
    key('y', 'н', 'н'),
    key('u', 'г', 'г'),
    key('i', 'ш', 'ш'),
    key('o', 'щ', 'щ'),
    key('p', 'з', 'з'),
    key('[', 'х', 'х'),
    key(']', 'ъ', 'ї'),
    key('a', 'ф', 'ф'),
    key('s', 'ы', 'і'),
    key('d', 'в', 'в'),
    key('f', 'а', 'а'),
    key('g', 'п', 'п'),
    key('h', 'р', 'р'),
    key('j', 'о', 'о'),
    key('k', 'л', 'л'),
    key('l', 'д', 'д'),
    key(';', 'ж', 'ж'),
    key('\'', 'э', 'є'),
    key('z', 'я', 'я'),
    key('x', 'ч', 'ч'),
    key('c', 'с', 'с'),
    key('v', 'м', 'м'),
    key('b', 'и', 'и'),
    key('n', 'т', 'т'),
    key('m', 'ь', 'ь'),
    key(',', 'б', 'б'),
    key('.', 'ю', 'ю'),
    Key { latin: '`', russian: Some('ё'), ukrainian: Some('\'') },
    Key { latin: '\\', russian: None, ukrainian: Some('ґ') },
];

/// What Shift gives on the US layout, mapped back to the unshifted key
/// (and the typographic angle quotes some phones substitute for `<` `>`).
fn unshift(c: char) -> char {
    match c {
        '{' => '[',
        '}' => ']',
        ':' => ';',
        '"' | '“' | '”' => '\'',
        '<' | '‹' | '«' => ',',
        '>' | '›' | '»' => '.',
        '~' => '`',
        '|' => '\\',
        other => other.to_ascii_lowercase(),
    }
}

/// The two Cyrillic layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Russian,
    Ukrainian,
}

impl Layout {
    fn letter(self, k: &Key) -> Option<char> {
        match self {
            Layout::Russian => k.russian,
            Layout::Ukrainian => k.ukrainian,
        }
    }
}

/// The Cyrillic letters on the keys of a chunk typed with the Latin layout
/// on; `None` if it holds anything that is not on those keys.
pub fn latin_keys_to_cyrillic(raw: &str, layout: Layout) -> Option<String> {
    raw.chars()
        .map(|c| {
            let c = unshift(c);
            KEYS.iter().find(|k| k.latin == c).and_then(|k| layout.letter(k))
        })
        .collect()
}

/// The Latin letters on the keys of a word typed with a Cyrillic layout on
/// when a Latin spelling was meant; `None` unless every letter sits on a
/// Latin letter key (х ъ ж э б ю ё are punctuation there).
pub fn cyrillic_keys_to_latin(word: &str) -> Option<String> {
    word.chars()
        .map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            KEYS.iter()
                .find(|k| k.russian == Some(c) || k.ukrainian == Some(c))
                .map(|k| k.latin)
                .filter(char::is_ascii_alphabetic)
        })
        .collect()
}

/// Every reading of a Latin-layout chunk in both layouts, without repeats.
pub fn cyrillic_readings(raw: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for layout in [Layout::Russian, Layout::Ukrainian] {
        if let Some(r) = latin_keys_to_cyrillic(raw, layout) {
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru(s: &str) -> Option<String> {
        latin_keys_to_cyrillic(s, Layout::Russian)
    }

    #[test]
    fn russian_layout_with_shift_symbols() {
        assert_eq!(ru("Bdfyjd").as_deref(), Some("иванов"));
        assert_eq!(ru(",jhbc").as_deref(), Some("борис"));
        assert_eq!(ru("'lefhl").as_deref(), Some("эдуард"));
        // Shift on the same keys: Х, Б, Э, Ж, Ю, Ъ, Ё.
        assert_eq!(ru("{kspjd").as_deref(), Some("хлызов"));
        assert_eq!(ru("<fhfyjd").as_deref(), Some("баранов"));
        assert_eq!(ru("‹fhfyjd").as_deref(), Some("баранов"));
        assert_eq!(ru("\"lefhl").as_deref(), Some("эдуард"));
        assert_eq!(ru(":erjd").as_deref(), Some("жуков"));
        assert_eq!(ru(">hbq").as_deref(), Some("юрий"));
        assert_eq!(ru("Gfha~y").as_deref(), Some("парфён"));
        assert_eq!(ru("Ghj[jh").as_deref(), Some("прохор"));
        assert_eq!(ru("Ivan!"), None);
    }

    #[test]
    fn ukrainian_layout_has_its_own_letters() {
        let uk = |s: &str| latin_keys_to_cyrillic(s, Layout::Ukrainian);
        assert_eq!(uk("Uhbujhsq").as_deref(), Some("григорій"));
        assert_eq!(uk("Ajvf").as_deref(), Some("фома"));
        assert_eq!(uk("'duty").as_deref(), Some("євген"));
        assert_eq!(uk("]duf").as_deref(), Some("ївга"));
        assert_eq!(uk("\\fkfnf").as_deref(), Some("ґалата"));
        assert_eq!(ru("\\fkfnf"), None);
        assert_eq!(cyrillic_readings("Uhbujhsq"), vec!["григорый".to_string(), "григорій".to_string()]);
        assert_eq!(cyrillic_readings("Bdfyjd"), vec!["иванов".to_string()]);
    }

    #[test]
    fn latin_typed_on_a_cyrillic_layout() {
        assert_eq!(cyrillic_keys_to_latin("Шмфтщм").as_deref(), Some("ivanov"));
        assert_eq!(cyrillic_keys_to_latin("Ыфырф").as_deref(), Some("sasha"));
        // Б is the comma key: no Latin name has it.
        assert_eq!(cyrillic_keys_to_latin("Борис"), None);
    }
}
