//! Smaller value parsers: ids, counts, gender, birthday, e-mail and order status.

use serde::Serialize;

use super::{halfwidth, is_scientific, strip_apostrophe, time, EXCEL_MANGLED};

/// Longest id accepted (order numbers, member cards, platform accounts).
const MAX_ID_LEN: usize = 64;

/// Cleans an identifier (order number, member card, account): no inner whitespace, not
/// scientific notation, at most 64 characters.
pub fn parse_id(raw: &str) -> Result<String, String> {
    let s = strip_apostrophe(raw);
    if is_scientific(s) {
        return Err(EXCEL_MANGLED.to_string());
    }
    if s.chars().any(char::is_whitespace) {
        return Err(format!("\"{raw}\" contains spaces; an id is one word"));
    }
    if s.chars().count() > MAX_ID_LEN {
        return Err(format!("is longer than {MAX_ID_LEN} characters"));
    }
    Ok(s.to_string())
}

/// A numeric id such as a Weibo UID: digits only.
pub fn parse_digits_id(raw: &str) -> Result<String, String> {
    let s = parse_id(raw)?;
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "\"{raw}\" is not a number id; it should be digits only"
        ));
    }
    Ok(s)
}

/// A whole, non-negative count (points, quantity): `1,200`, `120`, `120.00`.
pub fn parse_count(raw: &str) -> Result<i64, String> {
    let text = halfwidth(raw);
    let s: String = text.trim().chars().filter(|c| *c != ',').collect();
    if s.starts_with('-') {
        return Err(format!("\"{raw}\" is negative; it must be 0 or more"));
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b == b'0')
    {
        return Err(format!("\"{raw}\" is not a whole number"));
    }
    whole.parse().map_err(|_| format!("\"{raw}\" is too large"))
}

/// Whether the platform masked this value (`t**8`, `138****5678`).
pub fn is_masked(s: &str) -> bool {
    s.contains('*') || s.contains('＊')
}

/// A customer's gender as exports record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// 男 / M / male.
    Male,
    /// 女 / F / female.
    Female,
}

/// Reads 男/女 (also 男性, 先生, 女士, M/F, male/female, 1/2 as WeChat codes them); `Ok(None)` for
/// an explicit unknown (未知, 保密, 0).
pub fn parse_gender(raw: &str) -> Result<Option<Gender>, String> {
    let s = raw.trim().to_ascii_lowercase();
    match s.as_str() {
        "男" | "男性" | "先生" | "m" | "male" | "1" => Ok(Some(Gender::Male)),
        "女" | "女性" | "女士" | "f" | "female" | "2" => Ok(Some(Gender::Female)),
        "未知" | "保密" | "其他" | "0" | "u" | "unknown" => Ok(None),
        _ => Err(format!("\"{raw}\" is not a gender; write 男 or 女")),
    }
}

/// A birthday; exports from some POS systems omit the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Birthday {
    /// The year, when the export has it.
    pub year: Option<i32>,
    /// 1–12.
    pub month: u32,
    /// 1–31, valid for the month.
    pub day: u32,
}

/// Parses a birthday (`1990-05-12`, `19900512`, `5月12日`, an Excel date).
pub fn parse_birthday(raw: &str) -> Result<Birthday, String> {
    let (year, month, day) = time::parse_date(raw)?;
    Ok(Birthday { year, month, day })
}

/// A light check of an e-mail address, lower-cased so the same mailbox stitches as one identity.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let bad = || format!("\"{raw}\" is not an e-mail address");
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',')
        && !domain.contains('@');
    if !valid {
        return Err(bad());
    }
    Ok(s.to_lowercase())
}

/// What an order's status means, whatever the platform's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 等待买家付款, 待付款.
    PendingPayment,
    /// 买家已付款，等待卖家发货; 等待出库.
    Paid,
    /// 卖家已发货，等待买家确认; 等待确认收货.
    Shipped,
    /// 交易成功, 完成.
    Completed,
    /// 交易关闭, 已取消, (删除)锁定.
    Closed,
    /// 退款中, 售后.
    Refunding,
    /// Wording not recognised; the raw text is kept.
    Other,
}

/// Classifies a platform's status wording; order of checks matters ("等待买家付款" before "付款").
pub fn classify_status(raw: &str) -> OrderState {
    let s = raw.trim();
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    if has(&["退款", "售后", "退货"]) {
        OrderState::Refunding
    } else if has(&["关闭", "取消", "锁定", "删除"]) {
        OrderState::Closed
    } else if has(&["等待买家付款", "待付款", "未付款", "等待付款"]) {
        OrderState::PendingPayment
    } else if has(&["成功", "完成", "已收货", "已签收"]) {
        OrderState::Completed
    } else if has(&["已发货", "等待买家确认", "等待确认收货", "配送", "待收货"])
    {
        OrderState::Shipped
    } else if has(&[
        "已付款",
        "等待发货",
        "等待卖家发货",
        "等待出库",
        "待发货",
        "出库",
    ]) {
        OrderState::Paid
    } else {
        OrderState::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_counts() {
        assert_eq!(
            parse_id("'3412345678901234567").as_deref(),
            Ok("3412345678901234567")
        );
        assert!(parse_id("3.41234567890123E+18")
            .unwrap_err()
            .contains("Excel"));
        assert!(parse_id("VIP 001").is_err());
        assert_eq!(parse_digits_id("5512345678").as_deref(), Ok("5512345678"));
        assert!(parse_digits_id("abc123").is_err());
        assert_eq!(parse_count("1,200"), Ok(1200));
        assert_eq!(parse_count("120.00"), Ok(120));
        assert!(parse_count("12.5").is_err());
        assert!(parse_count("-3").is_err());
    }

    #[test]
    fn genders_and_emails() {
        assert_eq!(parse_gender("女"), Ok(Some(Gender::Female)));
        assert_eq!(parse_gender("M"), Ok(Some(Gender::Male)));
        assert_eq!(parse_gender("保密"), Ok(None));
        assert!(parse_gender("猫").is_err());
        assert_eq!(parse_email("Li.Na@QQ.com").as_deref(), Ok("li.na@qq.com"));
        assert!(parse_email("li.na@qq").is_err());
        assert!(parse_email("li na@qq.com").is_err());
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify_status("交易成功"), OrderState::Completed);
        assert_eq!(classify_status("等待买家付款"), OrderState::PendingPayment);
        assert_eq!(
            classify_status("买家已付款，等待卖家发货"),
            OrderState::Paid
        );
        assert_eq!(
            classify_status("卖家已发货，等待买家确认"),
            OrderState::Shipped
        );
        assert_eq!(classify_status("交易关闭"), OrderState::Closed);
        assert_eq!(classify_status("等待出库"), OrderState::Paid);
        assert_eq!(classify_status("完成"), OrderState::Completed);
        assert_eq!(classify_status("(删除)锁定"), OrderState::Closed);
        assert_eq!(classify_status("退款中"), OrderState::Refunding);
        assert_eq!(classify_status("神秘状态"), OrderState::Other);
    }
}
