//! Language codes: normalizing what sources declare, and detecting the language of text.
//!
//! Detection uses `whatlang` (pure Rust, no model files, microseconds per article, covers
//! English, French and Arabic among 69 languages); its verdict is kept only when it is
//! reliable, and Arabic script alone is enough to say `ar`.

/// Normalizes a declared language (`en-US`, `fr_FR`, `French`, `ara`) to a lowercase
/// two-letter code where one is known, else to the tag's primary subtag when it looks like
/// an ISO 639 code (two or three ASCII letters). Returns `None` for anything else — empty
/// input, `und` (undetermined), a word or a garbled value in the `lang` field — so that the
/// caller detects the language from the text instead.
///
/// ```
/// use gazette::ingest::normalize_lang;
/// assert_eq!(normalize_lang("fr-FR").as_deref(), Some("fr"));
/// assert_eq!(normalize_lang("Arabic").as_deref(), Some("ar"));
/// assert_eq!(normalize_lang("zh-Hant").as_deref(), Some("zh"));
/// assert_eq!(normalize_lang(" ").as_deref(), None);
/// assert_eq!(normalize_lang("اعتمدت").as_deref(), None);
/// ```
pub fn normalize_lang(declared: &str) -> Option<String> {
    let primary =
        declared.trim().split(['-', '_', ' ', ',', ';']).next().unwrap_or("").to_lowercase();
    if primary.is_empty() {
        return None;
    }
    let code = match primary.as_str() {
        "english" | "eng" | "anglais" => "en",
        "french" | "français" | "francais" | "fra" | "fre" => "fr",
        "arabic" | "arabe" | "ara" | "العربية" => "ar",
        "spanish" | "spa" | "español" => "es",
        "german" | "deu" | "ger" => "de",
        "und" | "mul" | "zxx" | "mis" => return None,
        other
            if (2..=3).contains(&other.len()) && other.bytes().all(|b| b.is_ascii_lowercase()) =>
        {
            return Some(other.to_string())
        }
        _ => return None,
    };
    Some(code.to_string())
}

/// Detects the language of a text; `None` when the text is too short or ambiguous.
pub fn detect_lang(text: &str) -> Option<String> {
    // A few kilobytes decide as well as the whole text, at a fraction of the cost.
    let sample = truncate_chars(text, 2000);
    let info = whatlang::detect(sample)?;
    if info.script() == whatlang::Script::Arabic && info.lang() == whatlang::Lang::Ara {
        return Some("ar".into());
    }
    if !info.is_reliable() && info.confidence() < 0.5 {
        return None;
    }
    let code = match info.lang() {
        whatlang::Lang::Eng => "en",
        whatlang::Lang::Fra => "fr",
        whatlang::Lang::Ara => "ar",
        whatlang::Lang::Spa => "es",
        whatlang::Lang::Deu => "de",
        whatlang::Lang::Ita => "it",
        whatlang::Lang::Por => "pt",
        whatlang::Lang::Nld => "nl",
        whatlang::Lang::Rus => "ru",
        whatlang::Lang::Tur => "tr",
        other => return Some(other.code().to_string()),
    };
    Some(code.to_string())
}

/// The language of one passage of an article in language `article`: the article's, unless
/// the passage is written in another script (an Arabic paragraph in a French article, a
/// French one in an Arabic article), in which case it is detected. Deterministic, so the
/// index and the highlighter agree.
///
/// ```
/// use gazette::ingest::passage_lang;
/// assert_eq!(passage_lang(Some("fr"), "Le Maroc et l'IA.").as_deref(), Some("fr"));
/// assert_eq!(passage_lang(Some("fr"), "وقع المغرب مذكرة تفاهم في مجال الذكاء الاصطناعي.").as_deref(), Some("ar"));
/// ```
pub fn passage_lang(article: Option<&str>, text: &str) -> Option<String> {
    let (mut arabic, mut letters) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c) {
            arabic += 1;
        }
    }
    if letters < 20 {
        return article.map(str::to_string);
    }
    let arabic_script = arabic * 2 > letters;
    match article {
        Some("ar") if !arabic_script => detect_lang(text).or_else(|| Some("ar".into())),
        Some(a) if a != "ar" && arabic_script => Some("ar".into()),
        None if arabic_script => Some("ar".into()),
        other => other.map(str::to_string),
    }
}

fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_three_languages() {
        assert_eq!(
            detect_lang("Morocco and OpenAI discussed cooperation on artificial intelligence at the United Nations General Assembly in New York.").as_deref(),
            Some("en")
        );
        assert_eq!(
            detect_lang("Le Maroc et la société française ont signé un protocole d'accord sur l'intelligence artificielle et la protection des données.").as_deref(),
            Some("fr")
        );
        assert_eq!(
            detect_lang("وقع المغرب مذكرة تفاهم في مجال الذكاء الاصطناعي مع شركة فرنسية.")
                .as_deref(),
            Some("ar")
        );
    }

    #[test]
    fn normalizes_declared_codes() {
        assert_eq!(normalize_lang("EN").as_deref(), Some("en"));
        assert_eq!(normalize_lang("ar_MA").as_deref(), Some("ar"));
        assert_eq!(normalize_lang("fre").as_deref(), Some("fr"));
        assert_eq!(normalize_lang("es-419").as_deref(), Some("es"));
        assert_eq!(normalize_lang("haw").as_deref(), Some("haw"));
    }

    /// Regression (issue 9, found by the `ingest_json` and `ingest_markdown` fuzz targets):
    /// a word or garbled bytes in the `lang` field were kept as the language code (up to
    /// eight characters: "اعتمدت", "f\u{FFFD}…"), shown on hits and offered as a facet.
    #[test]
    fn refuses_values_that_are_not_language_tags() {
        for bad in [
            "اعتمدت",
            "f\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}",
            "und",
            "x-klingon",
            "e",
            "12",
            "françaisx",
        ] {
            assert_eq!(normalize_lang(bad), None, "{bad:?}");
        }
    }
}
