//! Prize draws at events and in store: many small prizes, per-person limits, and a
//! commit–reveal procedure (`siyu_domain::draw`) so anyone can check every result afterwards.

use serde::{Deserialize, Serialize};
use siyu_domain::draw::{self, EntryResult, Prize};
use siyu_domain::TenantId;
use siyu_store::draws::{self as store, Campaign, EntryRow};

use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// A prize in a new campaign.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrize {
    /// Display name, e.g. `美式咖啡券`.
    pub name: String,
    /// Chance per entry in basis points (100 = 1 %).
    pub odds_bp: u32,
    /// How many exist.
    pub stock: u32,
}

/// A new campaign.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// Display name.
    pub name: String,
    /// The prize pool; odds add up to at most 10000.
    pub prizes: Vec<NewPrize>,
    /// Opening time, Unix ms (default: now).
    pub starts_at: Option<i64>,
    /// Closing time, Unix ms.
    pub ends_at: Option<i64>,
    /// Entries per person per day (China time).
    pub per_day_limit: Option<i64>,
    /// Entries per person in total.
    pub total_limit: Option<i64>,
}

/// Creates a campaign with a fresh secret seed; only its commitment is published.
pub async fn create(
    state: &AppState,
    tenant: &TenantId,
    n: NewCampaign,
    actor: &Actor,
) -> Result<Campaign, ApiError> {
    let name_len = n.name.trim().chars().count();
    if name_len == 0 || name_len > 50 {
        return Err(ApiError::invalid("name", "must be 1 to 50 characters"));
    }
    if n.prizes.iter().any(|p| p.name.trim().is_empty()) {
        return Err(ApiError::invalid("prizes", "every prize needs a name"));
    }
    let procedure: Vec<Prize> = n
        .prizes
        .iter()
        .enumerate()
        .map(|(i, p)| Prize {
            index: u32::try_from(i).unwrap_or(u32::MAX),
            odds_bp: p.odds_bp,
            stock: p.stock,
        })
        .collect();
    draw::validate(&procedure).map_err(|e| ApiError::invalid("prizes", e.to_string()))?;
    if n.per_day_limit.is_some_and(|l| l < 1) || n.total_limit.is_some_and(|l| l < 1) {
        return Err(ApiError::invalid(
            "per_day_limit",
            "limits must be at least 1",
        ));
    }
    if let (Some(s), Some(e)) = (n.starts_at, n.ends_at) {
        if e <= s {
            return Err(ApiError::invalid("ends_at", "must be after starts_at"));
        }
    }
    // 32 random bytes in hex: what `siyu draw verify --seed HEX` is given after the close.
    let seed = crate::crypto::random_hex(32);
    let now = state.now();
    let c = Campaign {
        id: format!("dr_{}", &siyu_domain::JobId::generate().as_str()[3..]),
        tenant_id: tenant.to_string(),
        name: n.name.trim().to_owned(),
        seed_sealed: state.keys.seal(&seed),
        commitment: draw::commitment(&seed),
        revealed_seed: None,
        state: "open".into(),
        starts_at: n.starts_at,
        ends_at: n.ends_at,
        per_day_limit: n.per_day_limit,
        total_limit: n.total_limit,
        entries: 0,
        created_at: now,
    };
    let prizes: Vec<(String, i64, i64)> = n
        .prizes
        .iter()
        .map(|p| {
            (
                p.name.trim().to_owned(),
                i64::from(p.odds_bp),
                i64::from(p.stock),
            )
        })
        .collect();
    let mut tx = state.store.begin().await?;
    store::insert(&mut tx, &c, &prizes).await?;
    let detail = serde_json::json!({"name": c.name, "commitment": c.commitment});
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "draw.create",
        Some(&c.id),
        Some(detail),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// A stored prize as the fairness procedure sees it.
fn procedure_prize(p: &store::PrizeRow) -> Prize {
    Prize {
        index: u32::try_from(p.idx).unwrap_or(u32::MAX),
        odds_bp: u32::try_from(p.odds_bp).unwrap_or(0),
        stock: u32::try_from(p.stock).unwrap_or(0),
    }
}

/// The outcome of one entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Entered {
    /// Acceptance order.
    pub seq: i64,
    /// The entry's id (the HMAC message for verification).
    pub entry_id: String,
    /// The prize won (index and name), if any.
    pub prize: Option<WonPrize>,
    /// The voucher template the prize issues (the voucher follows within moments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_template_id: Option<String>,
}

/// A prize won.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WonPrize {
    /// Position in the campaign's prize list.
    pub index: i64,
    /// Its name.
    pub name: String,
}

fn refused(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        code,
        message: message.into(),
    }
}

/// Enters a customer into a campaign: eligibility, limits, roll and stock in one transaction.
pub async fn enter(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: &str,
    customer_id: &str,
) -> Result<Entered, ApiError> {
    let now = state.now();
    let c = store::get(&state.store, tenant, campaign_id).await?;
    let customer = siyu_store::customers::get(&state.store, tenant, customer_id)
        .await
        .map_err(|_| {
            ApiError::invalid(
                "customer_id",
                format!("no customer {customer_id} in this tenant"),
            )
        })?;
    if !customer.following {
        return Err(refused(
            "draw_not_eligible",
            "only fans who follow the Official Account may enter",
        ));
    }
    if c.starts_at.is_some_and(|s| now < s) || c.ends_at.is_some_and(|e| now >= e) {
        return Err(refused(
            "draw_not_open",
            "the campaign is not open at this time",
        ));
    }
    let seed = state
        .keys
        .open(&c.seed_sealed)
        .map_err(|_| ApiError::Internal)?;
    let prizes = store::prizes(&state.store, &c.id).await?;
    let procedure: Vec<Prize> = prizes.iter().map(procedure_prize).collect();

    // Read before the transaction: a pooled read while holding a write would starve the pool.
    let settings = store::settings(&state.store, &c.id).await?;
    let mut tx = state.store.begin().await?;
    let seq = store::next_seq(&mut tx, tenant, &c.id)
        .await?
        .ok_or_else(|| refused("draw_not_open", "the campaign is closed"))?;
    // China's day starts at 16:00 UTC of the previous day.
    let day_start = (now + 8 * 3_600_000).div_euclid(86_400_000) * 86_400_000 - 8 * 3_600_000;
    let (total, today) = store::customer_entries(&mut tx, &c.id, customer_id, day_start).await?;
    if c.total_limit.is_some_and(|l| total >= l) {
        return Err(refused(
            "draw_limit_reached",
            format!(
                "at most {} entries per person",
                c.total_limit.unwrap_or_default()
            ),
        ));
    }
    if c.per_day_limit.is_some_and(|l| today >= l) {
        return Err(refused(
            "draw_limit_reached",
            format!(
                "at most {} entries per person per day",
                c.per_day_limit.unwrap_or_default()
            ),
        ));
    }
    let entry_id = format!("{}:{seq}", c.id);
    let picked = draw::pick(draw::roll(&seed, &entry_id), &procedure).map(i64::from);
    let awarded = match picked {
        Some(idx) if store::take_prize(&mut tx, &c.id, idx).await? => Some(idx),
        _ => None,
    };
    let row = EntryRow {
        seq,
        entry_id: entry_id.clone(),
        customer_id: customer_id.to_owned(),
        picked,
        awarded,
        at: now,
    };
    store::insert_entry(&mut tx, &c.id, &row).await?;
    // A prize that is a voucher is issued by a job queued with the entry, once.
    let voucher_template = awarded.and_then(|i| {
        settings.as_ref().and_then(|s| {
            prize_vouchers(&s.prize_vouchers)
                .get(&i.to_string())
                .cloned()
        })
    });
    if let Some(t) = &voucher_template {
        crate::vouchers::enqueue_issue(
            &mut tx,
            tenant,
            t,
            customer_id,
            &format!("draw:{entry_id}"),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    let prize = awarded
        .and_then(|i| prizes.iter().find(|p| p.idx == i))
        .map(|p| WonPrize {
            index: p.idx,
            name: p.name.clone(),
        });
    Ok(Entered {
        seq,
        entry_id,
        prize,
        voucher_template_id: voucher_template,
    })
}

/// Closes a campaign and reveals its seed (audited).
pub async fn close(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: &str,
    actor: &Actor,
) -> Result<String, ApiError> {
    let c = store::get(&state.store, tenant, campaign_id).await?;
    if c.state != "open" {
        return Err(refused("draw_not_open", "the campaign is already closed"));
    }
    let seed = state
        .keys
        .open(&c.seed_sealed)
        .map_err(|_| ApiError::Internal)?;
    let now = state.now();
    let mut tx = state.store.begin().await?;
    store::close(&mut tx, tenant, campaign_id, &seed).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "draw.close",
        Some(campaign_id),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(seed)
}

/// Everything needed to check a closed campaign independently (`siyu draw verify`).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Export {
    /// Campaign id.
    pub campaign_id: String,
    /// `SHA-256(seed)`, published at creation.
    pub commitment: String,
    /// The revealed seed (absent while open).
    pub seed: Option<String>,
    /// The prizes (index, odds in basis points, stock).
    #[schema(value_type = Vec<Object>)]
    pub prizes: Vec<Prize>,
    /// Every entry in acceptance order with its award.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<EntryResult>,
}

/// The verification export of a campaign.
pub async fn export(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: &str,
) -> Result<Export, ApiError> {
    let c = store::get(&state.store, tenant, campaign_id).await?;
    export_of(&state.store, c).await
}

/// The verification export of a campaign already read.
pub async fn export_of(db: &siyu_store::Store, c: Campaign) -> Result<Export, ApiError> {
    let prizes = store::prizes(db, &c.id)
        .await?
        .iter()
        .map(procedure_prize)
        .collect();
    let entries = store::entries(db, &c.id)
        .await?
        .into_iter()
        .map(|e| EntryResult {
            seq: u64::try_from(e.seq).unwrap_or(0),
            entry_id: e.entry_id,
            awarded: e.awarded.and_then(|a| u32::try_from(a).ok()),
        })
        .collect();
    Ok(Export {
        campaign_id: c.id,
        commitment: c.commitment,
        seed: c.revealed_seed,
        prizes,
        entries,
    })
}

/// `{"<prize index>": "<template id>"}` as stored.
fn prize_vouchers(json: &str) -> std::collections::BTreeMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// How a campaign is entered from WeChat and which prizes are vouchers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawSettings {
    /// A fan who sends this text to the Official Account enters (a menu button with the click
    /// key `DRAW:<campaign id>` does too).
    #[serde(default)]
    pub keyword: Option<String>,
    /// The voucher template each prize issues when won, by prize index (`{"0": "vt_…"}`).
    #[serde(default)]
    pub prize_vouchers: std::collections::BTreeMap<String, String>,
}

/// A campaign's settings (empty when never set).
pub async fn settings(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: &str,
) -> Result<DrawSettings, ApiError> {
    store::get(&state.store, tenant, campaign_id).await?;
    Ok(match store::settings(&state.store, campaign_id).await? {
        Some(s) => DrawSettings {
            keyword: s.keyword,
            prize_vouchers: prize_vouchers(&s.prize_vouchers),
        },
        None => DrawSettings::default(),
    })
}

/// Sets how a campaign is entered from WeChat and which prizes are vouchers.
pub async fn set_settings(
    state: &AppState,
    tenant: &TenantId,
    campaign_id: &str,
    mut s: DrawSettings,
    actor: &Actor,
) -> Result<DrawSettings, ApiError> {
    let c = store::get(&state.store, tenant, campaign_id).await?;
    let prizes = store::prizes(&state.store, &c.id).await?;
    s.keyword = s
        .keyword
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty());
    if s.keyword.as_ref().is_some_and(|k| k.chars().count() > 20) {
        return Err(ApiError::invalid(
            "keyword",
            "keep the keyword to 20 characters",
        ));
    }
    for (idx, template) in &s.prize_vouchers {
        if !prizes.iter().any(|p| p.idx.to_string() == *idx) {
            return Err(ApiError::invalid(
                "prize_vouchers",
                format!("the campaign has no prize {idx} (prizes are numbered from 0)"),
            ));
        }
        siyu_store::vouchers::template(&state.store, tenant, template)
            .await
            .map_err(|_| {
                ApiError::invalid("prize_vouchers", format!("no voucher template {template}"))
            })?;
    }
    let now = state.now();
    let row = store::Settings {
        campaign_id: c.id.clone(),
        keyword: s.keyword.clone(),
        prize_vouchers: serde_json::to_string(&s.prize_vouchers).map_err(|_| ApiError::Internal)?,
    };
    let mut tx = state.store.begin().await?;
    store::set_settings(&mut tx, tenant, &row, now).await?;
    crate::services::record(
        &mut tx,
        Some(tenant),
        actor,
        "draw.settings",
        Some(&c.id),
        Some(serde_json::json!({"keyword": s.keyword})),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(s)
}

/// The signed path of a fan's H5 draw page.
pub fn h5_path(state: &AppState, tenant: &TenantId, campaign: &str, customer: &str) -> String {
    format!(
        "/h5/draw/{}",
        state.keys.sign(&format!("{tenant}:{campaign}:{customer}"))
    )
}

/// `(tenant, campaign, customer)` of a signed H5 draw path segment.
pub fn open_h5(state: &AppState, signed: &str) -> Option<(TenantId, String, String)> {
    let value = state.keys.verify(signed)?;
    let mut parts = value.splitn(3, ':');
    let tenant = TenantId::parse(parts.next()?).ok()?;
    Some((tenant, parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// What to tell a fan about an entry (or why there was none).
pub fn reply_text(result: &Result<Entered, ApiError>, link: &str) -> String {
    match result {
        Ok(Entered {
            prize: Some(p),
            voucher_template_id,
            ..
        }) => {
            let voucher = if voucher_template_id.is_some() {
                "，优惠券已放入你的券包"
            } else {
                ""
            };
            format!(
                "🎉 恭喜！你抽中了「{}」{voucher}。\n查看结果：{link}",
                p.name
            )
        }
        Ok(_) => format!("谢谢参与，这次没有抽中，下次再来！\n查看结果：{link}"),
        Err(e @ ApiError::Conflict { code, .. }) if *code == "draw_limit_reached" => {
            format!("{}\n查看结果：{link}", refusal(e))
        }
        Err(e) => refusal(e),
    }
}

/// Why an entry was refused, in the fan's words.
pub fn refusal(e: &ApiError) -> String {
    match e {
        ApiError::Conflict { code, message } => match *code {
            "draw_limit_reached" => format!("你的抽奖次数已用完（{message}）。"),
            "draw_not_eligible" => "关注公众号后才能参与抽奖。".to_owned(),
            _ => "活动还没开始或已经结束。".to_owned(),
        },
        _ => "抽奖暂时出了点问题，请稍后再试。".to_owned(),
    }
}
