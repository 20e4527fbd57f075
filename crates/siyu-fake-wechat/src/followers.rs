//! Seeded followers and their `user/info` JSON (WECHAT.md 2.3).

use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};

use crate::ids;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀英", "晓燕", "建华",
];
const NICKNAMES: &[&str] = &[
    "快乐的小鱼",
    "追风少年",
    "一只喵",
    "阳光明媚",
    "简单生活",
    "岁月静好",
    "小确幸",
    "Lucky",
    "向日葵",
    "奶茶不加糖",
];
/// (province, cities); municipalities list districts as WeChat does.
const REGIONS: &[(&str, &[&str])] = &[
    ("广东", &["广州", "深圳", "佛山", "东莞", "珠海"]),
    ("浙江", &["杭州", "宁波", "温州", "绍兴"]),
    ("江苏", &["南京", "苏州", "无锡", "常州"]),
    ("北京", &["朝阳", "海淀", "东城", "西城"]),
    ("上海", &["浦东新区", "徐汇", "静安", "闵行"]),
    ("四川", &["成都", "绵阳", "宜宾"]),
    ("湖北", &["武汉", "宜昌", "襄阳"]),
    ("福建", &["福州", "厦门", "泉州"]),
    ("山东", &["济南", "青岛", "烟台"]),
    ("河南", &["郑州", "洛阳", "开封"]),
];
const SCENES: &[&str] = &[
    "ADD_SCENE_SEARCH",
    "ADD_SCENE_QR_CODE",
    "ADD_SCENE_PROFILE_CARD",
    "ADD_SCENE_ACCOUNT_MIGRATION",
    "ADD_SCENE_PROFILE_LINK",
    "ADD_SCENE_WECHAT_ADVERTISEMENT",
    "ADD_SCENE_OTHERS",
];
/// Subscribe time of the first seeded follower (2020-01-01T00:00:00Z).
const FIRST_SUBSCRIBE: i64 = 1_577_836_800;

/// A follower of the fake account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Follower {
    /// OpenID (28 characters, `o6_bmj…`).
    pub openid: String,
    /// UnionID (about half of the followers have one).
    pub unionid: Option<String>,
    /// Nickname (only returned with [`FakeConfig::legacy_profile`](crate::FakeConfig)).
    pub nickname: String,
    /// 1 male, 2 female, 0 unknown.
    pub sex: u8,
    /// Client language, e.g. `zh_CN`.
    pub language: String,
    /// City, in Chinese.
    pub city: String,
    /// Province, in Chinese.
    pub province: String,
    /// Country, in Chinese.
    pub country: String,
    /// Follow time (unix seconds); increases with the follower index.
    pub subscribe_time: i64,
    /// Follow channel, e.g. `ADD_SCENE_QR_CODE`.
    pub subscribe_scene: String,
    /// Numeric QR scene of the follow (0 if none).
    pub qr_scene: i64,
    /// String QR scene of the follow (empty if none).
    pub qr_scene_str: String,
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.gen_range(0..items.len())]
}

impl Follower {
    /// A profile for `openid` drawn from `rng`.
    fn draw(rng: &mut StdRng, openid: String, subscribe_time: i64) -> Self {
        let nickname = if rng.gen_bool(0.7) {
            format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
        } else {
            pick(rng, NICKNAMES).to_owned()
        };
        let (province, cities) = REGIONS[rng.gen_range(0..REGIONS.len())];
        let city = pick(rng, cities).to_owned();
        let subscribe_scene = pick(rng, SCENES).to_owned();
        let (qr_scene, qr_scene_str) = if subscribe_scene == "ADD_SCENE_QR_CODE" {
            if rng.gen_bool(0.5) {
                (rng.gen_range(1..100_000), String::new())
            } else {
                (0, format!("campaign_{}", rng.gen_range(1..50)))
            }
        } else {
            (0, String::new())
        };
        Follower {
            unionid: rng.gen_bool(0.5).then(|| ids::unionid(rng)),
            nickname,
            sex: [1, 2, 0][rng.gen_range(0..3)],
            language: if rng.gen_bool(0.9) { "zh_CN" } else { "en" }.to_owned(),
            city,
            province: province.to_owned(),
            country: "中国".to_owned(),
            subscribe_time,
            subscribe_scene,
            qr_scene,
            qr_scene_str,
            openid,
        }
    }

    /// A deterministic profile for an arbitrary OpenID (unseeded mode).
    pub(crate) fn synthesize(openid: &str, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ ids::fnv1a(openid));
        let time = FIRST_SUBSCRIBE + rng.gen_range(0..100_000_000);
        Self::draw(&mut rng, openid.to_owned(), time)
    }

    /// The `user/info` object. `tagid_list` comes from the tag state.
    pub(crate) fn info_json(&self, tagid_list: &[i64], legacy: bool) -> Value {
        let mut v = json!({
            "subscribe": 1,
            "openid": self.openid,
            "language": self.language,
            "subscribe_time": self.subscribe_time,
            "remark": "",
            "groupid": 0,
            "tagid_list": tagid_list,
            "subscribe_scene": self.subscribe_scene,
            "qr_scene": self.qr_scene,
            "qr_scene_str": self.qr_scene_str,
        });
        if let Some(u) = &self.unionid {
            v["unionid"] = json!(u);
        }
        if legacy {
            v["nickname"] = json!(self.nickname);
            v["sex"] = json!(self.sex);
            v["city"] = json!(self.city);
            v["province"] = json!(self.province);
            v["country"] = json!(self.country);
            v["headimgurl"] = json!("");
        }
        v
    }
}

/// The seeded followers in subscribe order, indexed by OpenID.
#[derive(Debug, Default)]
pub(crate) struct Followers {
    pub(crate) list: Vec<Follower>,
    index: HashMap<String, usize>,
}

impl Followers {
    /// `n` followers; the same `(n, seed)` always gives the same followers.
    pub(crate) fn generate(n: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x0f0f_f011_0ae5);
        let mut seen = HashSet::with_capacity(n);
        let mut list = Vec::with_capacity(n);
        let mut time = FIRST_SUBSCRIBE;
        while list.len() < n {
            let openid = ids::openid(&mut rng);
            if !seen.insert(openid.clone()) {
                continue;
            }
            time += rng.gen_range(1..=600);
            list.push(Follower::draw(&mut rng, openid, time));
        }
        let index = list
            .iter()
            .enumerate()
            .map(|(i, f)| (f.openid.clone(), i))
            .collect();
        Followers { list, index }
    }

    /// Whether followers were seeded (then unknown OpenIDs are rejected).
    pub(crate) fn is_seeded(&self) -> bool {
        !self.list.is_empty()
    }

    /// Position of `openid` in subscribe order.
    pub(crate) fn position(&self, openid: &str) -> Option<usize> {
        self.index.get(openid).copied()
    }

    /// The follower with `openid`.
    pub(crate) fn get(&self, openid: &str) -> Option<&Follower> {
        self.position(openid).and_then(|i| self.list.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_realistic() {
        let a = Followers::generate(200, 7);
        let b = Followers::generate(200, 7);
        assert_eq!(a.list, b.list);
        assert_ne!(a.list[0].openid, Followers::generate(1, 8).list[0].openid);
        let with_union = a.list.iter().filter(|f| f.unionid.is_some()).count();
        assert!((60..140).contains(&with_union), "{with_union}");
        assert!(a
            .list
            .windows(2)
            .all(|w| w[0].subscribe_time < w[1].subscribe_time));
        assert_eq!(a.position(&a.list[42].openid), Some(42));
        assert_eq!(Follower::synthesize("ox", 1), Follower::synthesize("ox", 1));
    }
}
