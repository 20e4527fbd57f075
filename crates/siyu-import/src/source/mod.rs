//! Reading an export file as a stream of rows of text, whatever its format.
//!
//! CSV/TSV text is decoded and parsed incrementally (`text`); XLSX is read cell by cell by
//! calamine on a helper thread (`sheet`). Either way only a bounded window of rows is in memory.

mod cell;
mod sheet;
mod text;

use std::io::Read;
use std::path::Path;

use crate::encoding::TextEncoding;
use crate::error::ImportError;

/// One row of the file: its line as an editor shows it (header = line 1) and its cells as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// Line number of the row's start (a spreadsheet's row number).
    pub line: u64,
    /// The cells, left to right, untrimmed.
    pub cells: Vec<String>,
}

impl Row {
    /// Whether every cell is blank (such rows are skipped: Excel leaves them at the end).
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// The container format of an export file, told by its first bytes rather than its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text: CSV, TSV, or Excel's "Unicode text".
    Text,
    /// Office Open XML workbook (a zip archive).
    Xlsx,
    /// Legacy Excel 97–2003 workbook (at most 65,536 rows, read whole).
    Xls,
}

/// Choices that override detection.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Text encoding of a CSV file; `None` detects it.
    pub encoding: Option<TextEncoding>,
    /// Field delimiter of a CSV file; `None` picks tab or comma from the first line.
    pub delimiter: Option<u8>,
    /// Worksheet of a workbook; `None` takes the first one.
    pub sheet: Option<String>,
}

/// How far through the file reading has come, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Units done (bytes for text, rows for workbooks).
    pub done: u64,
    /// Units in total, when known.
    pub total: Option<u64>,
}

/// A stream of the rows of one export file.
pub struct RowSource {
    file: String,
    inner: Inner,
}

enum Inner {
    Text(Box<text::TextRows>),
    Sheet(sheet::SheetRows),
}

/// Opens `path`, detecting its format and (for text) its encoding.
pub fn open(path: impl AsRef<Path>) -> Result<RowSource, ImportError> {
    open_with(path, &OpenOptions::default())
}

/// Opens `path` with explicit choices for encoding, delimiter or sheet.
pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<RowSource, ImportError> {
    let path = path.as_ref();
    let file = path.display().to_string();
    let io = |source| ImportError::Io {
        file: file.clone(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut f, &mut magic).map_err(io)?;
    let inner = match sniff_format(&magic[..n]) {
        Ok(Format::Text) => {
            drop(f);
            Inner::Text(Box::new(text::TextRows::open(path, &file, options)?))
        }
        Ok(format) => {
            drop(f);
            Inner::Sheet(sheet::SheetRows::open(path, &file, format, options)?)
        }
        Err(message) => return Err(ImportError::Format { file, message }),
    };
    Ok(RowSource { file, inner })
}

/// Tells the format from the first bytes; `Err` explains a file we cannot read.
pub fn sniff_format(magic: &[u8]) -> Result<Format, String> {
    if magic.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if magic.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Ok(Format::Xls);
    }
    let rest = magic.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(magic);
    if rest.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return Err(
            "this file is a web page (HTML) saved with a spreadsheet name; \
                    open it in Excel or WPS and save it as .xlsx or CSV"
                .to_string(),
        );
    }
    Ok(Format::Text)
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
pub(crate) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl RowSource {
    /// The file's path as given, for messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The container format.
    pub fn format(&self) -> Format {
        match &self.inner {
            Inner::Text(_) => Format::Text,
            Inner::Sheet(s) => s.format(),
        }
    }

    /// The text encoding in use (detected or chosen); `None` for workbooks.
    pub fn encoding(&self) -> Option<TextEncoding> {
        match &self.inner {
            Inner::Text(t) => Some(t.encoding()),
            Inner::Sheet(_) => None,
        }
    }

    /// How far reading has come.
    pub fn progress(&self) -> Progress {
        match &self.inner {
            Inner::Text(t) => t.progress(),
            Inner::Sheet(s) => s.progress(),
        }
    }

    /// Reads the next non-blank row into `row`, reusing its buffers; `Ok(false)` at the end.
    pub fn read_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        loop {
            let more = match &mut self.inner {
                Inner::Text(t) => t.read_row(row, &self.file)?,
                Inner::Sheet(s) => s.read_row(row)?,
            };
            if !more {
                return Ok(false);
            }
            if !row.is_blank() {
                return Ok(true);
            }
        }
    }
}

impl Iterator for RowSource {
    type Item = Result<Row, ImportError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut row = Row::default();
        match self.read_row(&mut row) {
            Ok(true) => Some(Ok(row)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

impl std::fmt::Debug for RowSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowSource")
            .field("file", &self.file)
            .field("format", &self.format())
            .field("encoding", &self.encoding())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_magic() {
        assert_eq!(sniff_format(b"PK\x03\x04\x14\0"), Ok(Format::Xlsx));
        assert_eq!(
            sniff_format(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1]),
            Ok(Format::Xls)
        );
        assert_eq!(sniff_format("订单".as_bytes()), Ok(Format::Text));
        assert!(sniff_format(b"\xEF\xBB\xBF <html>").is_err());
    }
}
