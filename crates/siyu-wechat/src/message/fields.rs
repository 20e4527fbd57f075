//! Small field accessors shared by the message and event parsers.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::error::{Result, WechatError};
use crate::xml::Element;

/// A flat name → text map of leaf fields.
pub type Fields = BTreeMap<String, String>;

/// Text of child `name`, or empty when absent.
pub(crate) fn text(el: &Element, name: &str) -> String {
    el.child_text(name).unwrap_or_default().to_owned()
}

/// Text of child `name`, `None` when absent or empty.
pub(crate) fn opt(el: &Element, name: &str) -> Option<String> {
    el.child_text(name)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Parsed (trimmed) value of child `name`; `None` when absent or blank, error when malformed.
pub(crate) fn num<T: FromStr>(el: &Element, name: &'static str) -> Result<Option<T>> {
    match el.child_text(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| WechatError::InvalidField(name)),
    }
}

/// Like [`num`] but required.
pub(crate) fn req_num<T: FromStr>(el: &Element, name: &'static str) -> Result<T> {
    num(el, name)?.ok_or(WechatError::MissingField(name))
}

/// Like [`num`], defaulting to zero/empty when absent.
pub(crate) fn num_or_default<T: FromStr + Default>(el: &Element, name: &'static str) -> Result<T> {
    Ok(num(el, name)?.unwrap_or_default())
}

/// Leaf fields of every `<item>`-like child of `el` (e.g. `SendPicsInfo/PicList/item`).
pub(crate) fn items(el: Option<&Element>) -> Vec<Fields> {
    el.map(|e| e.children.iter().map(Element::leaf_fields).collect())
        .unwrap_or_default()
}
