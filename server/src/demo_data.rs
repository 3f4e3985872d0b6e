//! Fictional demo registry for findkin.
//!
//! Demos, load tests and search-quality checks need a registry that *looks* like the real
//! thing — common Russian names with their real spelling quirks, correct patronymics,
//! feminine surname forms, ё written both ways, partly known birth dates — without ever
//! describing a real person. Everything here is invented: names are combined at random,
//! units are `Демо-часть №N`, places of status are `Демо-пункт N`, and every row carries
//! `source = демо-генератор`, so no row can be mistaken for a real record.
//!
//! The generator is deterministic: the same `(count, seed)` always yields the same bytes,
//! which keeps demo databases, snapshots and benchmarks reproducible. It only uses a seeded
//! `ChaCha8Rng`, `Vec`s and slices (never hash-map iteration order).
//!
//! Name lists live in `server/data/demo/*.txt` (one entry per line, most common first,
//! optional weight after a tab, `#` starts a comment line), regions and their towns in
//! `server/data/demo/regions.txt`; all are compiled in with `include_str!`, so the binary
//! needs no data files at run time.

use std::fmt::Write as _;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Columns of the demo CSV: exactly the import format, in its order.
use crate::csv_import::COLUMNS as HEADER;

/// The progress callback fires after every this many rows (and once at the end).
const PROGRESS_EVERY: usize = 1000;

/// Value of the `source` column: marks every row as generated.
const SOURCE: &str = "демо-генератор";

/// Share of records about women.
const FEMALE_SHARE: f64 = 0.03;
/// Share of surnames typed in ALL CAPITALS, as clerks sometimes do; search must cope.
const ALL_CAPS_SHARE: f64 = 0.02;
/// Share of records that keep ё; the rest write е, as many real documents do.
const KEEP_YO_SHARE: f64 = 0.5;
/// Share of people with a regional surname who also carry a regional given name
/// (and, separately, whose father did).
const REGIONAL_GIVEN_SHARE: f64 = 0.85;
/// Share of people born in a town of the region they are registered in.
const HOME_TOWN_SHARE: f64 = 0.85;
/// Share of records with a (neutral, fictional) note.
const NOTE_SHARE: f64 = 0.08;

/// Highest number used in `Демо-часть №N`.
const UNIT_COUNT: u32 = 400;
/// Highest number used in `Демо-пункт N`.
const STATUS_PLACE_COUNT: u32 = 150;

/// Births fall in these years (inclusive).
const FIRST_BIRTH_YEAR: i32 = 1960;
const LAST_BIRTH_YEAR: i32 = 2006;
/// Status dates fall in this range (inclusive), and always after the 18th birthday.
const FIRST_STATUS_DATE: Date = Date::new(2022, 3, 1);
const LAST_STATUS_DATE: Date = Date::new(2026, 10, 31);

/// Why writing the demo CSV failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("could not write demo CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write demo CSV: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes `count` fictional registry rows as CSV (header included) to `out`; the same seed always gives the same bytes.
pub fn write_demo_csv<W: std::io::Write>(out: W, count: usize, seed: u64) -> Result<(), DemoError> {
    write_demo_csv_with_progress(out, count, seed, &mut |_| {})
}

/// Optional progress callback variant used by the CLI progress bar: called with the number of rows written so far every 1000 rows and at the end.
pub fn write_demo_csv_with_progress<W: std::io::Write>(
    out: W,
    count: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize),
) -> Result<(), DemoError> {
    let tables = Tables::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(HEADER)?;

    let mut row = Row::default();
    for number in 1..=count {
        tables.fill_row(&mut rng, number, &mut row);
        writer.write_record(row.fields())?;
        // The last report comes after the flush below, so a finished bar means flushed data.
        if number % PROGRESS_EVERY == 0 && number != count {
            progress(number);
        }
    }
    writer.flush()?;
    progress(count);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Weighted choice
// ---------------------------------------------------------------------------------------

/// Items with weights, sampled by binary search over the cumulative weights.
///
/// Hand-rolled rather than `rand::distributions::WeightedIndex` so that building a table
/// cannot fail at run time (the data are compiled in and checked by the tests).
struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T> Weighted<T> {
    fn new(pairs: impl IntoIterator<Item = (T, f64)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (item, weight) in pairs {
            total += weight.max(0.0);
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    /// Picks one item. The tables are never empty (see the tests).
    fn pick<R: Rng>(&self, rng: &mut R) -> &T {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.gen::<f64>() * total;
        let index = self.cumulative.partition_point(|&c| c <= x);
        &self.items[index.min(self.items.len().saturating_sub(1))]
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Shape of the Zipf-like fall-off used for lists without explicit weights.
#[derive(Debug, Clone, Copy)]
struct Zipf {
    /// Flattens the head, so the top entry does not take a third of all records.
    offset: f64,
    /// Steepness of the tail.
    exponent: f64,
}

impl Zipf {
    /// Weight of the entry at `rank` (0 = most common).
    fn weight(self, rank: usize) -> f64 {
        (rank as f64 + self.offset).powf(-self.exponent)
    }
}

/// Surnames: the top one gets about 1.5 % of its group, the long tail stays visible.
const SURNAME_ZIPF: Zipf = Zipf { offset: 20.0, exponent: 1.0 };
/// Given names are more concentrated: the top one gets about 10 %, the top 20 about 60 %.
const GIVEN_ZIPF: Zipf = Zipf { offset: 4.0, exponent: 1.2 };

/// Parses a name list: one entry per line, most common first, optional weight after a tab;
/// blank lines and lines starting with `#` are skipped. Entries without a (valid) weight get
/// a Zipf weight from their position.
fn parse_list(text: &'static str, zipf: Zipf) -> Vec<(&'static str, f64)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .enumerate()
        .map(|(rank, line)| match line.split_once('\t') {
            Some((name, weight)) => {
                let weight = weight.trim().parse().unwrap_or_else(|_| zipf.weight(rank));
                (name.trim(), weight)
            }
            None => (line, zipf.weight(rank)),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Patronymics
// ---------------------------------------------------------------------------------------

/// Grammatical sex of a record, which decides the forms of patronymic and surname.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Male,
    Female,
}

/// Which suffix family a father's name takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatronymicSuffix {
    /// -ович / -овна (Иван → Иванович).
    Hard,
    /// -евич / -евна (Игорь → Игоревич, Сергей → Сергеевич, Гаджи → Гаджиевич).
    Soft,
    /// -ич / -ична for names in unstressed -а (Никита → Никитич, Никитична).
    Ich,
    /// -ич / -инична for names with a stressed -а/-я (Кузьма → Кузьмич, Кузьминична).
    IchStressed,
}

/// Names whose patronymic stem is irregular: a fleeting vowel (Лев, Павел), ё lost when the
/// stress moves (Пётр), an inserted й (Михаил) or л (Яков). The flag says "soft suffix".
const IRREGULAR_PATRONYMIC_STEMS: &[(&str, &str, bool)] = &[
    ("Лев", "Льв", false),
    ("Павел", "Павл", false),
    ("Пётр", "Петр", false),
    ("Михаил", "Михайл", false),
    ("Яков", "Яковл", true),
];

/// Masculine names in -а/-я stressed on the ending; spelling does not show stress, so they
/// are listed. Their female patronymic takes -инична (Ильинична, Фоминична).
const END_STRESSED_A_NAMES: &[&str] = &["Илья", "Кузьма", "Фома", "Лука"];

/// Forms the patronymic of a child of `father` by the Russian rules.
fn patronymic(father: &str, sex: Sex) -> String {
    let (stem, suffix) = patronymic_stem(father);
    let ending = match (suffix, sex) {
        (PatronymicSuffix::Hard, Sex::Male) => "ович",
        (PatronymicSuffix::Hard, Sex::Female) => "овна",
        (PatronymicSuffix::Soft, Sex::Male) => "евич",
        (PatronymicSuffix::Soft, Sex::Female) => "евна",
        (PatronymicSuffix::Ich | PatronymicSuffix::IchStressed, Sex::Male) => "ич",
        (PatronymicSuffix::Ich, Sex::Female) => "ична",
        (PatronymicSuffix::IchStressed, Sex::Female) => "инична",
    };
    stem + ending
}

/// Splits a father's name into the stem the patronymic suffix attaches to and the suffix family.
fn patronymic_stem(name: &str) -> (String, PatronymicSuffix) {
    use PatronymicSuffix::*;
    if let Some(&(_, stem, soft)) = IRREGULAR_PATRONYMIC_STEMS.iter().find(|(n, _, _)| *n == name) {
        return (stem.to_string(), if soft { Soft } else { Hard });
    }
    if let Some(stem) = name.strip_suffix("ий") {
        // Юрий → Юрьевич, Василий → Васильевич; after two consonants the и stays:
        // Дмитрий → Дмитриевич, Георгий → Георгиевич.
        let linking = if ends_with_two_consonants(stem) { "и" } else { "ь" };
        return (format!("{stem}{linking}"), Soft);
    }
    if let Some(stem) = name.strip_suffix('й') {
        // Сергей → Сергеевич, Николай → Николаевич.
        return (stem.to_string(), Soft);
    }
    if let Some(stem) = name.strip_suffix('ь') {
        // Игорь → Игоревич, Шамиль → Шамилевич.
        return (stem.to_string(), Soft);
    }
    if name.ends_with('и') {
        // Гаджи → Гаджиевич, Доржи → Доржиевич.
        return (name.to_string(), Soft);
    }
    if let Some(stem) = name.strip_suffix('а').or_else(|| name.strip_suffix('я')) {
        // Никита → Никитич, Савва → Саввич; Илья → Ильич, Кузьма → Кузьмич.
        let suffix = if END_STRESSED_A_NAMES.contains(&name) { IchStressed } else { Ich };
        return (stem.to_string(), suffix);
    }
    if name.ends_with(['ж', 'ш', 'ч', 'щ', 'ц']) {
        // Unstressed о is spelled е after hushing consonants and ц.
        return (name.to_string(), Soft);
    }
    (name.to_string(), Hard)
}

/// True if the last two letters of `stem` are both consonants.
fn ends_with_two_consonants(stem: &str) -> bool {
    let mut last = stem.chars().rev();
    matches!((last.next(), last.next()), (Some(a), Some(b)) if is_consonant(a) && is_consonant(b))
}

fn is_consonant(c: char) -> bool {
    "бвгджзклмнпрстфхцчшщБВГДЖЗКЛМНПРСТФХЦЧШЩ".contains(c)
}

/// Whether a male name ends in a way `patronymic` has a rule for. Names in -о, -у, -е, -э,
/// -ы, -ю have no single rule and are kept out of the lists (checked by the tests).
#[cfg(test)]
fn has_patronymic_rule(name: &str) -> bool {
    !name.ends_with(['о', 'у', 'е', 'э', 'ы', 'ю'])
}

// ---------------------------------------------------------------------------------------
// Surnames
// ---------------------------------------------------------------------------------------

/// The feminine form of a surname. Each part of a hyphenated surname changes on its own
/// (Римский-Корсаков → Римская-Корсакова, Мамин-Сибиряк → Мамина-Сибиряк).
fn feminine_surname(surname: &str) -> String {
    let mut out = String::with_capacity(surname.len() + 4);
    for (i, part) in surname.split('-').enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_feminine_surname_part(&mut out, part);
    }
    out
}

/// Adjective surnames take adjective endings (Толстой → Толстая, Жуковский → Жуковская);
/// possessive ones in -ов/-ев/-ёв/-ин/-ын add -а (Иванов → Иванова, Ильин → Ильина); all
/// others (-енко, -ук, -юк, -ых/-их, Tuvan clan names like Монгуш, nouns like Мороз) stay.
fn push_feminine_surname_part(out: &mut String, part: &str) {
    if let Some(stem) = part.strip_suffix("ой").or_else(|| part.strip_suffix("ый")) {
        out.push_str(stem);
        out.push_str("ая");
    } else if let Some(stem) = part.strip_suffix("ий") {
        out.push_str(stem);
        // After г, к, х and hushing consonants the hard ending is spelled -ая (Жуковская);
        // otherwise -ий is a soft adjective (Крайний → Крайняя).
        let hard = stem.ends_with(['г', 'к', 'х', 'ж', 'ш', 'ч', 'щ']);
        out.push_str(if hard { "ая" } else { "яя" });
    } else if ["ов", "ев", "ёв", "ин", "ын"].iter().any(|ending| part.ends_with(ending)) {
        out.push_str(part);
        out.push('а');
    } else {
        out.push_str(part);
    }
}

// ---------------------------------------------------------------------------------------
// Places
// ---------------------------------------------------------------------------------------

/// Federal subjects: `name<TAB>weight<TAB>town; town; …`, weight roughly by population.
const REGIONS_TEXT: &str = include_str!("../data/demo/regions.txt");

/// A federal subject with a rough population weight and some of its towns.
struct Region {
    name: &'static str,
    weight: f64,
    towns: Vec<&'static str>,
}

/// Parses [`REGIONS_TEXT`]. Malformed lines are skipped here and reported by the tests.
fn parse_regions(text: &'static str) -> Vec<Region> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut columns = line.split('\t').map(str::trim);
            let name = columns.next()?;
            let weight = columns.next()?.parse().ok()?;
            let towns: Vec<_> = columns.next()?.split(';').map(str::trim).filter(|t| !t.is_empty()).collect();
            (!towns.is_empty()).then_some(Region { name, weight, towns })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Origins: which surnames, given names and regions go together
// ---------------------------------------------------------------------------------------

/// A group of surnames of one origin, with the given names and regions that usually go with it.
struct OriginDef {
    /// Share of records (relative weight).
    weight: f64,
    surnames: &'static str,
    /// Regional given names; `None` means the Russian lists.
    given_male: Option<&'static str>,
    given_female: Option<&'static str>,
    /// Share of records registered in one of the `home` regions rather than anywhere.
    home_share: f64,
    home: &'static [(&'static str, f64)],
}

const SURNAMES_RUSSIAN: &str = include_str!("../data/demo/surnames_russian.txt");
const GIVEN_MALE_RUSSIAN: &str = include_str!("../data/demo/given_male_russian.txt");
const GIVEN_FEMALE_RUSSIAN: &str = include_str!("../data/demo/given_female_russian.txt");
const SURNAMES_UKRAINIAN: &str = include_str!("../data/demo/surnames_ukrainian.txt");
const SURNAMES_TATAR_BASHKIR: &str = include_str!("../data/demo/surnames_tatar_bashkir.txt");
const GIVEN_MALE_TATAR_BASHKIR: &str = include_str!("../data/demo/given_male_tatar_bashkir.txt");
const GIVEN_FEMALE_TATAR_BASHKIR: &str = include_str!("../data/demo/given_female_tatar_bashkir.txt");
const SURNAMES_DAGESTANI: &str = include_str!("../data/demo/surnames_dagestani.txt");
const GIVEN_MALE_DAGESTANI: &str = include_str!("../data/demo/given_male_dagestani.txt");
const GIVEN_FEMALE_DAGESTANI: &str = include_str!("../data/demo/given_female_dagestani.txt");
const SURNAMES_BURYAT: &str = include_str!("../data/demo/surnames_buryat.txt");
const GIVEN_MALE_BURYAT: &str = include_str!("../data/demo/given_male_buryat.txt");
const GIVEN_FEMALE_BURYAT: &str = include_str!("../data/demo/given_female_buryat.txt");
const SURNAMES_TUVAN: &str = include_str!("../data/demo/surnames_tuvan.txt");
const GIVEN_MALE_TUVAN: &str = include_str!("../data/demo/given_male_tuvan.txt");
const GIVEN_FEMALE_TUVAN: &str = include_str!("../data/demo/given_female_tuvan.txt");

const ORIGINS: &[OriginDef] = &[
    // Russian surnames: registered anywhere, by population.
    OriginDef {
        weight: 78.0,
        surnames: SURNAMES_RUSSIAN,
        given_male: None,
        given_female: None,
        home_share: 0.0,
        home: &[],
    },
    // Ukrainian-origin surnames: Russian given names, somewhat more often in the south and
    // the regions along the border.
    OriginDef {
        weight: 7.0,
        surnames: SURNAMES_UKRAINIAN,
        given_male: None,
        given_female: None,
        home_share: 0.4,
        home: &[
            ("Краснодарский край", 4.0),
            ("Ростовская область", 3.0),
            ("Белгородская область", 2.0),
            ("Воронежская область", 2.0),
            ("Курская область", 1.0),
            ("Брянская область", 1.0),
            ("Ставропольский край", 1.0),
        ],
    },
    // Tatar and Bashkir surnames: mostly in the two republics and their neighbours.
    OriginDef {
        weight: 6.0,
        surnames: SURNAMES_TATAR_BASHKIR,
        given_male: Some(GIVEN_MALE_TATAR_BASHKIR),
        given_female: Some(GIVEN_FEMALE_TATAR_BASHKIR),
        home_share: 0.85,
        home: &[
            ("Республика Татарстан", 6.0),
            ("Республика Башкортостан", 4.0),
            ("Ульяновская область", 0.5),
            ("Оренбургская область", 0.5),
            ("Челябинская область", 0.5),
            ("Тюменская область", 0.3),
        ],
    },
    // The regional groups below mostly live in their republic.
    OriginDef {
        weight: 3.0,
        surnames: SURNAMES_DAGESTANI,
        given_male: Some(GIVEN_MALE_DAGESTANI),
        given_female: Some(GIVEN_FEMALE_DAGESTANI),
        home_share: 0.9,
        home: &[("Республика Дагестан", 10.0), ("Ставропольский край", 0.5)],
    },
    OriginDef {
        weight: 3.0,
        surnames: SURNAMES_BURYAT,
        given_male: Some(GIVEN_MALE_BURYAT),
        given_female: Some(GIVEN_FEMALE_BURYAT),
        home_share: 0.9,
        home: &[("Республика Бурятия", 10.0), ("Забайкальский край", 1.0), ("Иркутская область", 0.5)],
    },
    OriginDef {
        weight: 3.0,
        surnames: SURNAMES_TUVAN,
        given_male: Some(GIVEN_MALE_TUVAN),
        given_female: Some(GIVEN_FEMALE_TUVAN),
        home_share: 0.92,
        home: &[("Республика Тыва", 10.0), ("Красноярский край", 0.3)],
    },
];

// ---------------------------------------------------------------------------------------
// Other columns
// ---------------------------------------------------------------------------------------

/// Ranks, mostly privates.
const RANKS: &[(&str, f64)] = &[
    ("рядовой", 55.0),
    ("ефрейтор", 10.0),
    ("младший сержант", 8.0),
    ("сержант", 8.0),
    ("старший сержант", 6.0),
    ("старшина", 3.0),
    ("прапорщик", 3.0),
    ("младший лейтенант", 1.5),
    ("лейтенант", 2.5),
    ("старший лейтенант", 1.5),
    ("капитан", 1.0),
    ("майор", 0.5),
];

const STATUSES: &[(&str, f64)] =
    &[("captured", 55.0), ("released", 20.0), ("deceased", 20.0), ("remains_repatriated", 5.0)];

/// Neutral notes that say nothing about a person, only that the record is invented.
const NOTES: &[&str] = &[
    "Демо-запись; данные вымышлены.",
    "Демо-запись; совпадения с реальными лицами случайны.",
    "Вымышленная запись для проверки поиска.",
    "Демо-запись; сведения уточняются.",
];

/// How much of the birth date the (fictional) source knew.
#[derive(Debug, Clone, Copy)]
enum DatePrecision {
    Full,
    YearMonth,
    Year,
    Unknown,
}

const BIRTH_DATE_PRECISIONS: &[(DatePrecision, f64)] = &[
    (DatePrecision::Full, 78.0),
    (DatePrecision::YearMonth, 10.0),
    (DatePrecision::Year, 10.0),
    (DatePrecision::Unknown, 2.0),
];

/// Relative weight of a birth year: few born in the 1960s, most between the mid-1980s and
/// the early 2000s, fewer at the very young end.
fn birth_year_weight(year: i32) -> f64 {
    const PEAK: i32 = 1993;
    if year <= PEAK {
        1.0 + 9.0 * f64::from(year - FIRST_BIRTH_YEAR) / f64::from(PEAK - FIRST_BIRTH_YEAR)
    } else {
        10.0 - 4.0 * f64::from(year - PEAK) / f64::from(LAST_BIRTH_YEAR - PEAK)
    }
}

// ---------------------------------------------------------------------------------------
// Calendar
// ---------------------------------------------------------------------------------------

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Date {
    year: i32,
    month: u32,
    day: u32,
}

fn is_leap_year(year: i32) -> bool {
    time::util::is_leap_year(year)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    crate::calendar::days_in_month(year, month)
}

impl Date {
    const fn new(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    /// Days since 1970-01-01, so dates can be compared and sampled as
    /// plain integers.
    fn to_days(self) -> i64 {
        let month = u8::try_from(self.month).ok().and_then(|m| time::Month::try_from(m).ok());
        let day = u8::try_from(self.day).ok();
        match (month, day) {
            (Some(m), Some(d)) => time::Date::from_calendar_date(self.year, m, d).map_or(0, crate::calendar::days),
            _ => 0,
        }
    }

    /// Inverse of [`Date::to_days`].
    fn from_days(days: i64) -> Date {
        let (year, month, day) = crate::calendar::ymd(days);
        Date { year: year as i32, month, day }
    }

    /// The date `years` later; 29 February becomes 1 March in a common year.
    fn plus_years(self, years: i32) -> Date {
        let year = self.year + years;
        if self.month == 2 && self.day == 29 && !is_leap_year(year) {
            Date { year, month: 3, day: 1 }
        } else {
            Date { year, ..self }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Prepared tables
// ---------------------------------------------------------------------------------------

/// A surname with its feminine form worked out once.
struct Surname {
    masculine: &'static str,
    feminine: String,
}

/// A male name, usable as a given name and as a father's name, with both patronymics
/// worked out once.
struct MaleName {
    name: &'static str,
    patronymic_male: String,
    patronymic_female: String,
}

struct GivenNames {
    male: Weighted<MaleName>,
    female: Weighted<&'static str>,
}

impl GivenNames {
    fn new(male: &'static str, female: &'static str) -> Self {
        let male = parse_list(male, GIVEN_ZIPF).into_iter().map(|(name, weight)| {
            let entry = MaleName {
                name,
                patronymic_male: patronymic(name, Sex::Male),
                patronymic_female: patronymic(name, Sex::Female),
            };
            (entry, weight)
        });
        GivenNames { male: Weighted::new(male), female: Weighted::new(parse_list(female, GIVEN_ZIPF)) }
    }
}

struct Origin {
    surnames: Weighted<Surname>,
    /// `None`: this origin uses the Russian given names.
    given: Option<GivenNames>,
    home_share: f64,
    /// Indices into [`Tables::regions`].
    home: Weighted<usize>,
}

/// Everything needed to draw rows, built once per call (a few milliseconds).
struct Tables {
    origins: Weighted<Origin>,
    russian_given: GivenNames,
    regions: Vec<Region>,
    /// Indices into `regions`, by population.
    region_weights: Weighted<usize>,
    birth_years: Weighted<i32>,
    birth_precisions: Weighted<DatePrecision>,
    ranks: Weighted<&'static str>,
    statuses: Weighted<&'static str>,
}

fn region_index(regions: &[Region], name: &str) -> Option<usize> {
    regions.iter().position(|region| region.name == name)
}

impl Tables {
    fn new() -> Self {
        let regions = parse_regions(REGIONS_TEXT);
        let origins = ORIGINS.iter().map(|def| {
            let surnames = parse_list(def.surnames, SURNAME_ZIPF)
                .into_iter()
                .map(|(masculine, weight)| (Surname { masculine, feminine: feminine_surname(masculine) }, weight));
            let given = match (def.given_male, def.given_female) {
                (Some(male), Some(female)) => Some(GivenNames::new(male, female)),
                _ => None,
            };
            // Unknown region names are dropped here and reported by the tests.
            let home = def.home.iter().filter_map(|&(name, weight)| Some((region_index(&regions, name)?, weight)));
            let origin = Origin {
                surnames: Weighted::new(surnames),
                given,
                home_share: def.home_share,
                home: Weighted::new(home),
            };
            (origin, def.weight)
        });
        Tables {
            origins: Weighted::new(origins),
            russian_given: GivenNames::new(GIVEN_MALE_RUSSIAN, GIVEN_FEMALE_RUSSIAN),
            region_weights: Weighted::new(regions.iter().enumerate().map(|(i, region)| (i, region.weight))),
            regions,
            birth_years: Weighted::new((FIRST_BIRTH_YEAR..=LAST_BIRTH_YEAR).map(|y| (y, birth_year_weight(y)))),
            birth_precisions: Weighted::new(BIRTH_DATE_PRECISIONS.iter().copied()),
            ranks: Weighted::new(RANKS.iter().copied()),
            statuses: Weighted::new(STATUSES.iter().copied()),
        }
    }

    /// Draws one record into `row`, reusing its buffers.
    fn fill_row<R: Rng>(&self, rng: &mut R, number: usize, row: &mut Row) {
        row.clear();
        let _ = write!(row.external_id, "DEMO-{number:07}");

        let origin = self.origins.pick(rng);
        let sex = if rng.gen_bool(FEMALE_SHARE) { Sex::Female } else { Sex::Male };
        self.fill_names(rng, origin, sex, row);

        let birth = self.fill_birth_date(rng, row);
        self.fill_places(rng, origin, row);

        let _ = write!(row.unit, "Демо-часть №{}", rng.gen_range(1..=UNIT_COUNT));
        row.rank = self.ranks.pick(rng);
        row.status = self.statuses.pick(rng);
        fill_status_date(rng, birth, &mut row.status_date);
        let _ = write!(row.status_place, "Демо-пункт {}", rng.gen_range(1..=STATUS_PLACE_COUNT));
        if rng.gen_bool(NOTE_SHARE) {
            row.notes = NOTES[rng.gen_range(0..NOTES.len())];
        }
    }

    /// Surname, given name and patronymic, with the spelling variations of real records.
    fn fill_names<R: Rng>(&self, rng: &mut R, origin: &Origin, sex: Sex, row: &mut Row) {
        let surname = origin.surnames.pick(rng);
        let own_names = self.given_names(rng, origin);
        let father_names = self.given_names(rng, origin);
        let father = father_names.male.pick(rng);
        let keep_yo = rng.gen_bool(KEEP_YO_SHARE);
        let all_caps = rng.gen_bool(ALL_CAPS_SHARE);

        let (surname, given, patronymic) = match sex {
            Sex::Male => (surname.masculine, own_names.male.pick(rng).name, father.patronymic_male.as_str()),
            Sex::Female => (surname.feminine.as_str(), *own_names.female.pick(rng), father.patronymic_female.as_str()),
        };
        row.sex = match sex {
            Sex::Male => "m",
            Sex::Female => "f",
        };
        push_name(&mut row.surname, surname, keep_yo, all_caps);
        push_name(&mut row.given_name, given, keep_yo, false);
        push_name(&mut row.patronymic, patronymic, keep_yo, false);
    }

    /// Regional origins mostly use their own given names, sometimes Russian ones.
    fn given_names<'a, R: Rng>(&'a self, rng: &mut R, origin: &'a Origin) -> &'a GivenNames {
        match &origin.given {
            Some(regional) if rng.gen_bool(REGIONAL_GIVEN_SHARE) => regional,
            _ => &self.russian_given,
        }
    }

    /// Writes the birth date at the drawn precision; returns the full date for later columns.
    fn fill_birth_date<R: Rng>(&self, rng: &mut R, row: &mut Row) -> Date {
        let year = *self.birth_years.pick(rng);
        let month = rng.gen_range(1..=12);
        let day = rng.gen_range(1..=days_in_month(year, month));
        let out = &mut row.birth_date;
        let _ = match self.birth_precisions.pick(rng) {
            DatePrecision::Full => write!(out, "{year:04}-{month:02}-{day:02}"),
            DatePrecision::YearMonth => write!(out, "{year:04}-{month:02}"),
            DatePrecision::Year => write!(out, "{year:04}"),
            DatePrecision::Unknown => Ok(()),
        };
        Date { year, month, day }
    }

    /// Region (matching the surname's origin most of the time) and birth place (mostly a
    /// town of that region).
    fn fill_places<R: Rng>(&self, rng: &mut R, origin: &Origin, row: &mut Row) {
        let region = if !origin.home.is_empty() && rng.gen_bool(origin.home_share) {
            *origin.home.pick(rng)
        } else {
            *self.region_weights.pick(rng)
        };
        let town_region = if rng.gen_bool(HOME_TOWN_SHARE) { region } else { *self.region_weights.pick(rng) };
        let towns = &self.regions[town_region].towns;
        row.region = self.regions[region].name;
        row.birth_place = towns[rng.gen_range(0..towns.len())];
    }
}

/// A status date in the registry's period, strictly after the 18th birthday.
fn fill_status_date<R: Rng>(rng: &mut R, birth: Date, out: &mut String) {
    let earliest = FIRST_STATUS_DATE.to_days().max(birth.plus_years(18).to_days() + 1);
    let latest = LAST_STATUS_DATE.to_days();
    let date = Date::from_days(rng.gen_range(earliest..=latest.max(earliest)));
    let _ = write!(out, "{:04}-{:02}-{:02}", date.year, date.month, date.day);
}

/// Appends a name, writing ё as е unless `keep_yo`, and in capitals if `all_caps`.
fn push_name(out: &mut String, name: &str, keep_yo: bool, all_caps: bool) {
    for c in name.chars() {
        let c = match c {
            'ё' if !keep_yo => 'е',
            'Ё' if !keep_yo => 'Е',
            c => c,
        };
        if all_caps {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Row buffer
// ---------------------------------------------------------------------------------------

/// One CSV row; the `String` buffers are reused from row to row.
#[derive(Default)]
struct Row {
    external_id: String,
    surname: String,
    given_name: String,
    patronymic: String,
    sex: &'static str,
    birth_date: String,
    birth_place: &'static str,
    region: &'static str,
    unit: String,
    rank: &'static str,
    status: &'static str,
    status_date: String,
    status_place: String,
    notes: &'static str,
}

impl Row {
    fn clear(&mut self) {
        for buffer in [
            &mut self.external_id,
            &mut self.surname,
            &mut self.given_name,
            &mut self.patronymic,
            &mut self.birth_date,
            &mut self.unit,
            &mut self.status_date,
            &mut self.status_place,
        ] {
            buffer.clear();
        }
        self.notes = "";
    }

    /// The fields in [`HEADER`] order.
    fn fields(&self) -> [&str; 15] {
        [
            &self.external_id,
            &self.surname,
            &self.given_name,
            &self.patronymic,
            self.sex,
            &self.birth_date,
            self.birth_place,
            self.region,
            &self.unit,
            self.rank,
            self.status,
            &self.status_date,
            &self.status_place,
            SOURCE,
            self.notes,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::sync::OnceLock;

    const SAMPLE_ROWS: usize = 20_000;

    fn generate(count: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_demo_csv(&mut out, count, seed).expect("writing to a Vec cannot fail");
        out
    }

    /// 20,000 rows parsed back with the csv crate, shared by the distribution tests.
    fn sample() -> &'static [csv::StringRecord] {
        static SAMPLE: OnceLock<Vec<csv::StringRecord>> = OnceLock::new();
        SAMPLE.get_or_init(|| {
            let bytes = generate(SAMPLE_ROWS, 20_240_301);
            let mut reader = csv::Reader::from_reader(bytes.as_slice());
            reader.records().map(|r| r.expect("generated CSV parses")).collect()
        })
    }

    fn share(count: usize) -> f64 {
        count as f64 / SAMPLE_ROWS as f64
    }

    fn column(name: &str) -> usize {
        HEADER.iter().position(|h| *h == name).expect("known column")
    }

    fn strip_yo(s: &str) -> String {
        s.replace('ё', "е").replace('Ё', "Е")
    }

    fn all_lists() -> Vec<(&'static str, &'static str)> {
        vec![
            ("surnames_russian", SURNAMES_RUSSIAN),
            ("given_male_russian", GIVEN_MALE_RUSSIAN),
            ("given_female_russian", GIVEN_FEMALE_RUSSIAN),
            ("surnames_ukrainian", SURNAMES_UKRAINIAN),
            ("surnames_tatar_bashkir", SURNAMES_TATAR_BASHKIR),
            ("given_male_tatar_bashkir", GIVEN_MALE_TATAR_BASHKIR),
            ("given_female_tatar_bashkir", GIVEN_FEMALE_TATAR_BASHKIR),
            ("surnames_dagestani", SURNAMES_DAGESTANI),
            ("given_male_dagestani", GIVEN_MALE_DAGESTANI),
            ("given_female_dagestani", GIVEN_FEMALE_DAGESTANI),
            ("surnames_buryat", SURNAMES_BURYAT),
            ("given_male_buryat", GIVEN_MALE_BURYAT),
            ("given_female_buryat", GIVEN_FEMALE_BURYAT),
            ("surnames_tuvan", SURNAMES_TUVAN),
            ("given_male_tuvan", GIVEN_MALE_TUVAN),
            ("given_female_tuvan", GIVEN_FEMALE_TUVAN),
        ]
    }

    fn names(text: &'static str) -> Vec<&'static str> {
        parse_list(text, SURNAME_ZIPF).into_iter().map(|(name, _)| name).collect()
    }

    fn all_surnames() -> BTreeSet<&'static str> {
        ORIGINS.iter().flat_map(|def| names(def.surnames)).collect()
    }

    fn all_given(male: bool) -> BTreeSet<&'static str> {
        let mut set: BTreeSet<&str> =
            names(if male { GIVEN_MALE_RUSSIAN } else { GIVEN_FEMALE_RUSSIAN }).into_iter().collect();
        for def in ORIGINS {
            if let Some(list) = if male { def.given_male } else { def.given_female } {
                set.extend(names(list));
            }
        }
        set
    }

    // --- bytes and structure -----------------------------------------------------------

    #[test]
    fn same_seed_gives_same_bytes_and_other_seed_differs() {
        let a = generate(3_000, 7);
        assert_eq!(a, generate(3_000, 7));
        assert_ne!(a, generate(3_000, 8));
    }

    #[test]
    fn header_row_is_exact() {
        let bytes = generate(1, 1);
        let text = String::from_utf8(bytes).expect("UTF-8");
        let header = text.lines().next().expect("header line");
        assert_eq!(
            header,
            "external_id,surname,given_name,patronymic,sex,birth_date,birth_place,region,unit,rank,status,status_date,status_place,source,notes"
        );
    }

    #[test]
    fn zero_rows_is_just_the_header() {
        let text = String::from_utf8(generate(0, 1)).expect("UTF-8");
        assert_eq!(text.lines().count(), 1);
    }

    #[test]
    fn rows_parse_back_with_fifteen_fields() {
        let rows = sample();
        assert_eq!(rows.len(), SAMPLE_ROWS);
        assert!(rows.iter().all(|r| r.len() == 15));
        assert!(rows.iter().all(|r| &r[column("source")] == SOURCE));
    }

    #[test]
    fn external_ids_are_unique_and_sequential() {
        let rows = sample();
        let ids: BTreeSet<&str> = rows.iter().map(|r| r.get(0).expect("id")).collect();
        assert_eq!(ids.len(), SAMPLE_ROWS);
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(&row[0], format!("DEMO-{:07}", i + 1));
        }
    }

    #[test]
    fn progress_is_reported_every_thousand_rows_and_at_the_end() {
        let mut seen = Vec::new();
        write_demo_csv_with_progress(std::io::sink(), 2_500, 3, &mut |n| seen.push(n)).expect("sink");
        assert_eq!(seen, vec![1000, 2000, 2500]);
        seen.clear();
        write_demo_csv_with_progress(std::io::sink(), 2_000, 3, &mut |n| seen.push(n)).expect("sink");
        assert_eq!(seen, vec![1000, 2000]);
    }

    #[test]
    fn write_errors_are_reported_not_panicked() {
        struct Broken;
        impl std::io::Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let err = write_demo_csv(Broken, 10_000, 1).expect_err("must fail");
        assert!(err.to_string().starts_with("could not write demo CSV"));
    }

    // --- patronymics --------------------------------------------------------------------

    #[test]
    fn patronymics_follow_the_rules_and_exceptions() {
        let cases = [
            ("Сергей", "Сергеевич", "Сергеевна"),
            ("Андрей", "Андреевич", "Андреевна"),
            ("Николай", "Николаевич", "Николаевна"),
            ("Алексей", "Алексеевич", "Алексеевна"),
            ("Василий", "Васильевич", "Васильевна"),
            ("Анатолий", "Анатольевич", "Анатольевна"),
            ("Игорь", "Игоревич", "Игоревна"),
            ("Юрий", "Юрьевич", "Юрьевна"),
            ("Илья", "Ильич", "Ильинична"),
            ("Никита", "Никитич", "Никитична"),
            ("Кузьма", "Кузьмич", "Кузьминична"),
            ("Фома", "Фомич", "Фоминична"),
            ("Лука", "Лукич", "Лукинична"),
            ("Савва", "Саввич", "Саввична"),
            ("Лев", "Львович", "Львовна"),
            ("Павел", "Павлович", "Павловна"),
            ("Пётр", "Петрович", "Петровна"),
            ("Яков", "Яковлевич", "Яковлевна"),
            ("Иван", "Иванович", "Ивановна"),
            ("Магомед", "Магомедович", "Магомедовна"),
            ("Рустам", "Рустамович", "Рустамовна"),
            ("Гаджи", "Гаджиевич", "Гаджиевна"),
            ("Шамиль", "Шамилевич", "Шамилевна"),
            ("Баир", "Баирович", "Баировна"),
            ("Доржи", "Доржиевич", "Доржиевна"),
            ("Михаил", "Михайлович", "Михайловна"),
            ("Дмитрий", "Дмитриевич", "Дмитриевна"),
            ("Георгий", "Георгиевич", "Георгиевна"),
            ("Евгений", "Евгеньевич", "Евгеньевна"),
            ("Семён", "Семёнович", "Семёновна"),
            ("Артём", "Артёмович", "Артёмовна"),
            ("Ильяс", "Ильясович", "Ильясовна"),
            ("Исмаил", "Исмаилович", "Исмаиловна"),
            ("Кара-оол", "Кара-оолович", "Кара-ооловна"),
        ];
        for (father, male, female) in cases {
            assert_eq!(patronymic(father, Sex::Male), male, "{father}");
            assert_eq!(patronymic(father, Sex::Female), female, "{father}");
        }
    }

    #[test]
    fn every_listed_male_name_has_a_patronymic_rule() {
        for name in all_given(true) {
            assert!(has_patronymic_rule(name), "{name} needs a patronymic rule");
            let male = patronymic(name, Sex::Male);
            let female = patronymic(name, Sex::Female);
            assert!(male.ends_with("вич") || male.ends_with("ич"), "{name} → {male}");
            assert!(["овна", "евна", "ична"].iter().any(|e| female.ends_with(e)), "{name} → {female}");
        }
    }

    // --- surnames -----------------------------------------------------------------------

    #[test]
    fn feminine_surnames_follow_the_rules() {
        let cases = [
            ("Иванов", "Иванова"),
            ("Соловьёв", "Соловьёва"),
            ("Васильев", "Васильева"),
            ("Ильин", "Ильина"),
            ("Хабибуллин", "Хабибуллина"),
            ("Цыденов", "Цыденова"),
            ("Жуковский", "Жуковская"),
            ("Вишневецкий", "Вишневецкая"),
            ("Толстой", "Толстая"),
            ("Тверской", "Тверская"),
            ("Крайний", "Крайняя"),
            ("Коваленко", "Коваленко"),
            ("Ковальчук", "Ковальчук"),
            ("Гаврилюк", "Гаврилюк"),
            ("Мельник", "Мельник"),
            ("Монгуш", "Монгуш"),
            ("Ооржак", "Ооржак"),
            ("Белых", "Белых"),
            ("Долгих", "Долгих"),
            ("Римский-Корсаков", "Римская-Корсакова"),
            ("Мамин-Сибиряк", "Мамина-Сибиряк"),
            ("Семёнов-Тян-Шанский", "Семёнова-Тян-Шанская"),
            ("Бонч-Бруевич", "Бонч-Бруевич"),
        ];
        for (masculine, feminine) in cases {
            assert_eq!(feminine_surname(masculine), feminine, "{masculine}");
        }
    }

    // --- data lists ---------------------------------------------------------------------

    #[test]
    fn name_lists_are_large_clean_and_unambiguous() {
        for (label, text) in all_lists() {
            let entries = names(text);
            assert!(!entries.is_empty(), "{label} is empty");
            let distinct: BTreeSet<_> = entries.iter().collect();
            assert_eq!(distinct.len(), entries.len(), "{label} has duplicates");
            for line in text.lines().filter(|l| l.contains('\t')) {
                let weight = line.split_once('\t').map(|(_, w)| w.trim().parse::<f64>());
                assert!(matches!(weight, Some(Ok(w)) if w > 0.0), "{label}: bad weight in {line:?}");
            }
        }
        assert!(all_surnames().len() >= 600, "only {} surnames", all_surnames().len());
        assert!(all_given(true).len() >= 120);
        assert!(names(GIVEN_MALE_RUSSIAN).len() >= 120);
        assert!(all_given(false).len() >= 30);
        // Writing ё as е must never turn one listed name into another.
        for set in [all_surnames(), all_given(true), all_given(false)] {
            for name in set.iter().filter(|n| n.contains('ё')) {
                assert!(!set.contains(strip_yo(name).as_str()), "{name} collides without ё");
            }
        }
    }

    #[test]
    fn places_are_complete() {
        let regions = parse_regions(REGIONS_TEXT);
        let data_lines = REGIONS_TEXT.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).count();
        assert_eq!(regions.len(), data_lines, "a line of regions.txt does not parse");
        assert!(regions.len() >= 40);
        let names: BTreeSet<&str> = regions.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), regions.len());
        let towns: BTreeSet<&str> = regions.iter().flat_map(|r| r.towns.iter().copied()).collect();
        assert!(towns.len() >= 80, "only {} towns", towns.len());
        assert!(regions.iter().all(|r| r.weight > 0.0));
        for def in ORIGINS {
            for (region, _) in def.home {
                assert!(region_index(&regions, region).is_some(), "unknown home region {region}");
            }
            assert_eq!(def.home.is_empty(), def.home_share == 0.0);
        }
    }

    // --- distributions ------------------------------------------------------------------

    #[test]
    fn women_are_a_small_share_with_feminine_forms() {
        let rows = sample();
        let female_given = all_given(false);
        let women: Vec<_> = rows.iter().filter(|r| &r[column("sex")] == "f").collect();
        let women_share = share(women.len());
        assert!((0.015..=0.05).contains(&women_share), "women share {women_share}");
        assert!(rows.iter().all(|r| matches!(&r[column("sex")], "m" | "f")));
        let feminine_surnames: BTreeSet<String> =
            all_surnames().iter().map(|s| strip_yo(&feminine_surname(s)).to_uppercase()).collect();
        for woman in women {
            let given = woman[column("given_name")].to_string();
            assert!(female_given.iter().any(|n| strip_yo(n) == strip_yo(&given)), "{given}");
            let patronymic = &woman[column("patronymic")];
            assert!(["овна", "евна", "ична"].iter().any(|e| patronymic.ends_with(e)), "{patronymic}");
            let surname = strip_yo(&woman[column("surname")]).to_uppercase();
            assert!(feminine_surnames.contains(&surname), "{surname}");
        }
        for man in rows.iter().filter(|r| &r[column("sex")] == "m") {
            assert!(man[column("patronymic")].ends_with("ич"));
        }
    }

    #[test]
    fn yo_is_written_both_ways() {
        let yo_names: BTreeSet<&str> = all_surnames()
            .into_iter()
            .chain(all_given(true))
            .chain(all_given(false))
            .filter(|n| n.contains('ё'))
            .collect();
        let plain_forms: BTreeSet<String> = yo_names.iter().map(|n| strip_yo(n)).collect();
        let (mut with_yo, mut without_yo) = (0usize, 0usize);
        for row in sample() {
            for field in [&row[column("surname")], &row[column("given_name")]] {
                if yo_names.contains(field) {
                    with_yo += 1;
                } else if plain_forms.contains(field) {
                    without_yo += 1;
                }
            }
        }
        assert!(with_yo > 500 && without_yo > 500, "with ё {with_yo}, without {without_yo}");
        let ratio = with_yo as f64 / (with_yo + without_yo) as f64;
        assert!((0.4..=0.6).contains(&ratio), "ё kept in {ratio}");
    }

    #[test]
    fn some_surnames_are_in_capitals() {
        let caps = sample()
            .iter()
            .filter(|r| {
                let surname = &r[column("surname")];
                surname.chars().count() > 1 && surname.chars().all(|c| !c.is_lowercase())
            })
            .count();
        let caps_share = share(caps);
        assert!((0.01..=0.03).contains(&caps_share), "caps share {caps_share}");
    }

    #[test]
    fn birth_dates_have_the_three_formats_and_some_are_missing() {
        let (mut full, mut year_month, mut year_only, mut empty) = (0, 0, 0, 0);
        for row in sample() {
            let date = &row[column("birth_date")];
            match parse_partial_date(date) {
                Some((_, Some(_), Some(_))) => full += 1,
                Some((_, Some(_), None)) => year_month += 1,
                Some((_, None, _)) => year_only += 1,
                None if date.is_empty() => empty += 1,
                None => panic!("bad birth date {date:?}"),
            }
        }
        assert!(share(full) > 0.7, "full {full}");
        assert!((0.07..=0.13).contains(&share(year_month)), "year-month {year_month}");
        assert!((0.07..=0.13).contains(&share(year_only)), "year only {year_only}");
        assert!((0.01..=0.03).contains(&share(empty)), "empty {empty}");
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (checking the calendar and the birth-year range).
    fn parse_partial_date(text: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
        let mut parts = text.split('-');
        let year_text = parts.next()?;
        let year: i32 = year_text.parse().ok().filter(|_| year_text.len() == 4)?;
        let mut number = |width: usize| -> Option<Option<u32>> {
            match parts.next() {
                None => Some(None),
                Some(p) if p.len() == width => p.parse().ok().map(Some),
                Some(_) => None,
            }
        };
        let month = number(2)?;
        let day = if month.is_some() { number(2)? } else { None };
        if parts.next().is_some() || !(FIRST_BIRTH_YEAR..=LAST_BIRTH_YEAR).contains(&year) {
            return None;
        }
        if let Some(m) = month {
            if !(1..=12).contains(&m) || day.is_some_and(|d| d == 0 || d > days_in_month(year, m)) {
                return None;
            }
        }
        Some((year, month, day))
    }

    #[test]
    fn status_dates_are_in_range_and_after_the_18th_birthday() {
        let first = FIRST_STATUS_DATE.to_days();
        let last = LAST_STATUS_DATE.to_days();
        for row in sample() {
            let status_date = &row[column("status_date")];
            let (year, month, day) = match parse_status_date(status_date) {
                Some(parts) => parts,
                None => panic!("bad status date {status_date:?}"),
            };
            let days = Date { year, month, day }.to_days();
            assert!((first..=last).contains(&days), "{status_date}");
            if let Some((by, Some(bm), Some(bd))) = parse_partial_date(&row[column("birth_date")]) {
                let eighteen = Date { year: by, month: bm, day: bd }.plus_years(18).to_days();
                assert!(days > eighteen, "{status_date} vs {}", &row[column("birth_date")]);
            }
        }
    }

    fn parse_status_date(text: &str) -> Option<(i32, u32, u32)> {
        let mut parts = text.split('-').map(str::parse::<u32>);
        let (year, month, day) = (parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?);
        let year = i32::try_from(year).ok()?;
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day)).then_some((year, month, day))
    }

    #[test]
    fn calendar_round_trips() {
        let start = Date { year: 1959, month: 1, day: 1 }.to_days();
        for days in start..=LAST_STATUS_DATE.to_days() {
            let date = Date::from_days(days);
            assert!(date.day >= 1 && date.day <= days_in_month(date.year, date.month));
            assert_eq!(date.to_days(), days);
        }
        assert_eq!(Date { year: 1970, month: 1, day: 1 }.to_days(), 0);
        assert_eq!(Date { year: 2004, month: 2, day: 29 }.plus_years(18), Date { year: 2022, month: 3, day: 1 });
    }

    #[test]
    fn other_columns_use_fixed_vocabularies() {
        let ranks: BTreeSet<&str> = RANKS.iter().map(|(r, _)| *r).collect();
        let all_regions = parse_regions(REGIONS_TEXT);
        let regions: BTreeSet<&str> = all_regions.iter().map(|r| r.name).collect();
        let towns: BTreeSet<&str> = all_regions.iter().flat_map(|r| r.towns.iter().copied()).collect();
        let mut statuses = BTreeSet::new();
        let mut notes = 0;
        for row in sample() {
            assert!(ranks.contains(&row[column("rank")]));
            assert!(regions.contains(&row[column("region")]));
            assert!(towns.contains(&row[column("birth_place")]));
            statuses.insert(row[column("status")].to_string());
            let unit: u32 =
                row[column("unit")].strip_prefix("Демо-часть №").and_then(|n| n.parse().ok()).expect("unit");
            assert!((1..=UNIT_COUNT).contains(&unit));
            let place: u32 =
                row[column("status_place")].strip_prefix("Демо-пункт ").and_then(|n| n.parse().ok()).expect("place");
            assert!((1..=STATUS_PLACE_COUNT).contains(&place));
            if !row[column("notes")].is_empty() {
                assert!(NOTES.contains(&&row[column("notes")]));
                notes += 1;
            }
        }
        let expected: BTreeSet<String> = STATUSES.iter().map(|(s, _)| s.to_string()).collect();
        assert_eq!(statuses, expected);
        assert!(share(notes) > 0.03 && share(notes) < 0.15);
    }

    #[test]
    fn regional_surnames_mostly_live_in_their_region() {
        let tuvan: BTreeSet<&str> = names(SURNAMES_TUVAN).into_iter().collect();
        let rows: Vec<_> = sample().iter().filter(|r| tuvan.contains(&r[column("surname")])).collect();
        assert!(rows.len() > 300);
        let in_tyva = rows.iter().filter(|r| &r[column("region")] == "Республика Тыва").count();
        assert!(in_tyva as f64 / rows.len() as f64 > 0.8);
        let tuvan_given: BTreeSet<&str> = names(GIVEN_MALE_TUVAN).into_iter().collect();
        let with_tuvan_given = rows.iter().filter(|r| tuvan_given.contains(&r[column("given_name")])).count();
        assert!(with_tuvan_given as f64 / rows.len() as f64 > 0.7);
    }

    #[test]
    fn common_names_are_more_frequent() {
        let count = |name: &str| sample().iter().filter(|r| &r[column("surname")] == name).count();
        assert!(count("Иванов") > 3 * count("Ястребов").max(1));
        let given = |name: &str| sample().iter().filter(|r| &r[column("given_name")] == name).count();
        assert!(given("Александр") > 5 * given("Ипполит").max(1));
    }
}
