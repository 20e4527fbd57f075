//! Synthetic Taobao order exports of any size, for the streaming test and `siyu bench`.
//!
//! Deterministic (a fixed linear congruential generator), GBK-encoded with CRLF line ends like
//! the real 订单报表, written line by line so a million rows never sit in memory here either.

use std::io::{self, Write};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "杰", "晓雨", "子涵",
];
const PLACES: &[&str] = &[
    "安徽省 合肥市 蜀山区 长江西路",
    "安徽省 合肥市 包河区 徽州大道",
    "安徽省 芜湖市 镜湖区 中山路",
    "浙江省 杭州市 西湖区 文三路",
    "浙江省 宁波市 鄞州区 天童南路",
    "江苏省 南京市 鼓楼区 中山北路",
    "上海 上海市 浦东新区 世纪大道",
    "广东省 深圳市 南山区 科苑路",
];
const ITEMS: &[(&str, &str, u64)] = &[
    ("法式碎花连衣裙 春季新款", "SYF-DR-001", 19_900),
    ("羊毛混纺开衫 宽松慵懒风", "SYF-KN-014", 25_800),
    ("纯棉白T恤 基础款", "SYF-TS-002", 5_990),
    ("复古牛仔外套 男女同款", "SYF-JK-007", 39_900),
    ("挂耳咖啡 10g*30袋", "SY-CF-030", 7_900),
    ("云南小粒咖啡豆 454g", "SY-CB-454", 9_800),
];
const STATES: &[&str] = &[
    "交易成功",
    "交易成功",
    "交易成功",
    "买家已付款，等待卖家发货",
    "卖家已发货，等待买家确认",
    "交易关闭",
];

/// The header of the synthetic export (a subset of the real 订单报表, with its padded names).
pub const TAOBAO_HEADER: &str = "订单编号,买家会员名,买家应付货款,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,宝贝总数量,商家编码";

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = items.len() as u64;
        &items[usize::try_from(self.next() % len).unwrap_or(0)]
    }
}

/// Writes a GBK Taobao order export of `rows` orders to `w`. Every `bad_every`-th order (0 for
/// none) has an amount with three decimals, so error paths are exercised at scale.
pub fn write_taobao_orders(mut w: impl Write, rows: u64, bad_every: u64) -> io::Result<()> {
    let mut rng = Lcg(20_240_301);
    write_gbk(&mut w, TAOBAO_HEADER)?;
    let mut line = String::with_capacity(256);
    for i in 0..rows {
        line.clear();
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let (title, sku, price) = *rng.pick(ITEMS);
        let qty = 1 + rng.next() % 3;
        let pay = price * qty - (rng.next() % 5) * 100;
        let amount = if bad_every > 0 && (i + 1) % bad_every == 0 {
            "12.345".to_string()
        } else {
            format!("{}.{:02}", pay / 100, pay % 100)
        };
        let phone = match rng.next() % 10 {
            0 => format!(
                "1{}{}****{:04}",
                3 + rng.next() % 7,
                rng.next() % 10,
                rng.next() % 10_000
            ),
            _ => format!("'1{}{:09}", 3 + rng.next() % 7, rng.next() % 1_000_000_000),
        };
        // Minutes from 2024-01-01 00:00, spread over a year.
        let minute = (i * 7 + rng.next() % 5) % (366 * 24 * 60);
        let (day, hm) = (minute / (24 * 60), minute % (24 * 60));
        let (month, dom) = month_day(day);
        let created = format!(
            "2024-{month:02}-{dom:02} {:02}:{:02}:{:02}",
            hm / 60,
            hm % 60,
            i % 60
        );
        let state = *rng.pick(STATES);
        let paid = if state == "交易关闭" {
            String::new()
        } else {
            created.clone()
        };
        use std::fmt::Write as _;
        let _ = write!(
            line,
            "=\"{}\",tb_{:08x},{}.00,{amount},{state},,{name},{} {}号 (230031),{phone},{created},{paid},{title},{qty},{sku}",
            3_400_000_000_000_000_000_u64 + i,
            rng.next() % 50_000_000,
            price * qty / 100,
            rng.pick(PLACES),
            1 + rng.next() % 999,
        );
        write_gbk(&mut w, &line)?;
    }
    w.flush()
}

fn write_gbk(w: &mut impl Write, line: &str) -> io::Result<()> {
    let (bytes, _, _) = encoding_rs::GBK.encode(line);
    w.write_all(&bytes)?;
    w.write_all(b"\r\n")
}

/// Month and day of the `day`-th day (0-based) of 2024, a leap year.
fn month_day(day: u64) -> (u64, u64) {
    const DAYS: [u64; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut d = day;
    for (m, len) in DAYS.iter().enumerate() {
        if d < *len {
            return (m as u64 + 1, d + 1);
        }
        d -= len;
    }
    (12, 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_deterministic_gbk() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_taobao_orders(&mut a, 50, 10).unwrap();
        write_taobao_orders(&mut b, 50, 10).unwrap();
        assert_eq!(a, b);
        assert!(std::str::from_utf8(&a).is_err(), "GBK, not UTF-8");
        assert_eq!(a.iter().filter(|b| **b == b'\n').count(), 51);
        assert_eq!(month_day(59), (2, 29));
        assert_eq!(month_day(365), (12, 31));
    }
}
