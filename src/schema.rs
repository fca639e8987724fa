//! The Tantivy schema: every field name in one place, and typed handles to the fields.
//!
//! An index holds two kinds of documents:
//! - one **record** per article, which stores its metadata and body once (`record_id` and
//!   the `r_*` fields) and matches no text query;
//! - one **passage** document per passage, which carries the analyzed text (in the field of
//!   its language and in the shared `exact` field), the article's title, and the filterable
//!   metadata (`source`, `lang`, `tag`, `date`), plus the article key, the article's
//!   near-duplicate fingerprint (`simhash`) and the passage's position and byte span in the
//!   body.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

use crate::analysis::{self, Lang};

/// Version of the schema; bump it whenever fields or their options change.
pub const SCHEMA_VERSION: u32 = 3;

/// The fast-field tokenizer of the facet fields (`source`, `lang`): the value as written.
const FACET_TOKENIZER: &str = "raw";

/// Typed handles to every field of a Gazette index.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Passage: the article id (for deletes, and to find the article of a hit).
    pub article_id: Field,
    /// Passage: a 64-bit hash of the article id (fast field; groups passages by article).
    pub article_key: Field,
    /// Passage: position of the passage in its article (0-based).
    pub pos: Field,
    /// Passage: byte offset of the passage's start in the article body.
    pub span_start: Field,
    /// Passage: byte offset of the passage's end in the article body.
    pub span_end: Field,
    /// Passage: text analyzed with the English chain.
    pub text_en: Field,
    /// Passage: text analyzed with the French chain.
    pub text_fr: Field,
    /// Passage: text analyzed with the Arabic chain.
    pub text_ar: Field,
    /// Passage: text of other languages.
    pub text_xx: Field,
    /// Passage: which text field holds its text (`en`, `fr`, `ar`, `xx`; keyword), so
    /// ranking can count the passages of each language.
    pub plang: Field,
    /// Passage: text analyzed unstemmed, for every language.
    pub exact: Field,
    /// Passage: the article title (unstemmed).
    pub title: Field,
    /// Passage: the outlet (keyword, lowercased; its fast column keeps it as written, for
    /// facet counts).
    pub source: Field,
    /// Passage: the language code (keyword; fast, for facet counts).
    pub lang: Field,
    /// Passage: topics (keyword, one value each).
    pub tag: Field,
    /// Passage: publication date (indexed and fast, for filters).
    pub date: Field,
    /// Passage: the article's near-duplicate fingerprint (fast; absent for short bodies),
    /// see [`crate::index::fingerprint`].
    pub simhash: Field,
    /// Record: the article id (indexed for lookups, stored).
    pub record_id: Field,
    /// Record: the constant `article`, so records can be counted.
    pub kind: Field,
    /// Record: stored title.
    pub r_title: Field,
    /// Record: stored body.
    pub r_body: Field,
    /// Record: stored url.
    pub r_url: Field,
    /// Record: stored source.
    pub r_source: Field,
    /// Record: stored date.
    pub r_date: Field,
    /// Record: stored language code.
    pub r_lang: Field,
    /// Record: stored path.
    pub r_path: Field,
    /// Record: stored tags.
    pub r_tags: Field,
    /// Record: stored input format.
    pub r_format: Field,
}

impl Fields {
    /// The passage text field of a language.
    pub fn text(&self, lang: Lang) -> Field {
        match lang {
            Lang::En => self.text_en,
            Lang::Fr => self.text_fr,
            Lang::Ar => self.text_ar,
            Lang::Other => self.text_xx,
        }
    }

    /// Resolves every field of `schema`; fails with the name of the first missing one.
    pub fn from_schema(schema: &Schema) -> Result<Fields, String> {
        let f =
            |name: &str| schema.get_field(name).map_err(|_| format!("field `{name}` is missing"));
        Ok(Fields {
            article_id: f("article_id")?,
            article_key: f("article_key")?,
            pos: f("pos")?,
            span_start: f("span_start")?,
            span_end: f("span_end")?,
            text_en: f("text_en")?,
            text_fr: f("text_fr")?,
            text_ar: f("text_ar")?,
            text_xx: f("text_xx")?,
            plang: f("plang")?,
            exact: f("exact")?,
            title: f("title")?,
            source: f("source")?,
            lang: f("lang")?,
            tag: f("tag")?,
            date: f("date")?,
            simhash: f("simhash")?,
            record_id: f("record_id")?,
            kind: f("kind")?,
            r_title: f("r_title")?,
            r_body: f("r_body")?,
            r_url: f("r_url")?,
            r_source: f("r_source")?,
            r_date: f("r_date")?,
            r_lang: f("r_lang")?,
            r_path: f("r_path")?,
            r_tags: f("r_tags")?,
            r_format: f("r_format")?,
        })
    }
}

/// The value of the `plang` field of a passage whose text is in `lang`'s text field.
pub fn plang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Fr => "fr",
        Lang::Ar => "ar",
        Lang::Other => "xx",
    }
}

fn text(analyzer: &str, positions: bool) -> TextOptions {
    let record =
        if positions { IndexRecordOption::WithFreqsAndPositions } else { IndexRecordOption::Basic };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record),
    )
}

/// Builds the schema of a Gazette index.
pub fn build_schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("article_id", STRING | STORED);
    b.add_u64_field("article_key", FAST);
    b.add_u64_field("pos", FAST | STORED);
    b.add_u64_field("span_start", STORED);
    b.add_u64_field("span_end", STORED);
    for lang in Lang::ALL {
        let name = match lang {
            Lang::En => "text_en",
            Lang::Fr => "text_fr",
            Lang::Ar => "text_ar",
            Lang::Other => "text_xx",
        };
        b.add_text_field(name, text(lang.analyzer_name(), true));
    }
    b.add_text_field("plang", STRING);
    b.add_text_field("exact", text(analysis::EXACT, true));
    b.add_text_field("title", text(analysis::EXACT, true));
    // Fast as written ("raw"), so facet counts show sources as their outlets spell them.
    b.add_text_field("source", text(analysis::KEYWORD, false).set_fast(FACET_TOKENIZER));
    b.add_text_field("lang", text(analysis::KEYWORD, false).set_fast(FACET_TOKENIZER));
    b.add_text_field("tag", text(analysis::KEYWORD, false));
    b.add_date_field("date", INDEXED | FAST);
    b.add_u64_field("simhash", FAST);
    b.add_text_field("record_id", STRING | STORED);
    b.add_text_field("kind", STRING);
    for name in ["r_title", "r_body", "r_url", "r_source", "r_lang", "r_path", "r_tags", "r_format"]
    {
        b.add_text_field(name, STORED);
    }
    b.add_date_field("r_date", STORED);
    b.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_resolves() {
        assert!(Fields::from_schema(&build_schema()).is_ok());
    }
}
