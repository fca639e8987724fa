//! Per-language analysis chains, registered with every Gazette index and applied identically
//! at index and query time (and again when highlighting).
//!
//! | chain | steps |
//! |---|---|
//! | `gz_en` | Unicode words, lowercase, possessive `'s` dropped, English stop words, English Snowball stemmer |
//! | `gz_fr` | Unicode words, lowercase, elisions (`l'`, `d'`, `qu'`…) dropped, French stop words, French stemmer, then ASCII folding |
//! | `gz_ar` | Unicode words, Arabic normalization, proclitic stripping (`و ف ب ك ل` + `ال`), Arabic stop words, Arabic stemmer |
//! | `gz_xx` | other languages: Unicode words, lowercase, Arabic normalization, ASCII folding (no stemming) |
//! | `gz_exact` | every language, unstemmed: `gz_xx` without English, French and Arabic stop words, for names and quoted phrases |
//! | `gz_keyword` | the whole value, lowercased (source and language filters) |

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer,
    Stemmer, StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
    TokenizerManager,
};

/// Name of the English chain.
pub const EN: &str = "gz_en";
/// Name of the French chain.
pub const FR: &str = "gz_fr";
/// Name of the Arabic chain.
pub const AR: &str = "gz_ar";
/// Name of the chain for other languages.
pub const OTHER: &str = "gz_xx";
/// Name of the unstemmed chain shared by all languages.
pub const EXACT: &str = "gz_exact";
/// Name of the keyword chain (whole value, lowercased).
pub const KEYWORD: &str = "gz_keyword";

/// Version of the analysis chains; bump it whenever a chain changes what it produces, so
/// indexes built with the old chains are rebuilt.
pub const ANALYSIS_VERSION: u32 = 3;

/// Tokens longer than this many bytes are dropped (URLs, base64 blobs).
const MAX_TOKEN_BYTES: usize = 60;

/// A set of analysis chains an index is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The per-language chains described above.
    #[default]
    Standard,
    /// Lowercasing only, for every language (no stemming, stop words, folding or clitics):
    /// the baseline the per-language chains are measured against.
    Plain,
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "standard" => Ok(Profile::Standard),
            "plain" => Ok(Profile::Plain),
            other => Err(format!("unknown analysis profile {other:?} (standard, plain)")),
        }
    }
}

/// The languages with a chain of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// Arabic.
    Ar,
    /// Any other language, or unknown.
    Other,
}

impl Lang {
    /// All chains, in field order.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::Fr, Lang::Ar, Lang::Other];

    /// The chain for a language code (`en`, `fr`, `ar`; anything else is `Other`).
    pub fn from_code(code: Option<&str>) -> Lang {
        match code {
            Some("en") => Lang::En,
            Some("fr") => Lang::Fr,
            Some("ar") => Lang::Ar,
            _ => Lang::Other,
        }
    }

    /// The registered name of this language's chain.
    pub fn analyzer_name(self) -> &'static str {
        match self {
            Lang::En => EN,
            Lang::Fr => FR,
            Lang::Ar => AR,
            Lang::Other => OTHER,
        }
    }
}

/// A token filter that rewrites token text in place with a plain function; tokens for which
/// the function returns `false` are dropped. Offsets and positions are kept, so highlights
/// always point at the original text.
#[derive(Clone, Copy)]
pub struct MapFilter(pub fn(&mut String) -> bool);

impl TokenFilter for MapFilter {
    type Tokenizer<T: Tokenizer> = MapFilterWrapper<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> MapFilterWrapper<T> {
        MapFilterWrapper { inner: tokenizer, f: self.0 }
    }
}

/// The tokenizer produced by [`MapFilter`].
#[derive(Clone)]
pub struct MapFilterWrapper<T> {
    inner: T,
    f: fn(&mut String) -> bool,
}

impl<T: Tokenizer> Tokenizer for MapFilterWrapper<T> {
    type TokenStream<'a> = MapFilterStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        MapFilterStream { tail: self.inner.token_stream(text), f: self.f }
    }
}

/// The token stream produced by [`MapFilter`].
pub struct MapFilterStream<S> {
    tail: S,
    f: fn(&mut String) -> bool,
}

impl<S: TokenStream> TokenStream for MapFilterStream<S> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if (self.f)(&mut self.tail.token_mut().text) {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Drops the `s` left by a possessive (`OpenAI's` is tokenized as `openai`, `s`).
#[allow(clippy::ptr_arg)] // the signature MapFilter takes
fn english_possessive(t: &mut String) -> bool {
    t != "s"
}

/// Drops French elided articles and pronouns (`l'`, `d'`, `qu'`…), which the tokenizer
/// splits off at the apostrophe.
#[allow(clippy::ptr_arg)] // the signature MapFilter takes
fn french_elision(t: &mut String) -> bool {
    !matches!(
        t.as_str(),
        "l" | "d"
            | "j"
            | "m"
            | "n"
            | "s"
            | "t"
            | "c"
            | "qu"
            | "jusqu"
            | "lorsqu"
            | "puisqu"
            | "quoiqu"
    )
}

/// Arabic normalization: strips harakat (U+064B–U+065F, U+0670) and tatweel (U+0640), folds
/// alef variants (آ أ إ ٱ → ا), alef maqsura (ى → ي) and teh marbuta (ة → ه), and maps
/// Arabic-Indic and Persian digits to ASCII. Always keeps the token.
pub fn normalize_arabic(t: &mut String) -> bool {
    if t.is_ascii() {
        return true;
    }
    let needs = t.chars().any(|c| matches!(c, '\u{0622}'..='\u{0625}' | '\u{0629}' | '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0660}'..='\u{0669}' | '\u{0670}' | '\u{0671}' | '\u{0649}' | '\u{06F0}'..='\u{06F9}'));
    if !needs {
        return true;
    }
    let out: String = t
        .chars()
        .filter_map(|c| match c {
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => None,
            '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => Some('\u{0627}'),
            '\u{0649}' => Some('\u{064A}'),
            '\u{0629}' => Some('\u{0647}'),
            '\u{0660}'..='\u{0669}' => char::from_digit(c as u32 - 0x0660, 10),
            '\u{06F0}'..='\u{06F9}' => char::from_digit(c as u32 - 0x06F0, 10),
            // U+0624 (waw with hamza) and U+0626 (yeh with hamza) are letters of their own.
            other => Some(other),
        })
        .collect();
    *t = out;
    true
}

/// Light-10 style proclitic stripping on normalized Arabic: a conjunction `و` (or `ف` before
/// the article), then one of `بال كال لل ال`, keeping at least two letters
/// (`وبالمغرب`, `والمغرب`, `بالمغرب`, `للمغرب` → `مغرب`). Drops tokens that become empty.
fn strip_arabic_clitics(t: &mut String) -> bool {
    if t.is_ascii() {
        return true;
    }
    let chars: Vec<char> = t.chars().collect();
    let mut s: &[char] = &chars;
    let article = |s: &[char]| s.len() >= 2 && s[0] == 'ا' && s[1] == 'ل';
    if s.len() >= 4 && (s[0] == 'و' || (s[0] == 'ف' && article(&s[1..]))) {
        s = &s[1..];
    }
    const PREFIXES: [&[char]; 4] = [&['ب', 'ا', 'ل'], &['ك', 'ا', 'ل'], &['ل', 'ل'], &['ا', 'ل']];
    for p in PREFIXES {
        if s.starts_with(p) && s.len() >= p.len() + 2 {
            s = &s[p.len()..];
            break;
        }
    }
    if s.len() != chars.len() {
        *t = s.iter().collect();
    }
    !t.is_empty()
}

/// Arabic stop words, in normalized form (see [`normalize_arabic`]).
const ARABIC_STOP_WORDS: &[&str] = &[
    "في",
    "من",
    "علي",
    "الي",
    "عن",
    "ان",
    "او",
    "ام",
    "ما",
    "لا",
    "لم",
    "لن",
    "قد",
    "ثم",
    "هذا",
    "هذه",
    "ذلك",
    "تلك",
    "هو",
    "هي",
    "هم",
    "هن",
    "انت",
    "انا",
    "نحن",
    "الذي",
    "التي",
    "الذين",
    "اللذين",
    "اللتين",
    "اللواتي",
    "كان",
    "كانت",
    "يكون",
    "تكون",
    "مع",
    "بين",
    "كل",
    "بعض",
    "غير",
    "حتي",
    "اذا",
    "اذ",
    "لكن",
    "بل",
    "منذ",
    "عند",
    "عندما",
    "حيث",
    "كما",
    "ايضا",
    "فقط",
    "قبل",
    "بعد",
    "فيه",
    "فيها",
    "منه",
    "منها",
    "عليه",
    "عليها",
    "له",
    "لها",
    "لهم",
    "به",
    "بها",
    "وهو",
    "وهي",
    "وقد",
    "وكان",
    "وفي",
    "ومن",
    "الا",
    "اما",
    "هناك",
    "هنا",
    "ليس",
    "ذات",
    "اي",
    "التى",
    "الى",
    "على",
    "ولا",
    "فان",
    "وان",
    "بان",
    "لان",
    "كانو",
    "لقد",
];

#[allow(clippy::ptr_arg)] // the signature MapFilter takes
fn arabic_stop(t: &mut String) -> bool {
    !ARABIC_STOP_WORDS.contains(&t.as_str())
}

fn base() -> tantivy::tokenizer::TextAnalyzerBuilder<RemoveLongFilterWrapper> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
}

type RemoveLongFilterWrapper = <RemoveLongFilter as TokenFilter>::Tokenizer<SimpleTokenizer>;

/// Builds the analyzer registered under `name` in the standard profile, or `None` for an
/// unknown name.
pub fn analyzer(name: &str) -> Option<TextAnalyzer> {
    analyzer_for(Profile::Standard, name)
}

/// Builds the analyzer registered under `name` in `profile`.
pub fn analyzer_for(profile: Profile, name: &str) -> Option<TextAnalyzer> {
    if profile == Profile::Plain && name != KEYWORD {
        return [EN, FR, AR, OTHER, EXACT]
            .contains(&name)
            .then(|| base().filter(LowerCaser).build());
    }
    let a = match name {
        EN => base()
            .filter(LowerCaser)
            .filter(MapFilter(english_possessive))
            .filter(StopWordFilter::new(Language::English)?)
            .filter(Stemmer::new(Language::English))
            .build(),
        FR => base()
            .filter(LowerCaser)
            .filter(MapFilter(french_elision))
            .filter(StopWordFilter::new(Language::French)?)
            .filter(Stemmer::new(Language::French))
            .filter(AsciiFoldingFilter)
            .build(),
        AR => base()
            .filter(LowerCaser)
            .filter(MapFilter(normalize_arabic))
            .filter(MapFilter(arabic_stop))
            .filter(MapFilter(strip_arabic_clitics))
            .filter(MapFilter(arabic_stop))
            .filter(Stemmer::new(Language::Arabic))
            .build(),
        OTHER => base()
            .filter(LowerCaser)
            .filter(MapFilter(normalize_arabic))
            .filter(AsciiFoldingFilter)
            .build(),
        // The exact field is shared by every language and matched by every query: stop
        // words of the three languages would match nearly every passage there, at 4 times
        // the weight of the language fields (BENCHMARKS.md, issue 6).
        EXACT => base()
            .filter(LowerCaser)
            .filter(MapFilter(normalize_arabic))
            .filter(StopWordFilter::new(Language::English)?)
            .filter(StopWordFilter::new(Language::French)?)
            .filter(MapFilter(arabic_stop))
            .filter(AsciiFoldingFilter)
            .build(),
        KEYWORD => TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build(),
        _ => return None,
    };
    Some(a)
}

/// Registers every Gazette chain of `profile` with a tokenizer manager.
pub fn register_all(manager: &TokenizerManager, profile: Profile) {
    for name in [EN, FR, AR, OTHER, EXACT, KEYWORD] {
        if let Some(a) = analyzer_for(profile, name) {
            manager.register(name, a);
        }
    }
}

/// One analyzed token: its term and where it stands in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// The term as indexed.
    pub term: String,
    /// Token position (stop words leave gaps).
    pub position: usize,
    /// Byte offsets into the analyzed text.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
}

/// Runs a chain over `text` and returns its tokens.
///
/// ```
/// use gazette::analysis::{analyze, FR};
/// let terms: Vec<String> = analyze(FR, "L'intelligence artificielle et les données").into_iter().map(|t| t.term).collect();
/// assert_eq!(terms, ["intelligent", "artificiel", "don"]);
/// ```
pub fn analyze(name: &str, text: &str) -> Vec<AnalyzedToken> {
    let Some(mut a) = analyzer(name) else { return Vec::new() };
    analyze_with(&mut a, text)
}

/// Runs an already built analyzer over `text`.
pub fn analyze_with(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalyzedToken> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        out.push(AnalyzedToken {
            term: t.text.clone(),
            position: t.position,
            start: t.offset_from,
            end: t.offset_to,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(name: &str, text: &str) -> Vec<String> {
        analyze(name, text).into_iter().map(|t| t.term).collect()
    }

    #[test]
    fn english_chain() {
        assert_eq!(terms(EN, "OpenAI's regulations of the models"), ["openai", "regul", "model"]);
    }

    #[test]
    fn french_folding_matches_both_ways() {
        assert_eq!(terms(FR, "données"), terms(FR, "DONNÉES"));
        assert_eq!(terms(FR, "régulations"), terms(FR, "régulation"));
        assert_eq!(terms(FR, "qu'Amal l'IA"), ["amal", "ia"]);
    }

    #[test]
    fn arabic_clitics_and_diacritics() {
        let base = terms(AR, "المغرب");
        assert_eq!(terms(AR, "والمغرب"), base);
        assert_eq!(terms(AR, "بالمغرب"), base);
        assert_eq!(terms(AR, "وبالمغرب"), base);
        assert_eq!(terms(AR, "للمغرب"), base);
        assert_eq!(terms(AR, "فالمغرب"), base);
        assert_eq!(terms(AR, "المَغْرِب"), base);
        assert!(terms(AR, "في من على").is_empty());
        assert_eq!(terms(EXACT, "٠٩-٠٨"), ["09", "08"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Le Maroc et l'IA";
        let toks = analyze(FR, text);
        let last = toks.last().unwrap();
        assert_eq!(&text[last.start..last.end], "IA");
    }

    /// Stop words of the three languages are not indexed in `exact`: a query written as a
    /// sentence must not match every passage there (issue 6, BENCHMARKS.md).
    #[test]
    fn exact_drops_stop_words_of_every_language() {
        let terms: Vec<String> =
            analyze(EXACT, "Is the Protection des Données في المغرب of OpenAI")
                .into_iter()
                .map(|t| t.term)
                .collect();
        assert_eq!(terms, ["protection", "donnees", "المغرب", "openai"]);
    }
}
