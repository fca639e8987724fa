//! Dates as news sources write them: RFC 3339 / ISO 8601 (with or without a time or an
//! offset), RFC 2822 (feeds and e-mail), and a few common variants.

use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Parses a publication date. Dates without an offset are taken as UTC; dates without a
/// time as midnight. Returns `None` when the text is not a date this function knows.
///
/// ```
/// use gazette::ingest::parse_date;
/// let d = parse_date("2025-09-25T10:30:00+01:00").unwrap();
/// assert_eq!(d.unix_timestamp(), 1758792600);
/// assert!(parse_date("Fri, 12 Sep 2025 09:30:00 +0000").is_some());
/// assert!(parse_date("2025-09-12").is_some());
/// assert!(parse_date("yesterday").is_none());
/// ```
pub fn parse_date(text: &str) -> Option<OffsetDateTime> {
    parse_any(text).filter(|d| (MIN_YEAR..=MAX_YEAR).contains(&d.year()))
}

/// Dates outside these years are refused: they are typos or placeholders ("0001-01-01",
/// "9999-12-31"), and the index stores dates as nanoseconds since 1970, which cannot
/// represent them.
const MIN_YEAR: i32 = 1700;
const MAX_YEAR: i32 = 2200;

fn parse_any(text: &str) -> Option<OffsetDateTime> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(d);
    }
    if let Ok(d) = OffsetDateTime::parse(s, &Rfc2822) {
        return Some(d);
    }
    // "2025-09-12 10:00:00+01:00", "2025-09-12T10:00:00.123+0100"
    let with_offset = [
        format_description!(
            "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory]:[offset_minute]"
        ),
        format_description!(
            "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]][offset_hour sign:mandatory][offset_minute]"
        ),
        format_description!(
            "[year]-[month]-[day][first [T][ ]][hour]:[minute][offset_hour sign:mandatory]:[offset_minute]"
        ),
    ];
    for fd in with_offset {
        if let Ok(d) = OffsetDateTime::parse(s, &fd) {
            return Some(d);
        }
    }
    let trimmed_z = s.strip_suffix('Z').or_else(|| s.strip_suffix(" UTC")).unwrap_or(s);
    let naive = [
        format_description!(
            "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
        ),
        format_description!("[year]-[month]-[day][first [T][ ]][hour]:[minute]"),
        format_description!("[year]/[month]/[day] [hour]:[minute]:[second]"),
    ];
    for fd in naive {
        if let Ok(d) = PrimitiveDateTime::parse(trimmed_z, &fd) {
            return Some(d.assume_offset(UtcOffset::UTC));
        }
    }
    let dates = [
        format_description!("[year]-[month]-[day]"),
        format_description!("[year]/[month]/[day]"),
        format_description!("[year][month][day]"),
        format_description!("[day] [month repr:long case_sensitive:false] [year]"),
        format_description!("[day] [month repr:short case_sensitive:false] [year]"),
        format_description!("[month repr:long case_sensitive:false] [day padding:none], [year]"),
        format_description!("[month repr:short case_sensitive:false] [day padding:none], [year]"),
    ];
    for fd in dates {
        if let Ok(d) = Date::parse(trimmed_z, &fd) {
            return Some(midnight(d));
        }
    }
    lenient_day(s)
}

fn midnight(d: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(UtcOffset::UTC)
}

/// The last resort: the calendar day of dates written in other ways ("2019-11-19T13:16+0000",
/// "Tue Nov 19 2019 03:05:46 GMT+0000", "November 19, 2019, 07:47 PM EST", "Jul. 06, 2004",
/// "25 septembre 2025"); the time of day is dropped.
fn lenient_day(s: &str) -> Option<OffsetDateTime> {
    let bytes = s.as_bytes();
    if bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        let fd = format_description!("[year]-[month]-[day]");
        if let Ok(d) = Date::parse(s.get(..10)?, &fd) {
            return Some(midnight(d));
        }
    }
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let month = words.iter().find_map(|w| month_number(w))?;
    let year =
        words.iter().find_map(|w| (w.len() == 4).then(|| w.parse::<i32>().ok()).flatten())?;
    let day = words.iter().find_map(|w| (w.len() <= 2).then(|| w.parse::<u8>().ok()).flatten())?;
    let month = time::Month::try_from(month).ok()?;
    Date::from_calendar_date(year, month, day).ok().map(midnight)
}

fn month_number(word: &str) -> Option<u8> {
    const MONTHS: [&[&str]; 12] = [
        &["jan", "january", "janvier", "janv"],
        &["feb", "february", "février", "fevrier", "févr", "fevr"],
        &["mar", "march", "mars"],
        &["apr", "april", "avril", "avr"],
        &["may", "mai"],
        &["jun", "june", "juin"],
        &["jul", "july", "juillet", "juil"],
        &["aug", "august", "août", "aout"],
        &["sep", "sept", "september", "septembre"],
        &["oct", "october", "octobre"],
        &["nov", "november", "novembre"],
        &["dec", "december", "décembre", "decembre", "déc"],
    ];
    MONTHS.iter().position(|names| names.contains(&word)).map(|i| i as u8 + 1)
}

/// Formats a date as RFC 3339 in UTC (`2025-09-25T10:00:00Z`).
pub fn format_date(date: OffsetDateTime) -> String {
    date.to_offset(UtcOffset::UTC).format(&Rfc3339).unwrap_or_else(|_| date.to_string())
}

/// Formats the calendar day of a date in UTC (`2025-09-25`).
pub fn format_day(date: OffsetDateTime) -> String {
    let d = date.to_offset(UtcOffset::UTC).date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for s in [
            "2025-09-25",
            "2025-09-25T10:00:00Z",
            "2025-09-25T10:00:00",
            "2025-09-25 10:00:00",
            "2025-09-25T10:00:00.123+01:00",
            "2025-09-25T10:00:00+0100",
            "2025-09-25T10:00+01:00",
            "Thu, 25 Sep 2025 10:00:00 +0000",
            "2025/09/25",
            "25 September 2025",
            "Sep 25, 2025",
            "2019-11-19T13:16+0000",
            "Tue Nov 19 2019 03:05:46 GMT+0000",
            "November 19, 2019, 07:47 PM EST",
            "Jul. 06, 2004",
            "25 septembre 2025",
        ] {
            assert!(parse_date(s).is_some(), "{s}");
        }
        for s in ["", "soon", "2025-13-45", "25/09", "0001-01-01T00:00:00Z", "9999-12-31"] {
            assert!(parse_date(s).is_none(), "{s}");
        }
    }

    #[test]
    fn naive_dates_are_utc() {
        let d = parse_date("2025-09-12").unwrap();
        assert_eq!(format_date(d), "2025-09-12T00:00:00Z");
        assert_eq!(format_day(parse_date("2025-09-12T23:30:00-02:00").unwrap()), "2025-09-13");
    }
}
