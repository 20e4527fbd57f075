//! What to read from a file: which fields, under which header names, and which are required.
//! A [`Spec`] comes from a [`crate::Preset`], a custom [`crate::Mapping`], or a preset with a
//! mapping laid over it; [`Spec::resolve`] matches it against a header row.

use crate::error::{ImportError, MissingColumns};
use crate::field::Field;
use crate::parse::{clean, halfwidth};
use crate::source::Row;

/// How much a spec needs a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The column may be absent and its cells empty.
    Optional,
    /// The column must exist; its cells may be empty.
    Column,
    /// The column must exist and every row must fill it.
    Value,
}

/// One field a spec reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The target field.
    pub field: Field,
    /// Accepted header names, preferred first (the first is used in messages).
    pub headers: Vec<String>,
    /// How much the field is needed.
    pub need: Need,
}

/// A reading specification: the columns, the source name for keys, and the key field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    source: String,
    label: String,
    columns: Vec<ColumnSpec>,
    key: Field,
    follow: bool,
}

impl Spec {
    /// Builds a spec; `source` prefixes idempotency keys, `label` names the file kind in messages.
    pub fn new(
        source: impl Into<String>,
        label: impl Into<String>,
        columns: Vec<ColumnSpec>,
        key: Field,
    ) -> Spec {
        Spec {
            source: source.into(),
            label: label.into(),
            columns,
            key,
            follow: false,
        }
    }

    /// Marks every record as a follow (follower lists), even without a follow-time column.
    pub fn with_follow(mut self, follow: bool) -> Spec {
        self.follow = follow;
        self
    }

    /// The idempotency key prefix, e.g. `taobao`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// How messages name this kind of file.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The columns read.
    pub fn columns(&self) -> &[ColumnSpec] {
        &self.columns
    }

    /// The field whose value keys each row.
    pub fn key_field(&self) -> Field {
        self.key
    }

    /// Whether records are follows.
    pub fn is_follow(&self) -> bool {
        self.follow || self.reads(Field::FollowedAt)
    }

    /// Whether the spec reads `field`.
    pub fn reads(&self, field: Field) -> bool {
        self.column(field).is_some()
    }

    /// The spec of `field`, if read.
    pub fn column(&self, field: Field) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.field == field)
    }

    pub(crate) fn columns_mut(&mut self) -> &mut Vec<ColumnSpec> {
        &mut self.columns
    }

    pub(crate) fn set_key(&mut self, key: Field, source: Option<String>, label: Option<String>) {
        self.key = key;
        if let Some(s) = source {
            self.source = s;
        }
        if let Some(l) = label {
            self.label = l;
        }
    }

    /// Matches the header row: each field takes the first of its names found. A missing required
    /// column is one error naming every missing column and listing the headers found.
    pub fn resolve(&self, header: &Row, file: &str) -> Result<Columns, ImportError> {
        let found: Vec<String> = header
            .cells
            .iter()
            .map(|c| clean(c).unwrap_or("").to_string())
            .collect();
        let normal: Vec<String> = found.iter().map(|h| normalise(h)).collect();
        let mut slots = vec![None; Field::ALL.len()];
        let mut missing = Vec::new();
        for spec in &self.columns {
            let hit = spec
                .headers
                .iter()
                .find_map(|name| normal.iter().position(|h| *h == normalise(name)));
            match hit {
                Some(index) => {
                    slots[spec.field as usize] = Some(Column {
                        index,
                        header: found[index].clone(),
                    });
                }
                None if spec.need != Need::Optional => {
                    missing.push(spec.headers.first().cloned().unwrap_or_default());
                }
                None => {}
            }
        }
        if !missing.is_empty() {
            return Err(ImportError::MissingColumns(Box::new(MissingColumns {
                file: file.to_string(),
                line: header.line,
                source_label: self.label.clone(),
                missing,
                found: found.into_iter().filter(|h| !h.is_empty()).collect(),
                hint: String::new(),
            })));
        }
        Ok(Columns { slots })
    }
}

/// Header comparison form: no whitespace, ASCII lower case, full-width punctuation folded.
fn normalise(h: &str) -> String {
    halfwidth(h)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{FEFF}')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where a field's column sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Zero-based cell index.
    pub index: usize,
    /// The header as written in the file (trimmed), used in row errors.
    pub header: String,
}

/// The resolved columns of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    slots: Vec<Option<Column>>,
}

impl Columns {
    /// The column feeding `field`, if the file has one.
    pub fn get(&self, field: Field) -> Option<&Column> {
        self.slots.get(field as usize).and_then(Option::as_ref)
    }

    /// The header name of `field`'s column, or the field key when absent.
    pub fn header(&self, field: Field) -> &str {
        self.get(field).map_or(field.key(), |c| c.header.as_str())
    }

    /// The cleaned value of `field` in `row`, `None` when absent or blank.
    pub fn value<'r>(&self, field: Field, row: &'r Row) -> Option<&'r str> {
        let col = self.get(field)?;
        row.cells.get(col.index).and_then(|c| clean(c))
    }

    /// Every resolved column with its field.
    pub fn iter(&self) -> impl Iterator<Item = (Field, &Column)> {
        Field::ALL
            .into_iter()
            .filter_map(move |f| self.get(f).map(|c| (f, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Preset;

    fn row(cells: &[&str]) -> Row {
        Row {
            line: 1,
            cells: cells.iter().map(|c| (*c).to_string()).collect(),
        }
    }

    #[test]
    fn headers_match_loosely_and_first_name_wins() {
        let spec = Preset::WeiboFollowers.spec();
        let cols = spec
            .resolve(&row(&["\u{FEFF}昵称 ", "uid", "用户ID", "粉丝数"]), "f.csv")
            .unwrap();
        assert_eq!(cols.get(Field::WeiboUid).unwrap().index, 2);
        assert_eq!(cols.header(Field::Nickname), "昵称");
        assert!(cols.get(Field::Gender).is_none());
    }

    #[test]
    fn missing_columns_are_one_error() {
        let spec = Preset::TaobaoOrders.spec();
        let err = spec
            .resolve(&row(&["订单编号", "买家会员名", "订单状态"]), "t.csv")
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("t.csv line 1: missing columns 买家实际支付金额, 订单创建时间"),
            "{text}"
        );
        assert!(
            text.ends_with("the header has: 订单编号, 买家会员名, 订单状态"),
            "{text}"
        );
    }
}
