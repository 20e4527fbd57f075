//! Synthetic profiles with the shape of a Chinese coffee-and-bakery merchant's audience, for
//! benchmarks and tests.
//!
//! - ~300 tags, Zipf-distributed (`咖啡控` is the most common, then `甜品`, `会员日`, …, then
//!   `标签-46` … `标签-299`), 0–6 per profile; coffee buyers often carry `咖啡控`;
//! - 31 provinces weighted by population, each with one to four cities (`安徽`: `合肥`, `芜湖`,
//!   `蚌埠`; `广东`: `广州`, `深圳`, `东莞`, `佛山`; …); ~10% without a region and ~10% with a
//!   province only;
//! - 60 channels (`poster-1`…`poster-16`, `table-1`…`table-20`, `moments-ad-*`, `live-*`,
//!   `shop-*`, `article-*`, `mini-program`, `search`), Zipf, with a first and a last touch;
//! - ~70% ever followed, ~85% of them still following, follows spread over three years;
//! - last interaction heavy-tailed: many within 7 or 30 days, many older, some never;
//! - ~40% buyers with geometric order counts, spend correlated with orders, the last order
//!   within two years, 1–5 purchases each over ~500 skus (`LATTE-L`, `AMERICANO-M`, …,
//!   `SKU-0030` … `SKU-0499`, Zipf) in ~40 categories (`咖啡`, `甜品`, …, `品类-39`);
//! - card levels (`普通`, `银卡`, `金卡`, `钻石`) for ~30%, with points up to 5000;
//! - identity kinds (`openid` for fans, `unionid`, `phone` ~50%, `taobao` ~20%, `jd` ~10%,
//!   `weibo` ~5%, `member_card` for level holders, …) and consents (`marketing` ~60%).
//!
//! Deterministic for a seed (a seeded [`SmallRng`], so on one platform and `rand` version).

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use crate::{Facts, Purchase};

const DAY: i64 = 86_400_000;
const YEAR: i64 = 365 * DAY;

/// Named tags, most common first; generated ones follow up to [`TAGS`].
const NAMED_TAGS: [&str; 46] = [
    "咖啡控",
    "甜品",
    "会员日",
    "新客",
    "老客",
    "高价值",
    "价格敏感",
    "学生",
    "白领",
    "宝妈",
    "夜猫子",
    "早鸟",
    "周末客",
    "外卖",
    "到店",
    "拿铁",
    "美式",
    "燕麦奶",
    "低糖",
    "抹茶",
    "生日月",
    "节日礼盒",
    "团购",
    "积分达人",
    "优惠券敏感",
    "直播观众",
    "社群活跃",
    "朋友圈互动",
    "摄影爱好者",
    "健身",
    "宠物",
    "旅行",
    "读书",
    "音乐",
    "游戏",
    "运动",
    "户外",
    "亲子",
    "情侣",
    "商务",
    "下午茶",
    "早餐",
    "夜宵",
    "素食",
    "无糖",
    "猫咪",
];
/// How many tags there are.
const TAGS: usize = 300;

/// A province, its population (millions, 2020 census), and its cities with relative weights.
type Province = (&'static str, u32, &'static [(&'static str, u32)]);

/// The 31 provinces.
const PROVINCES: [Province; 31] = [
    (
        "广东",
        126,
        &[("广州", 30), ("深圳", 35), ("东莞", 20), ("佛山", 15)],
    ),
    ("山东", 101, &[("济南", 40), ("青岛", 40), ("烟台", 20)]),
    ("河南", 99, &[("郑州", 65), ("洛阳", 35)]),
    ("江苏", 85, &[("南京", 40), ("苏州", 40), ("无锡", 20)]),
    ("四川", 84, &[("成都", 80), ("绵阳", 20)]),
    ("河北", 75, &[("石家庄", 60), ("保定", 40)]),
    ("湖南", 66, &[("长沙", 70), ("株洲", 30)]),
    ("浙江", 65, &[("杭州", 50), ("宁波", 30), ("温州", 20)]),
    ("安徽", 61, &[("合肥", 55), ("芜湖", 25), ("蚌埠", 20)]),
    ("湖北", 58, &[("武汉", 75), ("宜昌", 25)]),
    ("广西", 50, &[("南宁", 60), ("桂林", 40)]),
    ("云南", 47, &[("昆明", 75), ("大理", 25)]),
    ("江西", 45, &[("南昌", 65), ("赣州", 35)]),
    ("辽宁", 43, &[("沈阳", 55), ("大连", 45)]),
    ("福建", 41, &[("福州", 35), ("厦门", 40), ("泉州", 25)]),
    ("陕西", 40, &[("西安", 80), ("咸阳", 20)]),
    ("贵州", 38, &[("贵阳", 65), ("遵义", 35)]),
    ("山西", 35, &[("太原", 65), ("大同", 35)]),
    ("重庆", 32, &[("重庆", 1)]),
    ("黑龙江", 32, &[("哈尔滨", 70), ("大庆", 30)]),
    ("新疆", 26, &[("乌鲁木齐", 1)]),
    ("甘肃", 25, &[("兰州", 1)]),
    ("上海", 25, &[("上海", 1)]),
    ("内蒙古", 24, &[("呼和浩特", 55), ("包头", 45)]),
    ("吉林", 24, &[("长春", 65), ("吉林", 35)]),
    ("北京", 22, &[("北京", 1)]),
    ("天津", 14, &[("天津", 1)]),
    ("海南", 10, &[("海口", 60), ("三亚", 40)]),
    ("宁夏", 7, &[("银川", 1)]),
    ("青海", 6, &[("西宁", 1)]),
    ("西藏", 4, &[("拉萨", 1)]),
];

/// Named skus (most popular first) with their category index; generated ones follow.
const NAMED_SKUS: [(&str, usize); 30] = [
    ("LATTE-L", 0),
    ("AMERICANO-M", 0),
    ("LATTE-M", 0),
    ("TIRAMISU", 1),
    ("OAT-LATTE-L", 0),
    ("CAPPUCCINO-M", 0),
    ("CROISSANT", 2),
    ("AMERICANO-L", 0),
    ("MATCHA-LATTE", 4),
    ("CHEESECAKE", 1),
    ("MOCHA-M", 0),
    ("FLAT-WHITE", 0),
    ("COLD-BREW", 0),
    ("SANDWICH-HAM", 3),
    ("BROWNIE", 1),
    ("BAGEL", 2),
    ("ESPRESSO", 0),
    ("MILK-TEA", 4),
    ("MUFFIN", 2),
    ("COOKIE", 1),
    ("BEANS-250G", 6),
    ("DRIP-BAG-10", 6),
    ("JUICE-ORANGE", 5),
    ("TEA-OOLONG", 4),
    ("SALAD-CHICKEN", 3),
    ("YOGURT", 3),
    ("MUG-CLASSIC", 7),
    ("TUMBLER", 7),
    ("GIFT-BOX", 8),
    ("MOONCAKE-BOX", 9),
];
/// How many skus there are.
const SKUS: usize = 500;
/// Named categories; generated ones follow up to [`CATEGORIES`].
const NAMED_CATEGORIES: [&str; 10] = [
    "咖啡",
    "甜品",
    "烘焙",
    "轻食",
    "茶饮",
    "果汁",
    "咖啡豆",
    "周边",
    "礼盒",
    "节日限定",
];
/// How many categories there are.
const CATEGORIES: usize = 40;

const LEVELS: [(&str, u32); 4] = [("普通", 50), ("银卡", 30), ("金卡", 15), ("钻石", 5)];

/// A discrete distribution over `0..n` by cumulative weights.
struct Table {
    cumulative: Vec<f64>,
}

impl Table {
    fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Table { cumulative }
    }

    fn sample(&self, rng: &mut SmallRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let u = rng.gen::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c <= u)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

/// Zipf weights `1 / rank^s` for `n` ranks.
fn zipf(n: usize, s: f64) -> Table {
    Table::new((1..=n).map(|rank| 1.0 / (rank as f64).powf(s)))
}

fn weighted(weights: impl IntoIterator<Item = u32>) -> Table {
    Table::new(weights.into_iter().map(f64::from))
}

/// Everything a profile is drawn from.
struct Vocab {
    tags: Vec<String>,
    tag_pick: Table,
    tag_count: Table,
    provinces: Vec<(String, Vec<String>, Table)>,
    province_pick: Table,
    channels: Vec<String>,
    channel_pick: Table,
    skus: Vec<(String, usize)>,
    sku_pick: Table,
    categories: Vec<String>,
    levels: Vec<String>,
    level_pick: Table,
}

impl Vocab {
    fn new() -> Self {
        let tags: Vec<String> = NAMED_TAGS
            .iter()
            .map(|t| (*t).to_owned())
            .chain((NAMED_TAGS.len()..TAGS).map(|i| format!("标签-{i}")))
            .collect();
        let provinces = PROVINCES
            .iter()
            .map(|(p, _, cities)| {
                (
                    (*p).to_owned(),
                    cities.iter().map(|(c, _)| (*c).to_owned()).collect(),
                    weighted(cities.iter().map(|(_, w)| *w)),
                )
            })
            .collect();
        let mut channels: Vec<String> = Vec::new();
        channels.extend((1..=16).map(|i| format!("poster-{i}")));
        channels.extend((1..=20).map(|i| format!("table-{i}")));
        channels.extend((1..=8).map(|i| format!("moments-ad-{i}")));
        channels.extend((1..=4).map(|i| format!("live-{i}")));
        channels.extend((1..=6).map(|i| format!("shop-{i}")));
        channels.extend((1..=4).map(|i| format!("article-{i}")));
        channels.push("mini-program".to_owned());
        channels.push("search".to_owned());
        let categories: Vec<String> = NAMED_CATEGORIES
            .iter()
            .map(|c| (*c).to_owned())
            .chain((NAMED_CATEGORIES.len()..CATEGORIES).map(|i| format!("品类-{i}")))
            .collect();
        let skus = NAMED_SKUS
            .iter()
            .map(|(s, c)| ((*s).to_owned(), *c))
            .chain((NAMED_SKUS.len()..SKUS).map(|i| {
                let category = (i * 7) % CATEGORIES;
                (format!("SKU-{i:04}"), category)
            }))
            .collect();
        Vocab {
            tag_pick: zipf(tags.len(), 1.0),
            tags,
            tag_count: weighted([10, 20, 22, 18, 14, 9, 7]),
            provinces,
            province_pick: weighted(PROVINCES.iter().map(|p| p.1)),
            channel_pick: zipf(channels.len(), 0.9),
            channels,
            sku_pick: zipf(SKUS, 1.0),
            skus,
            categories,
            levels: LEVELS.iter().map(|(l, _)| (*l).to_owned()).collect(),
            level_pick: weighted(LEVELS.iter().map(|(_, w)| *w)),
        }
    }

    fn profile(&self, rng: &mut SmallRng, now: i64) -> Facts {
        let mut f = Facts::default();
        // How engaged this customer is, 0–1: drives recency of interactions and orders.
        let engaged: f64 = rng.gen();

        // Follows.
        f.ever_followed = rng.gen_bool(0.7);
        f.following = f.ever_followed && rng.gen_bool(0.85);
        if f.ever_followed {
            let ago = (rng.gen::<f64>().powf(1.5) * (3 * YEAR) as f64) as i64;
            f.followed_at = Some(now - ago);
        }

        // Interactions: heavy-tailed recency, more recent for the engaged.
        let r: f64 = rng.gen::<f64>() * (0.4 + 0.6 * (1.0 - engaged));
        let interacted = if f.following {
            rng.gen_bool(0.93)
        } else if f.ever_followed {
            rng.gen_bool(0.7)
        } else {
            rng.gen_bool(0.3)
        };
        if interacted {
            let ago = if r < 0.18 {
                rng.gen_range(0..7 * DAY)
            } else if r < 0.32 {
                rng.gen_range(7 * DAY..30 * DAY)
            } else if r < 0.55 {
                rng.gen_range(30 * DAY..YEAR)
            } else {
                rng.gen_range(YEAR..3 * YEAR)
            };
            f.last_interaction_at = Some(now - ago);
        }

        // Channels.
        if rng.gen_bool(0.92) {
            let first = self.channel_pick.sample(rng);
            f.first_channel = Some(self.channels[first].clone());
            let last = if rng.gen_bool(0.55) {
                first
            } else {
                self.channel_pick.sample(rng)
            };
            f.last_channel = Some(self.channels[last].clone());
        }

        // Region.
        let region: f64 = rng.gen();
        if region < 0.9 {
            let (province, cities, city_pick) = &self.provinces[self.province_pick.sample(rng)];
            f.province = Some(province.clone());
            if region < 0.8 {
                f.city = Some(cities[city_pick.sample(rng)].clone());
            }
        }

        // Orders and purchases.
        let buyer = rng.gen_bool((0.25 + 0.3 * engaged).min(1.0));
        let mut coffee = false;
        if buyer {
            // Geometric order counts, longer for the engaged (mean ~2 to ~7).
            let more = 0.5 + 0.36 * engaged;
            let mut orders = 1i64;
            while orders < 300 && rng.gen_bool(more) {
                orders += 1;
            }
            f.orders = orders;
            // ~25–60 yuan an order, now and then a bag of beans or a gift box.
            let per_order = 2_500.0 * (1.0 + 1.5 * rng.gen::<f64>().powi(3)) * normalish(rng);
            f.spend_fen = ((orders as f64) * per_order).round().max(100.0) as i64;
            let o: f64 = rng.gen::<f64>() * (0.5 + 0.5 * (1.0 - engaged));
            let ago = if o < 0.15 {
                rng.gen_range(0..30 * DAY)
            } else if o < 0.25 {
                rng.gen_range(30 * DAY..90 * DAY)
            } else if o < 0.4 {
                rng.gen_range(90 * DAY..YEAR)
            } else {
                rng.gen_range(YEAR..2 * YEAR)
            };
            let last = now - ago;
            f.last_order_at = Some(last);
            let items = orders.clamp(1, 5);
            for i in 0..items {
                let at = if i == 0 {
                    last
                } else {
                    rng.gen_range(now - 2 * YEAR..=last)
                };
                let (sku, category) = &self.skus[self.sku_pick.sample(rng)];
                coffee |= *category == 0;
                // A few items are known by category only.
                let sku = (!rng.gen_bool(0.02)).then(|| sku.clone());
                f.purchases.push(Purchase {
                    sku,
                    category: Some(self.categories[*category].clone()),
                    at,
                });
            }
        }

        // Tags.
        let count = self.tag_count.sample(rng);
        if coffee && rng.gen_bool(0.5) {
            f.tags.push(self.tags[0].clone());
        }
        for _ in 0..count {
            let tag = &self.tags[self.tag_pick.sample(rng)];
            if !f.tags.contains(tag) {
                f.tags.push(tag.clone());
            }
        }

        // Membership.
        if rng.gen_bool(if buyer { 0.5 } else { 0.17 }) {
            f.level = Some(self.levels[self.level_pick.sample(rng)].clone());
            f.points = (rng.gen::<f64>().powi(2) * 5_000.0) as i64;
        } else if rng.gen_bool(0.15) {
            f.points = rng.gen_range(0..300);
        }

        // Identities and consents.
        let mut kinds: Vec<&str> = Vec::new();
        if f.ever_followed {
            kinds.push("openid");
        }
        if rng.gen_bool(if f.ever_followed { 0.7 } else { 0.2 }) {
            kinds.push("unionid");
        }
        for (kind, p) in [
            ("phone", 0.5),
            ("taobao", 0.2),
            ("jd", 0.1),
            ("weibo", 0.05),
            ("email", 0.03),
            ("external", 0.08),
        ] {
            if rng.gen_bool(p) {
                kinds.push(kind);
            }
        }
        if f.level.is_some() {
            kinds.push("member_card");
        }
        if kinds.is_empty() {
            kinds.push("phone");
        }
        f.identity_kinds = kinds.into_iter().map(str::to_owned).collect();
        for (purpose, p) in [("marketing", 0.6), ("analytics", 0.35), ("sms", 0.25)] {
            if rng.gen_bool(p) {
                f.consents.push(purpose.to_owned());
            }
        }
        f
    }
}

/// Roughly normal around 1 (sd ~0.3), positive.
fn normalish(rng: &mut SmallRng) -> f64 {
    let s: f64 = (0..4).map(|_| rng.gen::<f64>()).sum();
    (1.0 + (s - 2.0) * 0.5).max(0.2)
}

/// `n` synthetic profiles as they would look at `now_ms`, the same for the same seed.
pub fn profiles(n: usize, seed: u64, now_ms: i64) -> impl Iterator<Item = Facts> {
    let vocab = Vocab::new();
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(move |_| vocab.profile(&mut rng, now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let now = 1_767_225_600_000;
        let a: Vec<Facts> = profiles(2_000, 7, now).collect();
        let b: Vec<Facts> = profiles(2_000, 7, now).collect();
        assert_eq!(a, b);
        assert_ne!(a, profiles(2_000, 8, now).collect::<Vec<_>>());
        let share =
            |f: &dyn Fn(&Facts) -> bool| a.iter().filter(|p| f(p)).count() as f64 / a.len() as f64;
        assert!((0.65..0.75).contains(&share(&|p| p.ever_followed)));
        assert!((0.3..0.5).contains(&share(&|p| p.orders > 0)));
        assert!((0.2..0.4).contains(&share(&|p| p.level.is_some())));
        assert!((0.55..0.65).contains(&share(&|p| p.consents.iter().any(|c| c == "marketing"))));
        assert!(share(&|p| p.tags.iter().any(|t| t == "咖啡控")) > 0.1);
        assert!(share(&|p| p.province.as_deref() == Some("安徽")) > 0.02);
        assert!(a
            .iter()
            .all(|p| p.tags.len() <= 7 && p.purchases.len() <= 5));
        assert!(a.iter().all(|p| !p.identity_kinds.is_empty()));
        assert!(a
            .iter()
            .flat_map(|p| &p.purchases)
            .all(|b| b.at <= now && b.at >= now - 2 * YEAR));
    }
}
