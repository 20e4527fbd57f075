//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use siyu_import::{read, OpenOptions, Outcome, Record, RowError, Spec, Summary};

/// Path of a sample in `tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Every valid record and the summary of reading `path` with `spec`.
pub fn read_all_with(
    path: impl AsRef<std::path::Path>,
    spec: Spec,
    options: &OpenOptions,
) -> (Vec<Record>, Summary) {
    let mut records = Vec::new();
    let summary = read(path, spec, options)
        .unwrap()
        .summarise(|r| records.push(r))
        .unwrap();
    (records, summary)
}

/// [`read_all_with`] on a sample with default options.
pub fn read_all(name: &str, spec: Spec) -> (Vec<Record>, Summary) {
    read_all_with(data(name), spec, &OpenOptions::default())
}

/// Every outcome, in order.
pub fn outcomes(name: &str, spec: Spec) -> Vec<Outcome> {
    read(data(name), spec, &OpenOptions::default())
        .unwrap()
        .map(|o| o.unwrap())
        .collect()
}

/// `(line, field)` of each error.
pub fn where_(errors: &[RowError]) -> Vec<(u64, &str)> {
    errors.iter().map(|e| (e.line, e.field.as_str())).collect()
}
