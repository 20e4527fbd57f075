//! CSV/TSV rows, decoded to UTF-8 on the fly so a file of any size streams through a small buffer.

use std::fs::File;
use std::io::{BufReader, Chain, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};

use super::{read_up_to, OpenOptions, Progress, Row};
use crate::encoding::{self, TextEncoding, SNIFF_BYTES};
use crate::error::ImportError;

type Raw = Counting<Chain<Cursor<Vec<u8>>, BufReader<File>>>;

/// Rows of a delimited text file.
pub(super) struct TextRows {
    reader: csv::Reader<DecodeReaderBytes<Raw, Vec<u8>>>,
    record: csv::StringRecord,
    encoding: TextEncoding,
    read: Arc<AtomicU64>,
    total: u64,
    cr_only: bool,
    records: u64,
}

impl TextRows {
    /// Opens `path`, sniffing the encoding from its head unless `options` fixes it.
    pub(super) fn open(
        path: &Path,
        file: &str,
        options: &OpenOptions,
    ) -> Result<TextRows, ImportError> {
        let io = |source| ImportError::Io {
            file: file.to_string(),
            source,
        };
        let mut f = File::open(path).map_err(io)?;
        let total = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut head = vec![0u8; SNIFF_BYTES];
        let n = read_up_to(&mut f, &mut head).map_err(io)?;
        head.truncate(n);
        let truncated = (n as u64) < total;
        // A BOM outranks an explicit choice: it is the file speaking for itself.
        let encoding = encoding::bom(&head)
            .or(options.encoding)
            .unwrap_or_else(|| encoding::detect(&head, truncated));
        let delimiter = options
            .delimiter
            .unwrap_or_else(|| sniff_delimiter(&head, encoding));
        // Records end at LF so that csv's line counter names a record's first line even for CRLF
        // files (with CRLF the LF would be counted at the start of the next record); the stray CR
        // is dropped from the last cell. Old Mac files end lines with CR alone: lines are then
        // counted by record.
        let cr_only = !head.contains(&b'\n') && head.contains(&b'\r');
        let terminator = if cr_only {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        };
        let read = Arc::new(AtomicU64::new(0));
        let raw = Counting {
            inner: Cursor::new(head).chain(BufReader::with_capacity(64 * 1024, f)),
            read: Arc::clone(&read),
        };
        let decoded = DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding.encoding_rs()))
            .bom_override(true)
            .strip_bom(true)
            .build(raw);
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .terminator(terminator)
            .buffer_capacity(64 * 1024)
            .from_reader(decoded);
        Ok(TextRows {
            reader,
            record: csv::StringRecord::new(),
            encoding,
            read,
            total,
            cr_only,
            records: 0,
        })
    }

    /// The encoding the file is being decoded with.
    pub(super) fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    /// Bytes of the file consumed so far, out of its size.
    pub(super) fn progress(&self) -> Progress {
        Progress {
            done: self.read.load(Ordering::Relaxed).min(self.total),
            total: Some(self.total),
        }
    }

    /// Reads the next record into `row`, reusing its strings.
    pub(super) fn read_row(&mut self, row: &mut Row, file: &str) -> Result<bool, ImportError> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => Ok(false),
            Ok(true) => {
                self.records += 1;
                row.line = if self.cr_only {
                    self.records
                } else {
                    self.record.position().map_or(0, |p| p.line())
                };
                row.cells.truncate(self.record.len());
                for (i, field) in self.record.iter().enumerate() {
                    match row.cells.get_mut(i) {
                        Some(cell) => {
                            cell.clear();
                            cell.push_str(field);
                        }
                        None => row.cells.push(field.to_string()),
                    }
                }
                if let Some(last) = row.cells.last_mut() {
                    if last.ends_with('\r') {
                        last.pop();
                    }
                }
                Ok(true)
            }
            Err(e) => Err(csv_error(file, &e)),
        }
    }
}

fn csv_error(file: &str, e: &csv::Error) -> ImportError {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => ImportError::Io {
            file: file.to_string(),
            source: std::io::Error::new(io.kind(), io.to_string()),
        },
        _ => ImportError::Parse {
            file: file.to_string(),
            line,
            message: e.to_string(),
        },
    }
}

/// Tab when the first line has more tabs than commas (TSV, Excel's "Unicode text"), else comma.
fn sniff_delimiter(head: &[u8], encoding: TextEncoding) -> u8 {
    let (text, _) = encoding.encoding_rs().decode_with_bom_removal(head);
    let first = text.lines().next().unwrap_or("");
    let tabs = first.matches('\t').count();
    let commas = first.matches(',').count();
    if tabs > commas {
        b'\t'
    } else {
        b','
    }
}

/// Counts the raw bytes handed to the decoder, for progress.
struct Counting<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_follows_the_first_line() {
        assert_eq!(
            sniff_delimiter(b"a\tb\tc\n1,2\t3", TextEncoding::Utf8),
            b'\t'
        );
        assert_eq!(sniff_delimiter(b"a,b,c\n", TextEncoding::Utf8), b',');
        let utf16: Vec<u8> = "a\tb\tc,d"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(sniff_delimiter(&utf16, TextEncoding::Utf16Le), b'\t');
    }
}
