//! Hardened XML: a tiny element tree parsed with quick-xml, plus CDATA-safe writing.
//!
//! The parser never processes DTDs or custom entities (any `<!DOCTYPE` is rejected),
//! caps input size, nesting depth and element count, and concatenates adjacent text and
//! CDATA sections (so `]]>` split across CDATA sections round-trips).

mod parse;
mod write;

use std::collections::BTreeMap;

pub use parse::parse;
pub use write::{push_cdata, push_cdata_element, push_element, sanitize};

/// Default input cap: 64 KiB (WeChat callbacks are a few KiB).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024;
/// Default maximum nesting depth (WeChat's deepest documented payload nests 5 levels).
pub const DEFAULT_MAX_DEPTH: usize = 16;
/// Default maximum number of elements in one document.
pub const DEFAULT_MAX_ELEMENTS: usize = 4096;

/// Resource limits for [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XmlLimits {
    /// Maximum input size in bytes.
    pub max_bytes: usize,
    /// Maximum element nesting depth (the root is depth 1).
    pub max_depth: usize,
    /// Maximum number of elements.
    pub max_elements: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        XmlLimits {
            max_bytes: DEFAULT_MAX_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
            max_elements: DEFAULT_MAX_ELEMENTS,
        }
    }
}

impl XmlLimits {
    /// Default limits with a different byte cap.
    pub fn with_max_bytes(max_bytes: usize) -> Self {
        XmlLimits {
            max_bytes,
            ..Self::default()
        }
    }
}

/// One XML element: name, concatenated character data, child elements.
/// Attributes are ignored (WeChat does not use them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Element name (e.g. `ToUserName`).
    pub name: String,
    /// All text and CDATA directly inside this element, concatenated in order.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// All children named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Whether this element has no child elements.
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }

    /// Direct leaf children as a name → text map (first occurrence wins).
    pub fn leaf_fields(&self) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        for c in self.children.iter().filter(|c| c.is_leaf()) {
            map.entry(c.name.clone()).or_insert_with(|| c.text.clone());
        }
        map
    }
}
