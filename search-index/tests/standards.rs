//! Every published Russian transliteration standard, each as its own
//! letter table, reaches the same key as the Cyrillic name.
//!
//! The tables are the standards' own (ISO 9 in its three editions, GOST
//! 7.79 A and B, GOST 16876 tables 1 and 2, GOST 52290, 52535 and 7034,
//! ALA-LC with and without diacritics, BGN/PCGN, BS 2979, UNGEGN 1987,
//! ICAO Doc 9303, MVD 310 in English and French, MVD 782, the scientific
//! scheme, and the Wikipedia, Yandex, Moscow metro and Telegram schemes).
//! The names are general ones chosen to use every letter; none comes from
//! an evaluation set. A name "reaches" the Cyrillic one when some reading
//! of the query word (as typed, `x` = х, `j` = ж, French-style) has the
//! same skeleton.

use findkin_search::normalize::{fold, skeleton};
use findkin_search::Query;

/// Letters every standard writes alike.
const COMMON: &[(char, &str)] = &[
    ('а', "a"),
    ('б', "b"),
    ('в', "v"),
    ('г', "g"),
    ('д', "d"),
    ('е', "e"),
    ('з', "z"),
    ('и', "i"),
    ('к', "k"),
    ('л', "l"),
    ('м', "m"),
    ('н', "n"),
    ('о', "o"),
    ('п', "p"),
    ('р', "r"),
    ('с', "s"),
    ('т', "t"),
    ('у', "u"),
    ('ф', "f"),
];

/// Names that between them use every letter of the Russian alphabet.
const NAMES: &[&str] = &[
    "Щербаков",
    "Жуков",
    "Чернышёв",
    "Хабибуллин",
    "Эдуард",
    "Цветков",
    "Ярослав",
    "Юлиан",
    "Фёдор",
    "Вячеслав",
    "Подъячев",
    "Воробьёв",
    "Соловьев",
    "Григорьевич",
    "Быков",
    "Зайцев",
    "Шамиль",
    "Евгений",
    "Дмитрий",
    "Кузьмич",
    "Эльдар",
    "Юрьевна",
    "Рустам",
    "Пётр",
    "Ильич",
    "Муравьёв",
    "Мухаммед",
];

/// Transliterates a Cyrillic name with a standard's table of the letters
/// the standards disagree on.
fn transliterate(name: &str, table: &[(char, &str)]) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        let lower = c.to_lowercase().next().unwrap_or(c);
        let latin = table.iter().chain(COMMON).find(|(k, _)| *k == lower).map(|(_, v)| *v).unwrap_or("?");
        if i == 0 {
            let mut cs = latin.chars();
            if let Some(f) = cs.next() {
                out.extend(f.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push_str(latin);
        }
    }
    out
}

/// Whether the first word of `latin` (followed by `context`, other words
/// of the same query) reaches the Cyrillic name.
fn reaches_in(latin: &str, context: &str, cyrillic: &str) -> bool {
    let want = skeleton(&fold(cyrillic));
    let Ok(q) = Query::parse(&format!("{latin} {context}"), None) else { return false };
    q.words.first().is_some_and(|w| w.forms.iter().any(|f| f.keys.skel == want))
}

fn reaches(latin: &str, cyrillic: &str) -> bool {
    reaches_in(latin, "", cyrillic)
}

fn check(standard: &str, table: &[(char, &str)]) {
    check_in(standard, table, "");
}

/// Checks every name; `context` is another word of the same query.
fn check_in(standard: &str, table: &[(char, &str)], context: &str) {
    let mut failed = Vec::new();
    for name in NAMES {
        let latin = transliterate(name, table);
        if !reaches_in(&latin, context, name) {
            failed.push(format!("{name} → {latin}"));
        }
    }
    assert!(failed.is_empty(), "{standard}: {failed:?}");
}

macro_rules! standard {
    ($test:ident, $name:literal, [$($c:literal => $l:literal),* $(,)?]) => {
        #[test]
        fn $test() {
            check($name, &[$(($c, $l)),*]);
        }
    };
}

standard!(iso_9_1995_gost_7_79_a, "ISO 9:1995 / GOST 7.79 A", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "ŝ",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "è", 'ю' => "û", 'я' => "â",
]);
standard!(gost_7_79_a_decomposed, "GOST 7.79 A, decomposed letters", [
    'ё' => "e\u{308}", 'ж' => "z\u{30c}", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "c\u{30c}",
    'ш' => "s\u{30c}", 'щ' => "s\u{302}", 'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "e\u{300}",
    'ю' => "u\u{302}", 'я' => "a\u{302}",
]);
standard!(gost_7_79_b, "GOST 7.79 B", [
    'ё' => "yo", 'ж' => "zh", 'й' => "j", 'х' => "x", 'ц' => "cz", 'ч' => "ch", 'ш' => "sh", 'щ' => "shh",
    'ъ' => "``", 'ы' => "y`", 'ь' => "`", 'э' => "e`", 'ю' => "yu", 'я' => "ya",
]);
standard!(iso_9_1968, "ISO/R 9:1968", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "šč",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "ė", 'ю' => "ju", 'я' => "ja",
]);
standard!(iso_9_1954, "ISO/R 9:1954", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "šč",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "ė", 'ю' => "ju", 'я' => "ja",
]);
standard!(gost_16876_table_1, "GOST 16876-71 table 1", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "ŝ",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "ė", 'ю' => "û", 'я' => "â",
]);
standard!(gost_16876_table_2, "GOST 16876-71 table 2", [
    'ё' => "jo", 'ж' => "zh", 'й' => "jj", 'х' => "kh", 'ц' => "c", 'ч' => "ch", 'ш' => "sh", 'щ' => "shh",
    'ъ' => "\"", 'ы' => "y", 'ь' => "'", 'э' => "eh", 'ю' => "ju", 'я' => "ja",
]);
standard!(gost_52290, "GOST R 52290-2004", [
    'ё' => "e", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "'", 'ы' => "y", 'ь' => "'", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(gost_52535, "GOST R 52535.1-2006", [
    'ё' => "e", 'ж' => "zh", 'й' => "i", 'х' => "kh", 'ц' => "tc", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "iu", 'я' => "ia",
]);
standard!(gost_7034, "GOST R 7.0.34-2014", [
    'ё' => "yo", 'ж' => "zh", 'й' => "j", 'х' => "x", 'ц' => "c", 'ч' => "ch", 'ш' => "sh", 'щ' => "shh",
    'ъ' => "''", 'ы' => "y'", 'ь' => "'", 'э' => "e'", 'ю' => "yu", 'я' => "ya",
]);
standard!(ala_lc, "ALA-LC", [
    'ё' => "ë", 'ж' => "zh", 'й' => "ĭ", 'х' => "kh", 'ц' => "t\u{361}s", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "ė", 'ю' => "i\u{361}u", 'я' => "i\u{361}a",
]);
standard!(ala_lc_plain, "ALA-LC without diacritics", [
    'ё' => "e", 'ж' => "zh", 'й' => "i", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "\"", 'ы' => "y", 'ь' => "'", 'э' => "e", 'ю' => "iu", 'я' => "ia",
]);
standard!(bgn_pcgn, "BGN/PCGN", [
    'ё' => "ë", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "”", 'ы' => "y", 'ь' => "’", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(bs_2979, "BS 2979", [
    'ё' => "ë", 'ж' => "zh", 'й' => "ĭ", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "ʺ", 'ы' => "ȳ", 'ь' => "ʹ", 'э' => "é", 'ю' => "yu", 'я' => "ya",
]);
standard!(ungegn_1987, "UNGEGN 1987", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "h", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "šč",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "è", 'ю' => "ju", 'я' => "ja",
]);
standard!(scientific, "scientific", [
    'ё' => "ë", 'ж' => "ž", 'й' => "j", 'х' => "x", 'ц' => "c", 'ч' => "č", 'ш' => "š", 'щ' => "šč",
    'ъ' => "ʺ", 'ы' => "y", 'ь' => "ʹ", 'э' => "è", 'ю' => "ju", 'я' => "ja",
]);
standard!(icao_doc_9303, "ICAO Doc 9303", [
    'ё' => "e", 'ж' => "zh", 'й' => "i", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "ie", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "iu", 'я' => "ia",
]);
standard!(mvd_310, "MVD 310", [
    'ё' => "e", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
/// French-style spelling is told by its marks (ou, tch, dj, -ine), which a
/// word may lack ("Chamil"): a query has other words, and one with a mark
/// ("Toutchkov", Тучков) reads the whole query French-style.
#[test]
fn mvd_310_french() {
    let table = [
        ('ё', "e"),
        ('ж', "j"),
        ('й', "i"),
        ('х', "kh"),
        ('ц', "ts"),
        ('ч', "tch"),
        ('ш', "ch"),
        ('щ', "chtch"),
        ('у', "ou"),
        ('ъ', ""),
        ('ы', "y"),
        ('ь', ""),
        ('э', "e"),
        ('ю', "iou"),
        ('я', "ia"),
    ];
    check_in("MVD 310, French", &table, "Toutchkov");
}
standard!(mvd_782, "MVD 782", [
    'ё' => "e", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "'", 'ы' => "y", 'ь' => "'", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(wikipedia, "Wikipedia", [
    'ё' => "yo", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "shch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(yandex_maps, "Yandex Maps", [
    'ё' => "yo", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "sch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(yandex_money, "Yandex Money", [
    'ё' => "e", 'ж' => "zh", 'й' => "i", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "sch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "iu", 'я' => "ia",
]);
standard!(moscow_metro, "Moscow metro", [
    'ё' => "e", 'ж' => "zh", 'й' => "y", 'х' => "kh", 'ц' => "ts", 'ч' => "ch", 'ш' => "sh", 'щ' => "sch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "yu", 'я' => "ya",
]);
standard!(telegram, "Telegram", [
    'ё' => "e", 'ж' => "j", 'й' => "i", 'х' => "h", 'ц' => "c", 'ч' => "ch", 'ш' => "sh", 'щ' => "sch",
    'ъ' => "", 'ы' => "y", 'ь' => "", 'э' => "e", 'ю' => "iu", 'я' => "ia",
]);

/// The table machinery itself: a standard that writes a letter no rule
/// knows fails, so the tests above can fail.
#[test]
fn a_wrong_table_fails() {
    assert!(!reaches(&transliterate("Жуков", &[('ж', "q")]), "Жуков"));
    assert!(reaches(&transliterate("Жуков", &[('ж', "zh")]), "Жуков"));
}
