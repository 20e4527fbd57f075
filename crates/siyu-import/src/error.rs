//! The two kinds of failure: a whole file that cannot be read ([`ImportError`]) and one bad field
//! in one row ([`RowError`]), which rejects that row while the rest of the file goes on.

use serde::Serialize;

/// A failure that stops the whole import: nothing in the file can be trusted past it.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file (or the mapping file) could not be opened or read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file's path as given.
        file: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not CSV/TSV text, XLSX or XLS.
    #[error("{file}: {message}")]
    Format {
        /// The file's path as given.
        file: String,
        /// What the file looks like and what to do instead.
        message: String,
    },
    /// The text cannot be decoded with the encoding in use (detected or chosen).
    #[error("{file} line {line}: {message}")]
    Encoding {
        /// The file's path as given.
        file: String,
        /// Line of the first undecodable text (the header is line 1).
        line: u64,
        /// Which encoding was used and what to try instead.
        message: String,
    },
    /// The CSV or spreadsheet structure is broken past some point.
    #[error("{file} line {line}: {message}")]
    Parse {
        /// The file's path as given.
        file: String,
        /// The line (spreadsheet row) where reading failed; 0 when unknown.
        line: u64,
        /// The reader's explanation.
        message: String,
    },
    /// The file has no header row at all.
    #[error("{file}: the file is empty; expected a header row such as {expected}")]
    Empty {
        /// The file's path as given.
        file: String,
        /// The first columns the chosen preset or mapping expects.
        expected: String,
    },
    /// The header row lacks columns the preset or mapping requires.
    #[error("{0}")]
    MissingColumns(Box<MissingColumns>),
    /// The custom column mapping file is invalid.
    #[error("{file}: {key}: {message}")]
    Mapping {
        /// The mapping file's path as given.
        file: String,
        /// The offending key, e.g. `columns.phone` (or `-` for a syntax error).
        key: String,
        /// What is wrong and what is accepted.
        message: String,
    },
}

/// The details of [`ImportError::MissingColumns`] (boxed: they are large and rare).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{file} line {line}: missing column{} {} for {source_label}; the header has: {}{hint}",
    if missing.len() > 1 { "s" } else { "" },
    missing.join(", "),
    found.join(", ")
)]
pub struct MissingColumns {
    /// The file's path as given.
    pub file: String,
    /// The header's line.
    pub line: u64,
    /// What the file was read as, e.g. "a Taobao order export".
    pub source_label: String,
    /// The expected header name of every missing column.
    pub missing: Vec<String>,
    /// Every header found, in file order.
    pub found: Vec<String>,
    /// Extra advice (e.g. the encoding the text was read in), empty or starting with a space.
    pub hint: String,
}

/// One bad field in one row: the row is rejected (or, for a warning, the field is dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The row's line as an editor shows it: the header row is line 1.
    pub line: u64,
    /// The column's header exactly as the file names it (trimmed).
    pub field: String,
    /// What is wrong, in words a merchant can act on.
    pub message: String,
}

impl RowError {
    /// Builds an error for `line`, column `field`.
    pub fn new(line: u64, field: impl Into<String>, message: impl Into<String>) -> Self {
        RowError {
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.message)
    }
}
