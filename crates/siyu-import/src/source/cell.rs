//! Spreadsheet cell values rendered as the text a person sees in Excel.
//!
//! Numbers are rounded to Excel's 15 significant digits (so a formula's `35.900000000000006` reads
//! `35.9`); integers too large for a float to hold exactly come out in scientific notation, which
//! the id parsers reject with a hint, because Excel has already lost their last digits.

use calamine::{Data, DataRef, ExcelDateTime};

/// The text of an XLSX cell read in streaming mode.
pub(super) fn render_ref(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number(*f),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => boolean(*b),
        DataRef::DateTime(dt) => datetime(dt),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

/// The text of a cell of a workbook loaded whole (XLS).
pub(super) fn render(value: &Data) -> String {
    match value {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Bool(b) => boolean(*b),
        Data::DateTime(dt) => datetime(dt),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

fn boolean(b: bool) -> String {
    if b { "TRUE" } else { "FALSE" }.to_string()
}

/// Above 2^53 a float no longer holds every integer: the digits are already gone.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Renders a number the way Excel displays it in a General cell.
pub(super) fn number(f: f64) -> String {
    if !f.is_finite() {
        return String::new();
    }
    if f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT {
        // Integral and below 2^53, so the cast is exact.
        return (f as i64).to_string();
    }
    if f.abs() >= EXACT_INTEGER_LIMIT {
        return format!("{f:.14E}");
    }
    // Round to 15 significant digits, as Excel does, then print the shortest form.
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    format!("{rounded}")
}

/// Renders a date as `YYYY-MM-DD`, a date-time as `YYYY-MM-DD HH:MM:SS`, a duration as a number.
fn datetime(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        return number(dt.as_f64());
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    if (h, mi, s, ms) == (0, 0, 0, 0) {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number(13_800_138_000.0), "13800138000");
        assert_eq!(number(1234.5), "1234.5");
        assert_eq!(number(35.900_000_000_000_006), "35.9");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(3_412_345_678_901_234_567.0), "3.41234567890123E18");
    }
}
