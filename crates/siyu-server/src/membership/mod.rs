//! Membership (会员卡): the tenant's program, a card per customer (its number is a
//! `member_card` identity on the profile), points earned and spent through an append-only
//! ledger, points that expire lot by lot, and levels by lifetime points or spend.
//!
//! Every change to a card's points locks the card in its transaction, writes what has fallen
//! due first, then checks and appends; a repeated request (same reason and reference) changes
//! nothing, so retries and double scans are harmless.

use rand::Rng;
use serde::{Deserialize, Serialize};
use siyu_domain::points::{self, Entry, EntryKind, Level};
use siyu_domain::TenantId;
use siyu_store::membership::{self as store, Card, LedgerRow, NewEntry, Program};
use siyu_store::Tx;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::services::{record, Actor};
use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// Points expiring within this window are shown as "expiring soon".
const SOON_MS: i64 = 30 * DAY_MS;

/// A membership program as the API and console give it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    /// The card's name, e.g. 小满咖啡会员卡.
    pub name: String,
    /// `points`: levels by lifetime points; `spend`: by lifetime spend (fen).
    pub basis: String,
    /// Levels, e.g. `[{"name":"银卡","min":0},{"name":"金卡","min":1000}]`.
    #[schema(value_type = Vec<Object>)]
    pub levels: Vec<Level>,
    /// Points per yuan spent (0–100).
    pub points_per_yuan: i64,
    /// Points for a check-in, once a day (0–10 000).
    #[serde(default)]
    pub checkin_points: i64,
    /// Points for a referred customer's purchase (0–100 000).
    #[serde(default)]
    pub referral_points: i64,
    /// Days until earned points expire; 0 keeps them (0–3 650).
    #[serde(default)]
    pub expiry_days: i64,
}

impl ProgramInput {
    fn check(&self) -> Result<(), ApiError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 40 {
            return Err(ApiError::invalid("name", "1–40 characters"));
        }
        if !matches!(self.basis.as_str(), "points" | "spend") {
            return Err(ApiError::invalid("basis", "use points or spend"));
        }
        if self.levels.is_empty() || self.levels.len() > 10 {
            return Err(ApiError::invalid("levels", "give 1–10 levels"));
        }
        let mut names = std::collections::HashSet::new();
        for (i, l) in self.levels.iter().enumerate() {
            if l.name.trim().is_empty() || l.name.chars().count() > 20 {
                return Err(ApiError::invalid(
                    format!("levels[{i}].name"),
                    "1–20 characters",
                ));
            }
            if l.min < 0 {
                return Err(ApiError::invalid(
                    format!("levels[{i}].min"),
                    "must be 0 or more",
                ));
            }
            if !names.insert(l.name.trim()) {
                return Err(ApiError::invalid(
                    format!("levels[{i}].name"),
                    "each level needs its own name",
                ));
            }
        }
        for (field, v, max) in [
            ("points_per_yuan", self.points_per_yuan, 100),
            ("checkin_points", self.checkin_points, 10_000),
            ("referral_points", self.referral_points, 100_000),
            ("expiry_days", self.expiry_days, 3_650),
        ] {
            if !(0..=max).contains(&v) {
                return Err(ApiError::invalid(
                    field,
                    format!("must be between 0 and {max}"),
                ));
            }
        }
        Ok(())
    }

    fn from_stored(p: &Program) -> Self {
        ProgramInput {
            name: p.name.clone(),
            basis: p.basis.clone(),
            levels: serde_json::from_str(&p.levels).unwrap_or_default(),
            points_per_yuan: p.points_per_yuan,
            checkin_points: p.checkin_points,
            referral_points: p.referral_points,
            expiry_days: p.expiry_days,
        }
    }
}

/// The tenant's program, if set up.
pub async fn program(
    state: &AppState,
    tenant: &TenantId,
) -> Result<Option<ProgramInput>, ApiError> {
    Ok(store::program(&state.store, tenant)
        .await?
        .map(|p| ProgramInput::from_stored(&p)))
}

/// Sets up or changes the program.
pub async fn put_program(
    state: &AppState,
    tenant: &TenantId,
    mut input: ProgramInput,
    actor: &Actor,
) -> Result<ProgramInput, ApiError> {
    input.name = input.name.trim().to_owned();
    for l in &mut input.levels {
        l.name = l.name.trim().to_owned();
    }
    input.levels.sort_by_key(|l| l.min);
    input.check()?;
    let now = state.now();
    let stored = Program {
        name: input.name.clone(),
        basis: input.basis.clone(),
        levels: serde_json::to_string(&input.levels).map_err(|_| ApiError::Internal)?,
        points_per_yuan: input.points_per_yuan,
        checkin_points: input.checkin_points,
        referral_points: input.referral_points,
        expiry_days: input.expiry_days,
        updated_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::put_program(&mut tx, tenant, &stored).await?;
    record(
        &mut tx,
        Some(tenant),
        actor,
        "membership.program",
        None,
        Some(serde_json::to_value(&input).map_err(|_| ApiError::Internal)?),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(input)
}

/// A card as shown: level, points and history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardView {
    /// `mc_…`.
    pub id: String,
    /// The customer (live profile).
    pub customer_id: String,
    /// The number on the card.
    pub card_number: String,
    /// The program's name.
    pub program: String,
    /// Current level.
    pub level: Option<String>,
    /// The next level and what it takes, if any.
    pub next_level: Option<NextLevel>,
    /// Points that can be spent now.
    pub points: i64,
    /// Points expiring within 30 days.
    pub expiring_soon: i64,
    /// Every point ever earned.
    pub lifetime_points: i64,
    /// Lifetime spend recorded through the card, fen.
    pub spend_fen: i64,
    /// What the clerk scans: the card number with a check tag.
    pub code: String,
    /// The card's page for the customer's phone (WeChat's browser).
    pub h5_path: String,
    /// Ledger, newest first.
    #[schema(value_type = Vec<Object>)]
    pub ledger: Vec<LedgerRow>,
    /// Level changes, newest first.
    #[schema(value_type = Vec<Object>)]
    pub level_changes: Vec<store::LevelChange>,
    /// Whether the request added a ledger entry (false for a repeat).
    pub recorded: bool,
}

/// The next level.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextLevel {
    /// Its name.
    pub name: String,
    /// Points or fen still needed.
    pub needed: i64,
}

pub(crate) fn entries(rows: &[LedgerRow]) -> Vec<Entry> {
    rows.iter()
        .map(|r| Entry {
            id: r.id,
            points: r.points,
            kind: match r.kind.as_str() {
                "earn" => EntryKind::Earn,
                "expire" => EntryKind::Expire {
                    lot: r.lot.unwrap_or_default(),
                },
                _ => EntryKind::Spend,
            },
            at: r.at,
            expires_at: r.expires_at,
        })
        .collect()
}

/// The check code of a card: `M` + number + tag, checked without a lookup.
pub fn card_code(state: &AppState, tenant: &TenantId, number: &str) -> String {
    let tag = state
        .keys
        .tag("member-card", &format!("{tenant}:{number}"), 6);
    format!("M{number}{tag}")
}

/// The card number in a scanned or typed code, if the code is genuine.
pub fn check_card_code(state: &AppState, tenant: &TenantId, raw: &str) -> Option<String> {
    let code = crate::vouchers::normalise_code(raw);
    let rest = code.strip_prefix('M')?;
    if rest.len() < 7 || !rest.is_ascii() {
        return None;
    }
    let (number, tag) = rest.split_at(rest.len() - 6);
    let expected = state
        .keys
        .tag("member-card", &format!("{tenant}:{number}"), 6);
    crate::crypto::constant_eq(expected.as_bytes(), tag.as_bytes()).then(|| number.to_owned())
}

/// The signed path of a card's H5 page.
pub fn h5_path(state: &AppState, tenant: &TenantId, card_id: &str) -> String {
    format!(
        "/h5/card/{}",
        state.keys.sign(&format!("{tenant}:{card_id}"))
    )
}

/// `(tenant, card id)` of a signed H5 path segment.
pub fn open_h5(state: &AppState, signed: &str) -> Option<(TenantId, String)> {
    let value = state.keys.verify(signed)?;
    let (tenant, card) = value.split_once(':')?;
    Some((TenantId::parse(tenant).ok()?, card.to_owned()))
}

/// A card as shown.
pub async fn view(
    state: &AppState,
    tenant: &TenantId,
    card: Card,
    recorded: bool,
) -> Result<CardView, ApiError> {
    let program = program(state, tenant).await?;
    let rows = store::ledger(&state.store, &card.id).await?;
    let b = points::balance(&entries(&rows), state.now(), SOON_MS);
    let value = match program.as_ref().map(|p| p.basis.as_str()) {
        Some("spend") => card.spend_fen,
        _ => b.lifetime_earned,
    };
    let next_level = program.as_ref().and_then(|p| {
        p.levels
            .iter()
            .filter(|l| l.min > value)
            .min_by_key(|l| l.min)
            .map(|l| NextLevel {
                name: l.name.clone(),
                needed: l.min - value,
            })
    });
    let mut ledger: Vec<LedgerRow> = rows.into_iter().filter(|r| r.points != 0).collect();
    ledger.reverse();
    Ok(CardView {
        code: card_code(state, tenant, &card.card_number),
        h5_path: h5_path(state, tenant, &card.id),
        program: program.map(|p| p.name).unwrap_or_default(),
        level_changes: store::level_changes(&state.store, &card.id).await?,
        points: b.available,
        expiring_soon: b.expiring_soon,
        lifetime_points: b.lifetime_earned,
        next_level,
        ledger,
        recorded,
        id: card.id,
        customer_id: card.customer_id,
        card_number: card.card_number,
        level: card.level,
        spend_fen: card.spend_fen,
    })
}

/// The card of a customer (any id of the profile).
pub async fn card_of(
    state: &AppState,
    tenant: &TenantId,
    customer: &str,
) -> Result<Card, ApiError> {
    let root = siyu_store::profiles::canonical(&state.store, tenant, customer).await?;
    store::card_of_group(&state.store, tenant, &root)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Issues the customer's card (or returns the one they have): its number is the profile's
/// `member_card` identity if it has one (a POS import), else a new 12-digit number.
pub async fn issue_card(
    state: &AppState,
    tenant: &TenantId,
    customer: &str,
    actor: &Actor,
) -> Result<(Card, bool), ApiError> {
    let root = siyu_store::profiles::canonical(&state.store, tenant, customer).await?;
    let Some(program) = program(state, tenant).await? else {
        return Err(ApiError::Conflict {
            code: "no_membership_program",
            message: "set up the membership program first (levels and points rules)".into(),
        });
    };
    if let Some(card) = store::card_of_group(&state.store, tenant, &root).await? {
        return Ok((card, false));
    }
    let existing = siyu_store::profiles::identities_of(&state.store, tenant, &root)
        .await?
        .into_iter()
        .find(|i| i.kind == "member_card")
        .map(|i| i.value);
    let number = existing.clone().unwrap_or_else(|| {
        let mut rng = rand::thread_rng();
        format!("8{:011}", rng.gen_range(0..100_000_000_000u64))
    });
    let now = state.now();
    let id = format!("mc_{}", &siyu_domain::JobId::generate().as_str()[3..]);
    let level = points::level_for(&program.levels, 0).map(|l| l.name.clone());
    let mut tx = state.store.begin().await?;
    if existing.is_none() {
        let ident =
            siyu_identity::Identity::parse(siyu_identity::IdentityKind::MemberCard, &number)
                .map_err(|_| ApiError::Internal)?;
        crate::identity::link(state, &mut tx, tenant, &root, ident, "membership", now).await?;
    }
    let created =
        store::insert_card(&mut tx, tenant, &id, &root, &number, level.as_deref(), now).await?;
    if created {
        record(
            &mut tx,
            Some(tenant),
            actor,
            "membership.card_issue",
            Some(&id),
            None,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let card = store::card_of_group(&state.store, tenant, &root)
        .await?
        .ok_or(ApiError::Internal)?;
    Ok((card, created))
}

/// A points change as the API and console give it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PointsInput {
    /// `purchase` (with `amount_fen`), `checkin`, `referral`, `adjust` (with `points`) or
    /// `spend` (with `points`).
    pub reason: String,
    /// What it is for, unique per card and reason (an order id, a voucher…): a repeat changes
    /// nothing. Check-ins use the day (China time) when omitted.
    #[serde(default, rename = "ref")]
    pub reference: Option<String>,
    /// For a purchase: the amount in fen.
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// For `adjust` and `spend`: how many points.
    #[serde(default)]
    pub points: Option<i64>,
    /// A note for the ledger.
    #[serde(default)]
    pub note: Option<String>,
}

/// Writes expirations that have fallen due on a locked card; returns its ledger afterwards.
async fn expire_due(
    tx: &mut Tx,
    tenant: &TenantId,
    card: &str,
    now: i64,
) -> Result<Vec<LedgerRow>, ApiError> {
    let rows = store::ledger_tx(tx, card).await?;
    let entries = entries(&rows);
    let b = points::balance(&entries, now, 0);
    let mut wrote = false;
    // Lots past expiry: those with points left expire them; spent-out ones are closed with 0 so
    // the expiry job does not look at them again.
    for e in entries
        .iter()
        .filter(|e| e.kind == EntryKind::Earn && e.expires_at.is_some_and(|x| x <= now))
    {
        let left = b
            .due
            .iter()
            .find(|(lot, _)| *lot == e.id)
            .map(|d| d.1)
            .unwrap_or(0);
        let reference = format!("lot:{}", e.id);
        wrote |= store::append(
            tx,
            tenant,
            card,
            &NewEntry {
                kind: "expire",
                reason: "expire",
                points: left,
                r#ref: &reference,
                lot: Some(e.id),
                expires_at: None,
                note: None,
            },
            now,
        )
        .await?;
    }
    Ok(if wrote {
        store::ledger_tx(tx, card).await?
    } else {
        rows
    })
}

fn china_day(now: i64) -> String {
    // `YYYY-MM-DD HH:MM` in China time: the date is the first ten characters.
    let mut day = crate::console::templates::format_time(now);
    day.truncate(10);
    day
}

/// Records points on a customer's card: earns by the program's rules, or spends if the
/// balance allows. Exactly once per (reason, ref).
pub async fn record_points(
    state: &AppState,
    tenant: &TenantId,
    customer: &str,
    input: &PointsInput,
    actor: &Actor,
) -> Result<CardView, ApiError> {
    let card = card_of(state, tenant, customer).await?;
    let Some(program) = program(state, tenant).await? else {
        return Err(ApiError::Conflict {
            code: "no_membership_program",
            message: "set up the membership program first (levels and points rules)".into(),
        });
    };
    let now = state.now();
    let reference = input
        .reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    if reference.as_ref().is_some_and(|r| r.chars().count() > 100) {
        return Err(ApiError::invalid("ref", "at most 100 characters"));
    }
    let need_ref = || {
        reference.clone().ok_or_else(|| ApiError::invalid("ref", "give a reference (an order id, a receipt number…) so a repeat is not counted twice"))
    };
    let positive = |field: &str, v: Option<i64>| match v {
        Some(n) if n > 0 && n <= 100_000_000 => Ok(n),
        _ => Err(ApiError::invalid(field, "give a whole number above 0")),
    };
    let (kind, points, reference, spend_fen) = match input.reason.as_str() {
        "purchase" => {
            let amount = positive("amount_fen", input.amount_fen)?;
            (
                "earn",
                points::for_purchase(amount, program.points_per_yuan),
                need_ref()?,
                amount,
            )
        }
        "checkin" => (
            "earn",
            program.checkin_points,
            reference.unwrap_or_else(|| china_day(now)),
            0,
        ),
        "referral" => ("earn", program.referral_points, need_ref()?, 0),
        "adjust" => ("earn", positive("points", input.points)?, need_ref()?, 0),
        "spend" => ("spend", positive("points", input.points)?, need_ref()?, 0),
        _ => {
            return Err(ApiError::invalid(
                "reason",
                "use purchase, checkin, referral, adjust or spend",
            ))
        }
    };
    let mut tx = state.store.begin().await?;
    let locked = store::lock_card(&mut tx, tenant, &card.id).await?;
    let rows = expire_due(&mut tx, tenant, &card.id, now).await?;
    let b = points::balance(&entries(&rows), now, 0);
    if kind == "spend"
        && !rows
            .iter()
            .any(|r| r.reason == "spend" && r.r#ref == reference)
        && b.available < points
    {
        return Err(ApiError::Conflict {
            code: "insufficient_points",
            message: format!(
                "the card has {} points; {points} were asked for",
                b.available
            ),
        });
    }
    let expires_at =
        (kind == "earn" && program.expiry_days > 0).then(|| now + program.expiry_days * DAY_MS);
    let recorded = store::append(
        &mut tx,
        tenant,
        &card.id,
        &NewEntry {
            kind,
            reason: &input.reason,
            points,
            r#ref: &reference,
            lot: None,
            expires_at,
            note: input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
        },
        now,
    )
    .await?;
    if recorded {
        if spend_fen > 0 {
            store::add_spend(&mut tx, &card.id, spend_fen).await?;
        }
        let value = if program.basis == "spend" {
            locked.spend_fen + spend_fen
        } else {
            b.lifetime_earned + if kind == "earn" { points } else { 0 }
        };
        let level = points::level_for(&program.levels, value).map(|l| l.name.clone());
        if level != locked.level {
            store::change_level(
                &mut tx,
                tenant,
                &card.id,
                locked.level.as_deref(),
                level.as_deref(),
                now,
            )
            .await?;
        }
        record(
            &mut tx,
            Some(tenant),
            actor,
            "membership.points",
            Some(&card.id),
            Some(serde_json::json!({"reason": input.reason, "points": points, "ref": reference})),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let card = store::card_by_number(&state.store, tenant, &card.card_number).await?;
    view(state, tenant, card, recorded).await
}

/// Writes points expirations that have fallen due, for up to `limit` cards (the hourly job).
pub async fn expire_all(state: &AppState, limit: i64) -> Result<usize, ApiError> {
    let now = state.now();
    let due = store::cards_with_due_points(&state.store, now, limit).await?;
    for (tenant, card) in &due {
        let tenant = TenantId::parse(tenant).map_err(|_| ApiError::Internal)?;
        let mut tx = state.store.begin().await?;
        store::lock_card(&mut tx, &tenant, card).await?;
        expire_due(&mut tx, &tenant, card, now).await?;
        tx.commit().await?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    #[test]
    fn china_days() {
        // 2024-03-01 00:30 in Beijing is still 2024-02-29 in UTC.
        assert_eq!(super::china_day(1_709_224_200_000), "2024-03-01");
        assert_eq!(super::china_day(0), "1970-01-01");
    }
}
