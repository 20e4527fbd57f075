//! Custom column mappings: a TOML or JSON file naming which header feeds which field.
//!
//! ```toml
//! source = "crm"              # idempotency key prefix (default "custom")
//! identity = "phone"          # the field that keys each row (default: order_id, else the first identity)
//! optional = ["email"]        # mapped columns that may be absent from the file
//! [columns]
//! phone = "手机"
//! name = ["客户名称", "姓名"]  # several accepted names, preferred first
//! email = "邮箱"
//! ```
//!
//! The same file laid over a preset (`--preset jd-orders --mapping m.toml`) renames just the
//! columns it lists and keeps the rest of the preset.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::ImportError;
use crate::field::Field;
use crate::spec::{ColumnSpec, Need, Spec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    optional: Vec<String>,
    columns: BTreeMap<String, Headers>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Headers {
    One(String),
    Many(Vec<String>),
}

/// A validated custom column mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    file: String,
    source: Option<String>,
    identity: Option<Field>,
    columns: Vec<(Field, Vec<String>)>,
    optional: Vec<Field>,
}

impl Mapping {
    /// Reads a mapping file: `.json` as JSON, anything else as TOML (or JSON if it starts with `{`).
    pub fn load(path: impl AsRef<Path>) -> Result<Mapping, ImportError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
            file: file.clone(),
            source,
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            || text.trim_start().starts_with('{');
        Mapping::parse(&text, &file, json)
    }

    /// Parses mapping text; `file` names it in errors.
    pub fn parse(text: &str, file: &str, json: bool) -> Result<Mapping, ImportError> {
        let raw: MappingFile = if json {
            serde_json::from_str(text).map_err(|e| err(file, "syntax", e))?
        } else {
            toml::from_str(text).map_err(|e| err(file, "syntax", e.to_string().trim_end()))?
        };
        let field = |key: &str, at: String| {
            Field::from_key(key).ok_or_else(|| {
                let known: Vec<_> = Field::ALL.iter().map(|f| f.key()).collect();
                err(
                    file,
                    at,
                    format!(
                        "unknown field \"{key}\"; known fields: {}",
                        known.join(", ")
                    ),
                )
            })
        };
        let mut columns = Vec::new();
        for (key, headers) in raw.columns {
            let f = field(&key, format!("columns.{key}"))?;
            let headers = match headers {
                Headers::One(h) => vec![h],
                Headers::Many(hs) => hs,
            };
            let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
            if headers.is_empty() || headers.iter().any(String::is_empty) {
                return Err(err(
                    file,
                    format!("columns.{key}"),
                    "the header name is empty",
                ));
            }
            columns.push((f, headers));
        }
        if columns.is_empty() {
            return Err(err(
                file,
                "columns",
                "maps no column; name at least one, e.g. phone = \"手机\"",
            ));
        }
        let identity = match raw.identity {
            Some(key) => {
                let f = field(&key, "identity".into())?;
                if f.identity_kind().is_none() && f != Field::OrderId {
                    return Err(err(
                        file,
                        "identity",
                        format!(
                        "\"{key}\" cannot identify a row; use order_id, phone, email, member_card, \
                         taobao_nick, jd_pin or weibo_uid"
                    ),
                    ));
                }
                Some(f)
            }
            None => None,
        };
        let mut optional = Vec::new();
        for (i, key) in raw.optional.iter().enumerate() {
            optional.push(field(key, format!("optional[{i}]"))?);
        }
        if let Some(source) = &raw.source {
            let ok = !source.is_empty()
                && source.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !ok {
                return Err(err(
                    file,
                    "source",
                    "use lower-case letters, digits, - or _ (it prefixes idempotency keys)",
                ));
            }
        }
        Ok(Mapping {
            file: file.to_string(),
            source: raw.source,
            identity,
            columns,
            optional,
        })
    }

    /// The mapping file's path, for messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A spec that reads exactly the mapped columns.
    pub fn spec(&self) -> Result<Spec, ImportError> {
        let base = Spec::new(
            "custom",
            format!("the column mapping in {}", self.file),
            Vec::new(),
            Field::OrderId,
        );
        self.apply(base)
    }

    /// Lays the mapping over `spec`: listed fields take the mapping's header names.
    pub fn apply(&self, mut spec: Spec) -> Result<Spec, ImportError> {
        let standalone = spec.columns().is_empty();
        for (field, headers) in &self.columns {
            let need = if self.optional.contains(field) {
                Need::Optional
            } else {
                Need::Column
            };
            let columns = spec.columns_mut();
            match columns.iter_mut().find(|c| c.field == *field) {
                Some(existing) => existing.headers.clone_from(headers),
                None => columns.push(ColumnSpec {
                    field: *field,
                    headers: headers.clone(),
                    need,
                }),
            }
        }
        for (i, field) in self.optional.iter().enumerate() {
            if !spec.reads(*field) {
                return Err(err(
                    &self.file,
                    format!("optional[{i}]"),
                    format!("\"{field}\" is not mapped in [columns]"),
                ));
            }
        }
        let key = match self.identity {
            Some(f) => f,
            None if !standalone => spec.key_field(),
            None if spec.reads(Field::OrderId) => Field::OrderId,
            None => Field::ALL
                .into_iter()
                .find(|f| f.identity_kind().is_some() && spec.reads(*f))
                .ok_or_else(|| err(&self.file, "identity", "no column identifies a row; map order_id or one of phone, email, member_card, taobao_nick, jd_pin, weibo_uid"))?,
        };
        if !spec.reads(key) {
            return Err(err(
                &self.file,
                "identity",
                format!("\"{key}\" is not mapped in [columns]"),
            ));
        }
        if self.optional.contains(&key) {
            return Err(err(
                &self.file,
                "identity",
                format!("\"{key}\" keys every row, so it cannot be optional"),
            ));
        }
        if spec.reads(Field::OrderId) && !spec.reads(Field::Amount) {
            return Err(err(
                &self.file,
                "columns.amount",
                "an order needs its amount; map amount as well as order_id",
            ));
        }
        for c in spec.columns_mut() {
            if c.field == key || (c.field == Field::Amount && standalone) {
                c.need = Need::Value;
            }
        }
        let source = self
            .source
            .clone()
            .or(standalone.then(|| "custom".to_string()));
        spec.set_key(key, source, None);
        Ok(spec)
    }
}

fn err(file: &str, key: impl Into<String>, message: impl std::fmt::Display) -> ImportError {
    ImportError::Mapping {
        file: file.to_string(),
        key: key.into(),
        message: message.to_string(),
    }
}
