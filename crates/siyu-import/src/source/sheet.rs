//! Workbook rows, produced on a helper thread and handed over through a bounded channel.
//!
//! calamine's streaming reader ([`calamine::Xlsx::worksheet_cells_reader`]) borrows the workbook,
//! so the two cannot live side by side in one struct without `unsafe`; a thread owning both, with
//! a channel of [`CHANNEL_ROWS`] rows, keeps memory bounded and overlaps XML parsing with
//! validation. Memory that remains: calamine loads the workbook's shared-string table whole when
//! it opens the file (Excel stores each distinct text once there), so a sheet of a million
//! distinct addresses costs roughly their text size; the rows themselves are never all held.
//! Measured (release): 200,000 rows × 9 columns with 600,000 distinct strings (a 29 MB
//! `sharedStrings.xml`) peak at 49 MB resident, ~97,000 rows/s; the same rows as CSV stay under
//! 5 MB. XLS files are loaded whole, which the format's 65,536-row limit keeps bounded.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

use calamine::{Reader, Xls, Xlsx};

use super::cell::{render, render_ref};
use super::{Format, OpenOptions, Progress, Row};
use crate::error::ImportError;

/// Rows in flight between the reading thread and the consumer.
const CHANNEL_ROWS: usize = 256;

/// Columns beyond Excel's limit are ignored, so a corrupt position cannot blow up a row.
const MAX_COLUMNS: usize = 16_384;

enum Msg {
    Row(Row),
    Failed(ImportError),
}

/// Rows of a workbook's sheet.
pub(super) struct SheetRows {
    rx: Receiver<Msg>,
    format: Format,
    done: u64,
    total: Arc<AtomicU64>,
    finished: bool,
}

impl SheetRows {
    /// Opens the workbook on a helper thread and waits until its sheet is found (or not).
    pub(super) fn open(
        path: &Path,
        file: &str,
        format: Format,
        options: &OpenOptions,
    ) -> Result<SheetRows, ImportError> {
        let (tx, rx) = sync_channel(CHANNEL_ROWS);
        let (ready_tx, ready_rx) = sync_channel(1);
        let total = Arc::new(AtomicU64::new(0));
        let job = Job {
            path: path.to_path_buf(),
            file: file.to_string(),
            sheet: options.sheet.clone(),
            total: Arc::clone(&total),
            tx,
            ready: ready_tx,
        };
        std::thread::Builder::new()
            .name("siyu-import-sheet".into())
            .spawn(move || match format {
                Format::Xls => job.run_xls(),
                _ => job.run_xlsx(),
            })
            .map_err(|source| ImportError::Io {
                file: file.to_string(),
                source,
            })?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(parse_error(
                    file,
                    "the workbook reader stopped unexpectedly",
                ))
            }
        }
        Ok(SheetRows {
            rx,
            format,
            done: 0,
            total,
            finished: false,
        })
    }

    /// Xlsx or Xls.
    pub(super) fn format(&self) -> Format {
        self.format
    }

    /// Rows received so far, out of the rows the sheet declares.
    pub(super) fn progress(&self) -> Progress {
        let total = self.total.load(Ordering::Relaxed);
        Progress {
            done: self.done,
            total: (total > 0).then_some(total),
        }
    }

    /// Takes the next row from the reading thread.
    pub(super) fn read_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        if self.finished {
            return Ok(false);
        }
        match self.rx.recv() {
            Ok(Msg::Row(r)) => {
                self.done = r.line;
                *row = r;
                Ok(true)
            }
            Ok(Msg::Failed(e)) => {
                self.finished = true;
                Err(e)
            }
            Err(_) => {
                // The thread hung up: the sheet has ended.
                self.finished = true;
                Ok(false)
            }
        }
    }
}

fn parse_error(file: &str, message: impl std::fmt::Display) -> ImportError {
    ImportError::Parse {
        file: file.to_string(),
        line: 0,
        message: message.to_string(),
    }
}

/// Everything the reading thread needs.
struct Job {
    path: PathBuf,
    file: String,
    sheet: Option<String>,
    total: Arc<AtomicU64>,
    tx: SyncSender<Msg>,
    ready: SyncSender<Result<(), ImportError>>,
}

impl Job {
    fn pick_sheet(&self, names: Vec<String>) -> Result<String, ImportError> {
        let found = match &self.sheet {
            Some(want) => names.iter().find(|n| *n == want).cloned(),
            None => names.first().cloned(),
        };
        found.ok_or_else(|| ImportError::Format {
            file: self.file.clone(),
            message: match &self.sheet {
                Some(want) => format!(
                    "no sheet named {want}; the workbook has: {}",
                    names.join(", ")
                ),
                None => "the workbook has no sheets".to_string(),
            },
        })
    }

    fn run_xlsx(self) {
        let opened = calamine::open_workbook::<Xlsx<_>, _>(&self.path)
            .map_err(|e| parse_error(&self.file, format!("not a readable .xlsx workbook: {e}")))
            .and_then(|wb| Ok((self.pick_sheet(wb.sheet_names())?, wb)));
        let (name, mut wb) = match opened {
            Ok(ok) => ok,
            Err(e) => return self.fail_to_open(e),
        };
        let mut cells = match wb.worksheet_cells_reader(&name) {
            Ok(cells) => cells,
            Err(e) => {
                let e = parse_error(&self.file, e);
                return self.fail_to_open(e);
            }
        };
        self.total
            .store(u64::from(cells.dimensions().end.0) + 1, Ordering::Relaxed);
        if self.ready.send(Ok(())).is_err() {
            return;
        }
        let mut row = Row::default();
        let mut current: Option<u32> = None;
        loop {
            let cell = match cells.next_cell() {
                Ok(Some(cell)) => cell,
                Ok(None) => break,
                Err(e) => {
                    let line = current.map_or(0, |r| u64::from(r) + 1);
                    let _ = self.tx.send(Msg::Failed(ImportError::Parse {
                        file: self.file.clone(),
                        line,
                        message: e.to_string(),
                    }));
                    return;
                }
            };
            let (r, c) = cell.get_position();
            if current != Some(r) {
                if current.is_some() && self.tx.send(Msg::Row(std::mem::take(&mut row))).is_err() {
                    return; // the consumer has gone away
                }
                current = Some(r);
                row.line = u64::from(r) + 1;
            }
            put(&mut row, c as usize, render_ref(cell.get_value()));
        }
        if current.is_some() {
            let _ = self.tx.send(Msg::Row(row));
        }
    }

    fn run_xls(self) {
        let opened = calamine::open_workbook::<Xls<_>, _>(&self.path)
            .map_err(|e| parse_error(&self.file, format!("not a readable .xls workbook: {e}")))
            .and_then(|wb| Ok((self.pick_sheet(wb.sheet_names())?, wb)));
        let range = match opened.and_then(|(name, mut wb)| {
            wb.worksheet_range(&name)
                .map_err(|e| parse_error(&self.file, e))
        }) {
            Ok(range) => range,
            Err(e) => return self.fail_to_open(e),
        };
        let (r0, c0) = range.start().unwrap_or((0, 0));
        self.total
            .store(u64::from(r0) + range.height() as u64, Ordering::Relaxed);
        if self.ready.send(Ok(())).is_err() {
            return;
        }
        for (i, cells) in range.rows().enumerate() {
            let mut row = Row {
                line: u64::from(r0) + i as u64 + 1,
                cells: Vec::with_capacity(c0 as usize + cells.len()),
            };
            for (j, value) in cells.iter().enumerate() {
                put(&mut row, c0 as usize + j, render(value));
            }
            if self.tx.send(Msg::Row(row)).is_err() {
                return;
            }
        }
    }

    fn fail_to_open(&self, e: ImportError) {
        let _ = self.ready.send(Err(e));
    }
}

/// Places `text` at column `col`, padding skipped (empty) cells.
fn put(row: &mut Row, col: usize, text: String) {
    if col >= MAX_COLUMNS {
        return;
    }
    if row.cells.len() <= col {
        row.cells.resize(col + 1, String::new());
    }
    row.cells[col] = text;
}
