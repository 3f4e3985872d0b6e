//! Case forms: "ищу Иванова Сергея Петровича", "сыну Петрову Ивану",
//! "с Пальговым Афанасием Василовичем". A relative writes the name in the
//! case her sentence needs; the registry holds the nominative.
//!
//! The rules are the endings of Russian and Ukrainian nominal declension
//! (nouns, possessive -ов/-ин surnames, adjectival -ский/-ой surnames,
//! patronymics, masculine and feminine), read backwards: an oblique ending
//! is replaced by each nominative ending it can come from. A word yields a
//! handful of candidate nominatives; a candidate counts only when it is,
//! letter for letter (or by transliteration or the given-name dictionary),
//! a name part of the record. Nothing here measures distance.
//!
//! [`EXCEPTIONS`] is the reviewed list for the forms no ending rule reaches.

/// Oblique ending → the nominative endings it may come from. Longer endings
/// are listed with the shorter ones they contain; every matching rule
/// applies, and candidates are deduplicated.
const ENDINGS: &[(&str, &[&str])] = &[
    // Adjectival surnames (Саранский, Толстой, Белый; Ukrainian -ський).
    ("ого", &["ий", "ой", "ый"]),
    ("его", &["ий"]),
    ("ому", &["ий", "ой", "ый"]),
    ("ему", &["ий"]),
    ("ым", &["ый", "ой", ""]),
    ("им", &["ий", ""]),
    // Feminine adjectival and possessive surnames (Саранская, Иванова),
    // feminine names and patronymics (Анна, Сергеевна).
    ("ой", &["а", "ая"]),
    ("ою", &["а", "ая"]),
    ("ую", &["ая"]),
    ("ей", &["я", "а", "ь"]),
    ("ею", &["я", "а"]),
    // Nouns, possessive surnames and patronymics, masculine.
    ("ом", &["", "о", "ой", "ий"]),
    ("ем", &["", "ь", "й", "ий"]),
    ("а", &["", "ь", "о"]),
    ("я", &["ь", "й"]),
    ("у", &["", "а", "о"]),
    ("ю", &["ь", "й", "я"]),
    ("е", &["", "а", "я", "ь", "й"]),
    ("ы", &["а"]),
    ("и", &["а", "я", "ь", "й"]),
    // -ей nouns (Соловей, Муравей): the е drops before an ending.
    ("ья", &["ей"]),
    ("ью", &["ей"]),
    ("ьем", &["ей"]),
    ("ье", &["ей"]),
    // Ukrainian: Іванові, Петренкові, Ігореві, Андрієві; Ганні, Марії;
    // Ковальської, Ковальській; Марією.
    ("ові", &["", "о", "а"]),
    ("еві", &["", "ь", "й"]),
    ("єві", &["й"]),
    ("єм", &["й"]),
    ("і", &["а", "я", "ь"]),
    ("ї", &["я"]),
    ("ої", &["а"]),
    ("ій", &["а"]),
    ("єю", &["я"]),
];

/// Reviewed forms that no ending rule reaches: (form, nominative).
const EXCEPTIONS: &[(&str, &str)] = &[("петра", "петр"), ("петре", "петро"), ("льва", "лев"), ("павла", "павел")];

const VOWELS: &str = "аеиоуыэюяіїє";

fn is_consonant(c: char) -> bool {
    c.is_alphabetic() && !VOWELS.contains(c) && c != 'ь' && c != 'ъ' && c != 'й'
}

/// The fleeting vowel of -ец, -ок, -ек, -ень, -ел, -ев (Гришковца →
/// Гришковец, Ропня → Ропень, Павла → Павел, Льва → Лев): the nominative
/// of a stem that ends in two consonants, or in ь and a consonant.
fn with_fleeting_vowel(stem: &str, ending: &str) -> Vec<String> {
    let chars: Vec<char> = stem.chars().collect();
    let n = chars.len();
    if n < 2 || !matches!(ending, "" | "ь") {
        return Vec::new();
    }
    let (a, b) = (chars[n - 2], chars[n - 1]);
    let head: String = chars[..n - 2].iter().collect();
    if !is_consonant(b) || !"цкнлвр".contains(b) {
        return Vec::new();
    }
    if a == 'ь' || a == 'й' {
        return vec![format!("{head}е{b}{ending}")];
    }
    if !is_consonant(a) {
        return Vec::new();
    }
    let mut out = vec![format!("{head}{a}е{b}{ending}")];
    if b == 'к' {
        out.push(format!("{head}{a}о{b}{ending}"));
    }
    out
}

/// Candidate nominatives of a folded Cyrillic word (without the word
/// itself). Words of fewer than four letters are left alone: their endings
/// are too often the name itself.
pub fn nominatives(word: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if s != word && !out.contains(&s) {
            out.push(s);
        }
    };
    if word.chars().count() < 4 || !word.chars().all(|c| super::normalize::is_cyrillic(c) || c == '-') {
        return out;
    }
    for (form, nominative) in EXCEPTIONS {
        if word == *form {
            push(nominative.to_string());
        }
    }
    for (ending, nominatives) in ENDINGS {
        let Some(stem) = word.strip_suffix(ending) else { continue };
        if stem.chars().count() < 2 {
            continue;
        }
        // A stem with no vowel (Льв-, Пс-) has lost its fleeting one.
        let whole = stem.chars().any(|c| VOWELS.contains(c));
        for nom in *nominatives {
            if whole {
                push(format!("{stem}{nom}"));
            }
            for f in with_fleeting_vowel(stem, nom) {
                push(f);
            }
        }
    }
    out
}

/// Words a relative writes around a name that are not part of it: what she
/// does (ищу), who he is to her (сын, брат, муж), his rank or status.
/// Set aside from the query, and the explanation says so.
const REQUEST_WORDS: &[&str] = &[
    // Russian
    "ищу",
    "ищем",
    "разыскиваю",
    "разыскиваем",
    "разыскивается",
    "разыскиваются",
    "помогите",
    "найти",
    "пропал",
    "пропавший",
    "пропавшего",
    "пропавшему",
    "пленный",
    "пленного",
    "погибший",
    "погибшего",
    "сын",
    "сына",
    "сыну",
    "сыном",
    "сынок",
    "брат",
    "брата",
    "брату",
    "братом",
    "муж",
    "мужа",
    "мужу",
    "мужем",
    "отец",
    "отца",
    "отцу",
    "папа",
    "папу",
    "внук",
    "внука",
    "внуку",
    "племянник",
    "племянника",
    "жених",
    "жениха",
    "дядя",
    "дядю",
    "мой",
    "моего",
    "моему",
    "моим",
    "мою",
    "наш",
    "нашего",
    "нашему",
    "рядовой",
    "рядового",
    "рядовому",
    "сержант",
    "сержанта",
    "младший",
    "младшего",
    "старший",
    "старшего",
    "ефрейтор",
    "ефрейтора",
    "лейтенант",
    "лейтенанта",
    "капитан",
    "капитана",
    "майор",
    "майора",
    "солдат",
    "солдата",
    "боец",
    "бойца",
    "военнослужащий",
    "военнослужащего",
    "мобилизованный",
    "мобилизованного",
    "контрактник",
    "контрактника",
    "мл",
    "ст",
    "гв",
    // Ukrainian
    "шукаю",
    "шукаємо",
    "розшукую",
    "розшукуємо",
    "допоможіть",
    "син",
    "сина",
    "сину",
    "чоловік",
    "чоловіка",
    "батько",
    "батька",
    "онук",
    "онука",
    "мій",
    "мого",
    "моєму",
    "рядовий",
    "рядового",
    "солдата",
    "військовослужбовець",
    "військовослужбовця",
    "мобілізований",
    "зниклий",
    "полонений",
    // English
    "looking",
    "searching",
    "search",
    "seeking",
    "for",
    "my",
    "son",
    "brother",
    "husband",
    "father",
    "private",
    "sergeant",
    "soldier",
    "corporal",
    "lieutenant",
    "missing",
];

/// Whether a folded word is a request word rather than part of a name.
pub fn is_request_word(folded: &str) -> bool {
    REQUEST_WORDS.contains(&folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    fn finds(form: &str, nominative: &str) -> bool {
        nominatives(&fold(form)).contains(&fold(nominative))
    }

    /// Every form of each row has the row's nominative among its candidates.
    fn check(table: &[(&str, &[&str])]) {
        for (nom, forms) in table {
            for form in *forms {
                assert!(finds(form, nom), "{form} → {nom}: {:?}", nominatives(&fold(form)));
            }
        }
    }

    #[test]
    fn masculine_surnames_names_and_patronymics_in_every_case() {
        let table = [
            ("Иванов", &["Иванова", "Иванову", "Ивановым", "Иванове"][..]),
            ("Ильин", &["Ильина", "Ильину", "Ильиным", "Ильине"]),
            ("Саранский", &["Саранского", "Саранскому", "Саранским", "Саранском"]),
            ("Толстой", &["Толстого", "Толстому", "Толстым", "Толстом"]),
            ("Хитрук", &["Хитрука", "Хитруку", "Хитруком", "Хитруке"]),
            ("Мицкевич", &["Мицкевича", "Мицкевичу", "Мицкевичем", "Мицкевиче"]),
            ("Вартанян", &["Вартаняна", "Вартаняну", "Вартаняном"]),
            ("Гоголь", &["Гоголя", "Гоголю", "Гоголем"]),
            ("Гришковец", &["Гришковца", "Гришковцу", "Гришковцом", "Гришковцем"]),
            ("Соловей", &["Соловья", "Соловью", "Соловьем"]),
            ("Ропень", &["Ропня", "Ропню", "Ропнем"]),
            ("Сергей", &["Сергея", "Сергею", "Сергеем", "Сергее"]),
            ("Григорий", &["Григория", "Григорию", "Григорием", "Григории"]),
            ("Афанасий", &["Афанасием"]),
            ("Игорь", &["Игоря", "Игорю", "Игорем", "Игоре"]),
            ("Никита", &["Никиты", "Никите", "Никиту", "Никитой", "Никитою"]),
            ("Илья", &["Ильи", "Илье", "Илью", "Ильей", "Ильёй"]),
            ("Павел", &["Павла", "Павлу", "Павлом"]),
            ("Лев", &["Льва", "Льву", "Львом"]),
            ("Сергеевич", &["Сергеевича", "Сергеевичу", "Сергеевичем", "Сергеевиче"]),
            ("Денисьевич", &["Денисьевича", "Денисьевичу"]),
        ];
        check(&table);
    }

    #[test]
    fn feminine_forms() {
        let table = [
            ("Иванова", &["Ивановой", "Иванову", "Ивановою"][..]),
            ("Саранская", &["Саранской", "Саранскую", "Саранскою"]),
            ("Анна", &["Анны", "Анне", "Анну", "Анной"]),
            ("Ольга", &["Ольги", "Ольге", "Ольгу", "Ольгой"]),
            ("Мария", &["Марии", "Марию", "Марией"]),
            ("Сергеевна", &["Сергеевны", "Сергеевне", "Сергеевну", "Сергеевной"]),
            ("Ильинична", &["Ильиничны", "Ильиничне"]),
        ];
        check(&table);
    }

    #[test]
    fn ukrainian_forms() {
        let table = [
            ("Петренко", &["Петренка", "Петренку", "Петренкові", "Петренком"][..]),
            ("Іван", &["Івана", "Іванові", "Іваном"]),
            ("Андрій", &["Андрія", "Андрію", "Андрієві", "Андрієм"]),
            ("Ковальський", &["Ковальського", "Ковальському", "Ковальським"]),
            ("Ковальська", &["Ковальської", "Ковальській", "Ковальську", "Ковальською"]),
            ("Ганна", &["Ганни", "Ганні", "Ганну", "Ганною"]),
            ("Марія", &["Марії", "Марію", "Марією"]),
            ("Іванівна", &["Іванівни", "Іванівні", "Іванівну", "Іванівною"]),
            ("Петрович", &["Петровича", "Петровичу", "Петровичем"]),
        ];
        check(&table);
    }

    #[test]
    fn short_words_and_latin_are_left_alone() {
        assert!(nominatives("ия").is_empty());
        assert!(nominatives("лев").is_empty());
        assert!(nominatives("ivanova").is_empty());
        // The word itself is never among its candidates.
        assert!(!nominatives("иванова").contains(&"иванова".to_string()));
    }

    #[test]
    fn request_words_are_recognised() {
        for w in ["ищу", "сына", "брат", "муж", "разыскивается", "рядовой", "сержант", "шукаю", "son"]
        {
            assert!(is_request_word(&fold(w)), "{w}");
        }
        for w in ["иванов", "сергей", "петровича"] {
            assert!(!is_request_word(w), "{w}");
        }
    }
}
