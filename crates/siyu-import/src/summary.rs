//! Counting what an import did, and the one JSON line `siyu import --json` ends with.

use serde::Serialize;

use crate::error::RowError;
use crate::records::Outcome;

/// How many row errors (and warnings) are kept; all are counted.
pub const MAX_STORED_ERRORS: usize = 1000;

/// The tally of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The file's path as given.
    pub file: String,
    /// Data rows read (header and blank rows excluded).
    pub rows: u64,
    /// Rows that produced a valid record.
    pub ok: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// The first [`MAX_STORED_ERRORS`] row errors, in file order.
    pub errors: Vec<RowError>,
    /// All row errors, including those not stored.
    pub error_count: u64,
    /// The first [`MAX_STORED_ERRORS`] warnings (fields left out of otherwise valid rows).
    pub warnings: Vec<RowError>,
    /// All warnings.
    pub warning_count: u64,
}

impl Summary {
    /// An empty tally for `file`.
    pub fn new(file: impl Into<String>) -> Summary {
        Summary {
            file: file.into(),
            ..Summary::default()
        }
    }

    /// Counts one row's outcome.
    pub fn add(&mut self, outcome: &Outcome) {
        self.rows += 1;
        match outcome {
            Outcome::Valid(record) => {
                self.ok += 1;
                keep(
                    &mut self.warnings,
                    &mut self.warning_count,
                    &record.warnings,
                );
            }
            Outcome::Rejected(errors) => {
                self.rejected += 1;
                keep(&mut self.errors, &mut self.error_count, errors);
            }
        }
    }

    /// Whether some errors were counted but not stored.
    pub fn errors_truncated(&self) -> bool {
        self.error_count > self.errors.len() as u64
    }

    /// The machine-readable line: `{"rows":…,"imported":…,"rejected":…,"errors":[{"line":…,
    /// "field":…,"message":…}]}`. `imported` is what the server actually changed (0 on a dry run
    /// or a re-import).
    pub fn to_json_line(&self, imported: u64) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            rows: u64,
            imported: u64,
            rejected: u64,
            errors: &'a [RowError],
        }
        let line = Line {
            rows: self.rows,
            imported,
            rejected: self.rejected,
            errors: &self.errors,
        };
        // Serialising plain numbers and strings cannot fail; keep the shape even if it did.
        serde_json::to_string(&line).unwrap_or_else(|_| {
            format!(
                r#"{{"rows":{},"imported":{imported},"rejected":{},"errors":[]}}"#,
                self.rows, self.rejected
            )
        })
    }

    /// Human-readable lines `file:line: field: message`, errors first, for a terminal.
    pub fn report_lines(&self) -> impl Iterator<Item = String> + '_ {
        let errors = self
            .errors
            .iter()
            .map(|e| format!("{}:{}: {}: {}", self.file, e.line, e.field, e.message));
        let warnings = self.warnings.iter().map(|e| {
            format!(
                "{}:{}: {}: warning: {}",
                self.file, e.line, e.field, e.message
            )
        });
        errors.chain(warnings)
    }
}

fn keep(stored: &mut Vec<RowError>, count: &mut u64, new: &[RowError]) {
    *count += new.len() as u64;
    let room = MAX_STORED_ERRORS.saturating_sub(stored.len());
    stored.extend(new.iter().take(room).cloned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_has_the_agreed_shape() {
        let mut s = Summary::new("t.csv");
        s.add(&Outcome::Rejected(vec![RowError::new(
            3,
            "联系手机",
            "bad \"phone\"",
        )]));
        assert_eq!(
            s.to_json_line(0),
            r#"{"rows":1,"imported":0,"rejected":1,"errors":[{"line":3,"field":"联系手机","message":"bad \"phone\""}]}"#
        );
    }

    #[test]
    fn errors_are_capped_but_counted() {
        let mut s = Summary::new("t.csv");
        for line in 0..1500 {
            s.add(&Outcome::Rejected(vec![RowError::new(line, "f", "m")]));
        }
        assert_eq!(s.errors.len(), MAX_STORED_ERRORS);
        assert_eq!(s.error_count, 1500);
        assert!(s.errors_truncated());
    }
}
