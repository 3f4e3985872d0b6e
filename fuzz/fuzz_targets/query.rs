//! What a relative types goes through the query normaliser and parser:
//! no input may panic (a panic in the search is a 500 for that person).
#![no_main]

use findkin_search::normalize::{
    by_ear, cyrillic_plausibility, fold, latin_layout_to_cyrillic, latin_plausibility, plain_latin, script_of,
    skeleton, trim_vowels, words,
};
use findkin_search::Query;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = script_of(text);
    let _ = latin_layout_to_cyrillic(text);
    let _ = latin_plausibility(text);
    let _ = cyrillic_plausibility(text);
    for w in words(text) {
        let folded = fold(&w);
        let skel = skeleton(&folded);
        let _ = (plain_latin(&folded), by_ear(&skel), trim_vowels(&skel));
    }
    let year = text.bytes().next().map(|b| 1890 + u16::from(b) % 150);
    if let Ok(q) = Query::parse(text, year) {
        let q = q.with_region(Some(text)).with_birth_date(Some(text));
        let _ = q.context_bonus(Some(text), Some(text));
    }
});
