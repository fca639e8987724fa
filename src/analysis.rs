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

use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};
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
/// Works in place, without allocating (it runs on every Arabic token).
fn strip_arabic_clitics(t: &mut String) -> bool {
    if t.is_ascii() {
        return true;
    }
    let mut s: &str = t;
    let mut len = s.chars().count();
    if len >= 4 {
        if let Some(rest) =
            s.strip_prefix('و').or_else(|| s.strip_prefix('ف').filter(|r| r.starts_with("ال")))
        {
            s = rest;
            len -= 1;
        }
    }
    // (prefix, its length in letters)
    const PREFIXES: [(&str, usize); 4] = [("بال", 3), ("كال", 3), ("لل", 2), ("ال", 2)];
    for (p, n) in PREFIXES {
        if len >= n + 2 {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest;
                break;
            }
        }
    }
    let cut = t.len() - s.len();
    if cut > 0 {
        t.drain(..cut);
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
    // Every Arabic stop word is in Arabic script: ASCII tokens (most of the `exact` field's)
    // skip the lookup.
    if t.is_ascii() {
        return true;
    }
    static SET: OnceLock<FxHashSet<&'static str>> = OnceLock::new();
    !SET.get_or_init(|| ARABIC_STOP_WORDS.iter().copied().collect()).contains(t.as_str())
}

/// Most distinct words a [`CachedStemmer`] remembers (per analyzer instance, i.e. per
/// indexed field and Tantivy segment writer): about 5 MB. A news vocabulary is Zipfian, so
/// the first words met cover nearly every later token; words past the limit are stemmed
/// each time.
const MAX_CACHED_STEMS: usize = 50_000;

/// Tantivy's Snowball [`Stemmer`] behind a memo of the words it has already stemmed.
///
/// A stem depends only on the word, so the memo changes nothing in what is indexed: a word
/// missing from the memo goes through Tantivy's own [`Stemmer`] (one word at a time), and
/// the result is kept. Stemming was 13 % of indexing time (BENCHMARKS.md, issue 8).
#[derive(Clone, Copy)]
pub struct CachedStemmer(pub Language);

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            inner,
            stemmer: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(self.0))
                .build(),
            memo: FxHashMap::default(),
        }
    }
}

/// The tokenizer produced by [`CachedStemmer`]; it owns the memo, so each clone (Tantivy
/// clones a field's analyzer for every segment writer) fills its own.
#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
    stemmer: TextAnalyzer,
    memo: FxHashMap<Box<str>, Box<str>>,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &mut self.stemmer,
            memo: &mut self.memo,
        }
    }
}

/// The token stream produced by [`CachedStemmer`].
pub struct CachedStemmerStream<'a, S> {
    tail: S,
    stemmer: &'a mut TextAnalyzer,
    memo: &'a mut FxHashMap<Box<str>, Box<str>>,
}

impl<S: TokenStream> TokenStream for CachedStemmerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let text = &mut self.tail.token_mut().text;
        if let Some(stem) = self.memo.get(text.as_str()) {
            text.clear();
            text.push_str(stem);
            return true;
        }
        let stem = {
            let mut stream = self.stemmer.token_stream(text);
            if !stream.advance() {
                return true;
            }
            std::mem::take(&mut stream.token_mut().text)
        };
        if self.memo.len() < MAX_CACHED_STEMS {
            self.memo.insert(text.as_str().into(), stem.as_str().into());
        }
        *text = stem;
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
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
///
/// Each chain is built once per process and cloned from then on (building one makes its
/// stop word sets; the highlighter asks for analyzers on every passage it shows).
pub fn analyzer_for(profile: Profile, name: &str) -> Option<TextAnalyzer> {
    static BUILT: [OnceLock<Vec<(&'static str, TextAnalyzer)>>; 2] =
        [OnceLock::new(), OnceLock::new()];
    let slot = match profile {
        Profile::Standard => 0,
        Profile::Plain => 1,
    };
    BUILT[slot]
        .get_or_init(|| {
            [EN, FR, AR, OTHER, EXACT, KEYWORD]
                .into_iter()
                .filter_map(|n| build_analyzer(profile, n).map(|a| (n, a)))
                .collect()
        })
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| a.clone())
}

fn build_analyzer(profile: Profile, name: &str) -> Option<TextAnalyzer> {
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
            .filter(CachedStemmer(Language::English))
            .build(),
        FR => base()
            .filter(LowerCaser)
            .filter(MapFilter(french_elision))
            .filter(StopWordFilter::new(Language::French)?)
            .filter(CachedStemmer(Language::French))
            .filter(AsciiFoldingFilter)
            .build(),
        AR => base()
            .filter(LowerCaser)
            .filter(MapFilter(normalize_arabic))
            .filter(MapFilter(arabic_stop))
            .filter(MapFilter(strip_arabic_clitics))
            .filter(MapFilter(arabic_stop))
            .filter(CachedStemmer(Language::Arabic))
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

    /// The same chain with Tantivy's own stemmer in place of the memoizing one.
    fn uncached(lang: Language) -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(Stemmer::new(lang))
            .build()
    }

    fn cached(lang: Language) -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(CachedStemmer(lang))
            .build()
    }

    /// The memo gives the stems Tantivy's stemmer gives, on first sight and from the memo,
    /// in one document and across documents of the same analyzer.
    #[test]
    fn cached_stemmer_stems_as_tantivy_does() {
        let texts = [
            (
                Language::English,
                "Regulations regulate the regulators; running runners ran. Regulations!",
            ),
            (Language::French, "Les données personnelles et la protection des données, données."),
            (Language::Arabic, "المغرب والمغاربة المغربية المغرب الاتفاقيات الاتفاقية"),
        ];
        for (lang, text) in texts {
            let expected = analyze_with(&mut uncached(lang), text);
            let mut a = cached(lang);
            assert_eq!(analyze_with(&mut a, text), expected, "{lang:?}, first pass");
            assert_eq!(analyze_with(&mut a, text), expected, "{lang:?}, from the memo");
            assert_eq!(analyze_with(&mut a.clone(), text), expected, "{lang:?}, a clone");
        }
    }

    /// Past its size limit the memo stops growing, and words keep being stemmed.
    #[test]
    fn cached_stemmer_is_bounded() {
        let mut a = cached(Language::English);
        let words: String = (0..MAX_CACHED_STEMS + 10).map(|i| format!("w{i}ing ")).collect();
        assert_eq!(analyze_with(&mut a, &words).len(), MAX_CACHED_STEMS + 10);
        let last = format!("w{}ing running", MAX_CACHED_STEMS + 20);
        let terms: Vec<String> = analyze_with(&mut a, &last).into_iter().map(|t| t.term).collect();
        let expected: Vec<String> = analyze_with(&mut uncached(Language::English), &last)
            .into_iter()
            .map(|t| t.term)
            .collect();
        assert_eq!(terms, expected);
    }

    /// The clitic stripping as it was written first (one `Vec<char>` per token).
    fn strip_arabic_clitics_by_chars(t: &mut String) -> bool {
        if t.is_ascii() {
            return true;
        }
        let chars: Vec<char> = t.chars().collect();
        let mut s: &[char] = &chars;
        let article = |s: &[char]| s.len() >= 2 && s[0] == 'ا' && s[1] == 'ل';
        if s.len() >= 4 && (s[0] == 'و' || (s[0] == 'ف' && article(&s[1..]))) {
            s = &s[1..];
        }
        const PREFIXES: [&[char]; 4] =
            [&['ب', 'ا', 'ل'], &['ك', 'ا', 'ل'], &['ل', 'ل'], &['ا', 'ل']];
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

    proptest::proptest! {
        /// The in-place clitic stripping does what the first version did.
        #[test]
        fn clitic_stripping_in_place_matches(word in "[وفبكلامغرx]{0,7}") {
            let (mut a, mut b) = (word.clone(), word.clone());
            proptest::prop_assert_eq!(strip_arabic_clitics(&mut a), strip_arabic_clitics_by_chars(&mut b));
            proptest::prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn arabic_stop_words_by_set() {
        for w in ARABIC_STOP_WORDS {
            assert!(!arabic_stop(&mut w.to_string()), "{w}");
        }
        assert!(arabic_stop(&mut "المغرب".to_string()));
        assert!(arabic_stop(&mut "in".to_string()));
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
