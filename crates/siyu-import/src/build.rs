//! One row in, one [`Record`] (or the reasons it is rejected) out.
//!
//! Identity, money and time fields reject the row when unreadable: storing them wrong would be
//! worse than not storing them. Descriptive fields (gender, birthday) and masked identities are
//! dropped with a warning so the rest of the row still counts.

use crate::encoding::TextEncoding;
use crate::error::RowError;
use crate::field::Field;
use crate::parse::attrs::{self, classify_status, is_masked};
use crate::parse::money::parse_fen;
use crate::parse::phone::{Phone, PhoneProblem};
use crate::parse::region::split_region;
use crate::parse::time::parse_china_time;
use crate::record::{Follow, Identity, Membership, Order, Profile, Record};
use crate::source::Row;
use crate::spec::{Columns, Need, Spec};

/// Longest platform nickname or account accepted.
const MAX_NICK_CHARS: usize = 64;

/// Builds the record for `row`, or every error that rejects it.
pub(crate) fn build(
    spec: &Spec,
    cols: &Columns,
    row: &Row,
    encoding: Option<TextEncoding>,
) -> Result<Record, Vec<RowError>> {
    let mut cx = Cx {
        spec,
        cols,
        row,
        encoding,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let identities = cx.identities();
    let order = spec.reads(Field::OrderId).then(|| cx.order()).flatten();
    let membership = spec
        .columns()
        .iter()
        .any(|c| c.field.is_membership())
        .then(|| cx.membership(&identities));
    let follow = spec.is_follow().then(|| Follow {
        followed_at: cx.parse(Field::FollowedAt, parse_china_time),
    });
    let profile = cx.profile();
    let key = cx.key(&identities, order.as_ref());
    match key {
        Some(idempotency_key) if cx.errors.is_empty() => Ok(Record {
            line: row.line,
            idempotency_key,
            identities,
            profile,
            order,
            membership,
            follow,
            warnings: cx.warnings,
        }),
        _ => Err(cx.errors),
    }
}

struct Cx<'a> {
    spec: &'a Spec,
    cols: &'a Columns,
    row: &'a Row,
    encoding: Option<TextEncoding>,
    errors: Vec<RowError>,
    warnings: Vec<RowError>,
}

impl<'a> Cx<'a> {
    fn error(&mut self, field: Field, message: impl Into<String>) {
        let e = RowError::new(self.row.line, self.cols.header(field), message);
        self.errors.push(e);
    }

    fn warn(&mut self, field: Field, message: impl Into<String>) {
        let e = RowError::new(self.row.line, self.cols.header(field), message);
        self.warnings.push(e);
    }

    fn has_error(&self, field: Field) -> bool {
        let header = self.cols.header(field);
        self.errors.iter().any(|e| e.field == header)
    }

    /// The cleaned cell of `field`; reports it when required but empty, or undecodable.
    fn value(&mut self, field: Field) -> Option<&'a str> {
        let v = self.cols.value(field, self.row);
        match v {
            None if self
                .spec
                .column(field)
                .is_some_and(|c| c.need == Need::Value) =>
            {
                self.error(field, "is empty; every row needs it");
                None
            }
            Some(s) if s.contains('\u{FFFD}') => {
                let enc = self
                    .encoding
                    .map_or("the file's encoding".to_string(), |e| e.name().to_string());
                self.error(field, format!(
                    "contains bytes that are not valid {enc} text; save the file as UTF-8 (or GBK) and import it again"
                ));
                None
            }
            v => v,
        }
    }

    /// Parses `field` with `parser`; a failure rejects the row.
    fn parse<T>(
        &mut self,
        field: Field,
        parser: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.value(field)?;
        parser(v).map_err(|m| self.error(field, m)).ok()
    }

    /// Parses `field` with `parser`; a failure drops the value with a warning.
    fn soft<T>(
        &mut self,
        field: Field,
        what: &str,
        parser: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.value(field)?;
        parser(v)
            .map_err(|m| self.warn(field, format!("{m}; the {what} was left out")))
            .ok()
    }

    fn text(&mut self, field: Field) -> Option<String> {
        self.value(field).map(str::to_string)
    }

    fn identities(&mut self) -> Vec<Identity> {
        let mut out: Vec<Identity> = Vec::new();
        for field in Field::ALL {
            let Some(kind) = field.identity_kind() else {
                continue;
            };
            let value = match field {
                Field::Phone => self.value(field).and_then(|v| match Phone::parse(v) {
                    Ok(p) => Some(p.as_str().to_string()),
                    Err(PhoneProblem::Masked) => {
                        self.warn(field, "is masked by the platform, so it cannot identify the customer; it was left out");
                        None
                    }
                    Err(PhoneProblem::Invalid(m)) => {
                        self.error(field, m);
                        None
                    }
                }),
                Field::Email => self.parse(field, attrs::parse_email),
                Field::WeiboUid => self.parse(field, attrs::parse_digits_id),
                Field::MemberCard => self.parse(field, attrs::parse_id),
                _ => self.value(field).and_then(|v| {
                    if is_masked(v) {
                        self.warn(field, "is masked by the platform, so it cannot identify the customer; it was left out");
                        None
                    } else if v.chars().count() > MAX_NICK_CHARS {
                        self.error(field, format!("is longer than {MAX_NICK_CHARS} characters"));
                        None
                    } else {
                        Some(v.to_string())
                    }
                }),
            };
            if let Some(value) = value {
                let id = Identity { kind, value };
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn order(&mut self) -> Option<Order> {
        let order_id = self.parse(Field::OrderId, attrs::parse_id);
        let amount = self.parse(Field::Amount, parse_fen);
        for (field, value) in [
            (Field::OrderId, order_id.is_some()),
            (Field::Amount, amount.is_some()),
        ] {
            if !value && !self.has_error(field) {
                self.error(field, "is empty; every order needs it");
            }
        }
        let status_text = self.text(Field::Status);
        Some(Order {
            state: status_text.as_deref().map(classify_status),
            status_text,
            created_at: self.parse(Field::CreatedAt, parse_china_time),
            paid_at: self.parse(Field::PaidAt, parse_china_time),
            items: self.text(Field::Items),
            sku: self.text(Field::Sku),
            quantity: self.parse(Field::Quantity, attrs::parse_count),
            order_id: order_id?,
            amount: amount?,
        })
    }

    fn membership(&mut self, identities: &[Identity]) -> Membership {
        Membership {
            card_number: identities
                .iter()
                .find(|i| i.kind == crate::record::IdentityKind::MemberCard)
                .map(|i| i.value.clone()),
            points: self.parse(Field::Points, attrs::parse_count),
            total_spend: self.parse(Field::TotalSpend, parse_fen),
            store: self.text(Field::Store),
            opened_at: self.parse(Field::OpenedAt, parse_china_time),
            level: self.text(Field::Level),
        }
    }

    fn profile(&mut self) -> Profile {
        let address = self.text(Field::Address);
        let mut province = self.text(Field::Province);
        let mut city = self.text(Field::City);
        for place in [self.text(Field::Region), address.clone()]
            .into_iter()
            .flatten()
        {
            let r = split_region(&place);
            province = province.or(r.province);
            city = city.or(r.city);
        }
        Profile {
            name: self.text(Field::Name),
            nickname: self.text(Field::Nickname),
            gender: self
                .soft(Field::Gender, "gender", attrs::parse_gender)
                .flatten(),
            birthday: self.soft(Field::Birthday, "birthday", attrs::parse_birthday),
            province,
            city,
            address,
        }
    }

    /// `source:field:value`, from the key field's normalised value.
    fn key(&mut self, identities: &[Identity], order: Option<&Order>) -> Option<String> {
        let field = self.spec.key_field();
        let value = match field.identity_kind() {
            Some(kind) => identities
                .iter()
                .find(|i| i.kind == kind)
                .map(|i| i.value.as_str()),
            None => order.map(|o| o.order_id.as_str()),
        };
        match value {
            Some(v) => Some(format!("{}:{}:{}", self.spec.source(), field.key(), v)),
            // An order key that is missing has already been reported by `order`.
            None if field.identity_kind().is_none() => None,
            None => {
                if !self.has_error(field) {
                    let header = self.cols.header(field).to_string();
                    let masked = self.warnings.iter().any(|w| w.field == header);
                    self.error(
                        field,
                        if masked {
                            "is masked, and this row has nothing else to identify it"
                        } else {
                            "is empty; every row needs it"
                        },
                    );
                }
                None
            }
        }
    }
}
