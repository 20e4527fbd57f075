//! The stream of records of one file: rows from a [`RowSource`] matched against a [`Spec`].

use crate::error::{ImportError, RowError};
use crate::record::Record;
use crate::source::{Progress, Row, RowSource};
use crate::spec::{Columns, Spec};
use crate::summary::Summary;

/// How many leading rows may be title lines above the header.
pub const HEADER_SEARCH_ROWS: usize = 10;

/// What became of one data row.
#[expect(
    clippy::large_enum_variant,
    reason = "outcomes are consumed one at a time; boxing would cost an allocation per row"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The row is valid.
    Valid(Record),
    /// The row is rejected; the errors say why (at least one).
    Rejected(Vec<RowError>),
}

/// Validated records of one file, in file order. Reading stops at the first [`ImportError`].
#[derive(Debug)]
pub struct Records {
    source: RowSource,
    spec: Spec,
    columns: Columns,
    header_line: u64,
    row: Row,
    failed: bool,
}

impl Records {
    /// Finds the header row of `source` and matches it against `spec`. The header is the first
    /// non-blank row, unless a title line stands above it (POS exports often start with one):
    /// the first of the first [`HEADER_SEARCH_ROWS`] rows that has every required column wins.
    pub fn new(mut source: RowSource, spec: Spec) -> Result<Records, ImportError> {
        let mut first: Option<(Row, ImportError)> = None;
        for _ in 0..HEADER_SEARCH_ROWS {
            let mut header = Row::default();
            if !source.read_row(&mut header)? {
                break;
            }
            if header.cells.iter().any(|c| c.contains('\u{FFFD}')) {
                return Err(undecodable_header(&source, header.line));
            }
            match spec.resolve(&header, source.file()) {
                Ok(columns) => {
                    return Ok(Records {
                        source,
                        spec,
                        columns,
                        header_line: header.line,
                        row: Row::default(),
                        failed: false,
                    })
                }
                Err(e) => {
                    if first.is_none() {
                        first = Some((header, e));
                    }
                }
            }
        }
        match first {
            // Report against the first row: that is where a person looks for the header.
            Some((_, e)) => Err(with_encoding_hint(e, &source)),
            None => {
                let expected: Vec<_> = spec
                    .columns()
                    .iter()
                    .take(4)
                    .filter_map(|c| c.headers.first().cloned())
                    .collect();
                Err(ImportError::Empty {
                    file: source.file().to_string(),
                    expected: expected.join(", "),
                })
            }
        }
    }

    /// The line of the header row (1 unless the sheet starts lower).
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Where each field was found.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// The spec in use.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// The underlying rows (file name, encoding, format).
    pub fn source(&self) -> &RowSource {
        &self.source
    }

    /// How far reading has come, for a progress bar.
    pub fn progress(&self) -> Progress {
        self.source.progress()
    }

    /// Reads every remaining row into a [`Summary`], calling `on_record` for each valid record:
    /// a dry run passes a closure that only counts.
    pub fn summarise(mut self, mut on_record: impl FnMut(Record)) -> Result<Summary, ImportError> {
        let mut summary = Summary::new(self.source.file());
        for outcome in &mut self {
            let outcome = outcome?;
            summary.add(&outcome);
            if let Outcome::Valid(record) = outcome {
                on_record(record);
            }
        }
        Ok(summary)
    }
}

/// Garbled header names usually mean a wrong encoding: say which one was used.
fn with_encoding_hint(e: ImportError, source: &RowSource) -> ImportError {
    match (e, source.encoding()) {
        (ImportError::MissingColumns(mut m), Some(enc)) => {
            m.hint = format!(
                " (the file was read as {enc} text; if these names look garbled, choose its encoding)"
            );
            ImportError::MissingColumns(m)
        }
        (e, _) => e,
    }
}

fn undecodable_header(source: &RowSource, line: u64) -> ImportError {
    let message = match source.encoding() {
        Some(enc) => format!(
            "the header is not readable as {enc} text; the file is probably in another encoding \
             (exports from Taobao and Excel on Chinese Windows are GBK): choose the encoding \
             automatically or as GBK, or save the file as UTF-8"
        ),
        None => "the header contains unreadable characters".to_string(),
    };
    ImportError::Encoding {
        file: source.file().to_string(),
        line,
        message,
    }
}

impl Iterator for Records {
    type Item = Result<Outcome, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.source.read_row(&mut self.row) {
            Ok(false) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
            Ok(true) => {
                let encoding = self.source.encoding();
                Some(Ok(
                    match crate::build::build(&self.spec, &self.columns, &self.row, encoding) {
                        Ok(record) => Outcome::Valid(record),
                        Err(errors) => Outcome::Rejected(errors),
                    },
                ))
            }
        }
    }
}
