//! Province and city from an address or a "所在地" cell.
//!
//! Exports write regions many ways: `安徽省 合肥市 蜀山区 …` (Taobao, spaced), `安徽合肥市蜀山区…`
//! (JD, run together), `安徽 合肥` (Weibo). Both come out in short form (`安徽`, `合肥`) so
//! segments group them alike. Unknown or foreign places give `None` rather than a guess.

/// Province-level divisions by short name; municipalities are their own city.
const PROVINCES: &[&str] = &[
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];

const MUNICIPALITIES: &[&str] = &["北京", "天津", "上海", "重庆"];

/// Suffixes that may follow a province's short name (longest first).
const PROVINCE_SUFFIXES: &[&str] = &[
    "壮族自治区",
    "回族自治区",
    "维吾尔自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
];

/// City-level suffixes and how many characters may stand before them.
const CITY_SUFFIXES: &[(&str, usize)] = &[("自治州", 10), ("地区", 6), ("市", 6), ("盟", 6)];

/// A place split into short province and city names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Region {
    /// Short province name, e.g. `安徽`.
    pub province: Option<String>,
    /// Short city name, e.g. `合肥` (prefectures keep their full name, e.g. `延边朝鲜族自治州`).
    pub city: Option<String>,
}

/// Splits an address or region text into province and city.
pub fn split_region(text: &str) -> Region {
    let s = text.trim();
    let Some(province) = PROVINCES.iter().find(|p| s.starts_with(**p)) else {
        return Region::default();
    };
    let mut rest = &s[province.len()..];
    if let Some(suffix) = PROVINCE_SUFFIXES.iter().find(|x| rest.starts_with(**x)) {
        rest = &rest[suffix.len()..];
    }
    let province = Some((*province).to_string());
    if MUNICIPALITIES.contains(&province.as_deref().unwrap_or_default()) {
        return Region {
            city: province.clone(),
            province,
        };
    }
    let spaced = rest.starts_with(char::is_whitespace);
    let rest = rest.trim_start();
    let token = rest.split(char::is_whitespace).next().unwrap_or("");
    Region {
        province,
        city: city_of(token, spaced || token.len() == rest.len()),
    }
}

/// The city at the start of `token`; a whole word without a suffix counts when `whole_word`.
fn city_of(token: &str, whole_word: bool) -> Option<String> {
    // The earliest suffix wins: `杭州市临安地区` is 杭州, not 杭州市临安.
    let found = CITY_SUFFIXES
        .iter()
        .filter_map(|(suffix, max_chars)| {
            let at = token.find(suffix)?;
            let chars = token[..at].chars().count();
            (1..=*max_chars).contains(&chars).then_some((at, *suffix))
        })
        .min_by_key(|(at, _)| *at);
    if let Some((at, suffix)) = found {
        let name = &token[..at];
        return Some(if suffix == "自治州" {
            format!("{name}{suffix}")
        } else {
            name.to_string()
        });
    }
    let chars = token.chars().count();
    (whole_word && (2..=6).contains(&chars) && !token.ends_with(['区', '县']))
        .then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(s: &str) -> (Option<String>, Option<String>) {
        let r = split_region(s);
        (r.province, r.city)
    }

    fn some(p: &str, c: &str) -> (Option<String>, Option<String>) {
        (Some(p.to_string()), Some(c.to_string()))
    }

    #[test]
    fn addresses_and_regions_split() {
        assert_eq!(
            pc("安徽省 合肥市 蜀山区 长江西路100号"),
            some("安徽", "合肥")
        );
        assert_eq!(pc("浙江杭州市西湖区文三路90号"), some("浙江", "杭州"));
        assert_eq!(pc("安徽 合肥"), some("安徽", "合肥"));
        assert_eq!(pc("上海市 浦东新区 世纪大道1号"), some("上海", "上海"));
        assert_eq!(pc("广西壮族自治区南宁市青秀区"), some("广西", "南宁"));
        assert_eq!(
            pc("吉林省延边朝鲜族自治州延吉市"),
            some("吉林", "延边朝鲜族自治州")
        );
        assert_eq!(pc("浙江"), (Some("浙江".to_string()), None));
        assert_eq!(pc("浙江省杭州市临安地区"), some("浙江", "杭州"));
    }

    #[test]
    fn unknown_places_are_not_guessed() {
        assert_eq!(pc("海外 美国"), (None, None));
        assert_eq!(pc("其他"), (None, None));
        assert_eq!(
            pc("广东深圳南山区科技园市场路"),
            (Some("广东".to_string()), None)
        );
    }
}
