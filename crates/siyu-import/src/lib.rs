//! siyu's import parsing layer: merchant export files in, validated typed records out.
//!
//! Taobao and JD order exports, Weibo follower lists, store POS member lists, or any file with a
//! custom column mapping, as CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16) or XLSX/XLS.
//! Files are streamed: a million-row export never sits in memory. Every bad field becomes a
//! [`RowError`] naming the line (header = line 1) and the column as the file names it; the row is
//! skipped and the rest go on. Each [`Record`] carries a stable idempotency key so the server can
//! make re-imports change nothing. No database, no async: the server drives this.
//!
//! ```no_run
//! use siyu_import::{read, OpenOptions, Preset};
//!
//! let records = read("订单报表.csv", Preset::TaobaoOrders.spec(), &OpenOptions::default())?;
//! let summary = records.summarise(|record| {
//!     // hand `record` to the server: stitch identities, upsert by `record.idempotency_key`
//!     let _ = record;
//! })?;
//! println!("{}", summary.to_json_line(0));
//! # Ok::<(), siyu_import::ImportError>(())
//! ```

mod build;
pub mod encoding;
pub mod error;
pub mod field;
pub mod mapping;
pub mod parse;
pub mod preset;
pub mod record;
pub mod records;
pub mod source;
pub mod spec;
pub mod summary;
pub mod synth;

use std::path::Path;

pub use encoding::TextEncoding;
pub use error::{ImportError, MissingColumns, RowError};
pub use field::Field;
pub use mapping::Mapping;
pub use parse::attrs::{Birthday, Gender, OrderState};
pub use parse::phone::Phone;
pub use preset::Preset;
pub use record::{Follow, Identity, IdentityKind, Membership, Order, Profile, Record};
pub use records::{Outcome, Records};
pub use siyu_domain::Fen;
pub use source::{open, open_with, Format, OpenOptions, Progress, Row, RowSource};
pub use spec::{ColumnSpec, Columns, Need, Spec};
pub use summary::Summary;

/// Opens `path` and matches its header against `spec`: the usual way in.
pub fn read(
    path: impl AsRef<Path>,
    spec: Spec,
    options: &OpenOptions,
) -> Result<Records, ImportError> {
    Records::new(open_with(path, options)?, spec)
}

/// Validates a whole file without keeping any record: the parsing half of a dry run.
pub fn check(
    path: impl AsRef<Path>,
    spec: Spec,
    options: &OpenOptions,
) -> Result<Summary, ImportError> {
    read(path, spec, options)?.summarise(|_| {})
}
