#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Bad rows are reported with line and column and skipped; bad files are one clear error.

mod common;

use std::io::Write;

use common::{data, outcomes, read_all, read_all_with, where_};
use siyu_import::{read, ImportError, OpenOptions, Outcome, Preset, TextEncoding};

#[test]
fn bad_rows_are_reported_and_the_rest_imports() {
    let (records, summary) = read_all("taobao_orders_bad.csv", Preset::TaobaoOrders.spec());
    assert_eq!((summary.rows, summary.ok, summary.rejected), (12, 5, 7));
    assert_eq!(
        records.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 4, 7, 10, 12]
    );
    assert_eq!(
        where_(&summary.errors),
        [
            (3, "联系手机"),
            (5, "买家实际支付金额"),
            (6, "买家实际支付金额"),
            (8, "订单创建时间"),
            (9, "订单编号"),
            (11, "联系手机"),
            (13, "联系手机"),
            (13, "买家实际支付金额"),
        ]
    );
    let message = |i: usize| summary.errors[i].message.as_str();
    assert!(message(0).contains("10 digits"), "{}", message(0));
    assert!(message(1).contains("negative"));
    assert!(message(2).contains("two decimals"));
    assert!(message(3).contains("does not exist"));
    assert!(message(4).contains("Excel"));
    assert!(message(5).contains("landline"));
    // The masked phone on line 12 is a warning; the order still imports.
    assert_eq!(where_(&summary.warnings), [(12, "联系手机")]);
    assert_eq!(summary.error_count, 8);
}

#[test]
fn the_json_line_has_the_agreed_shape() {
    let (_, summary) = read_all("taobao_orders_bad.csv", Preset::TaobaoOrders.spec());
    let line: serde_json::Value = serde_json::from_str(&summary.to_json_line(5)).unwrap();
    let keys: Vec<_> = line.as_object().unwrap().keys().cloned().collect();
    assert_eq!(line["rows"], 12);
    assert_eq!(line["imported"], 5);
    assert_eq!(line["rejected"], 7);
    assert_eq!(line["errors"][0]["line"], 3);
    assert_eq!(line["errors"][0]["field"], "联系手机");
    assert!(line["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("digits"));
    assert_eq!(line["errors"][0].as_object().unwrap().len(), 3);
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(sorted, ["errors", "imported", "rejected", "rows"]);
    assert!(summary
        .to_json_line(5)
        .starts_with(r#"{"rows":12,"imported":5,"rejected":7,"errors":[{"line":3,"field":"#));
}

#[test]
fn a_missing_column_is_one_clear_error() {
    let err = read(
        data("jd_orders_missing_column.csv"),
        Preset::JdOrders.spec(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    match &err {
        ImportError::MissingColumns(m) => {
            assert!(m.file.ends_with("jd_orders_missing_column.csv"));
            assert_eq!(m.line, 1);
            assert_eq!(m.missing, ["应付金额"]);
            assert_eq!(m.found.first().map(String::as_str), Some("订单号"));
            assert_eq!(m.found.len(), 10);
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(
            "jd_orders_missing_column.csv line 1: missing column 应付金额 for a JD order export"
        ),
        "{text}"
    );
    assert!(text.contains("the header has: 订单号, 商品ID"), "{text}");
}

#[test]
fn the_wrong_encoding_is_named() {
    for name in ["taobao_orders.csv", "weibo_followers_gbk.csv"] {
        let options = OpenOptions {
            encoding: Some(TextEncoding::Utf8),
            ..OpenOptions::default()
        };
        let spec = if name.starts_with("taobao") {
            Preset::TaobaoOrders.spec()
        } else {
            Preset::WeiboFollowers.spec()
        };
        let err = read(data(name), spec, &options).unwrap_err();
        match &err {
            ImportError::Encoding { line, message, .. } => {
                assert_eq!(*line, 1);
                assert!(
                    message.contains("UTF-8") && message.contains("GBK"),
                    "{message}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn an_explicit_gbk_choice_reads_gbk() {
    let options = OpenOptions {
        encoding: Some(TextEncoding::Gb18030),
        ..OpenOptions::default()
    };
    let (records, _) = read_all_with(
        data("weibo_followers_gbk.csv"),
        Preset::WeiboFollowers.spec(),
        &options,
    );
    assert_eq!(records.len(), 12);
    // A BOM outranks a wrong explicit choice.
    let (records, _) = read_all_with(data("jd_orders.csv"), Preset::JdOrders.spec(), &options);
    assert_eq!(records.len(), 12);
}

#[test]
fn undecodable_bytes_past_the_sniffed_head_reject_only_their_row() {
    let mut file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    let mut text = String::from("昵称,用户ID,性别\n");
    let mut line = 1;
    while text.len() < 70 * 1024 {
        line += 1;
        text.push_str(&format!("粉丝{line},{},女\n", 5_000_000_000_u64 + line));
    }
    file.write_all(text.as_bytes()).unwrap();
    file.write_all(b"\xB2\xE2\xCA\xD4,5999999999,\xC4\xD0\n")
        .unwrap(); // GBK 测试 / 男
    file.write_all("最后一位,6000000000,男\n".as_bytes())
        .unwrap();
    file.flush().unwrap();

    let (records, summary) = read_all_with(
        file.path(),
        Preset::WeiboFollowers.spec(),
        &OpenOptions::default(),
    );
    assert_eq!(summary.rejected, 1);
    assert_eq!(
        where_(&summary.errors),
        [(line + 1, "昵称"), (line + 1, "性别")]
    );
    assert!(summary.errors[0].message.contains("UTF-8"));
    assert_eq!(records.last().unwrap().line, line + 2);
    assert_eq!(summary.ok, (line - 1) + 1);
}

#[test]
fn excel_unicode_text_utf16_tab_separated_reads() {
    let text = std::fs::read_to_string(data("weibo_followers.csv")).unwrap();
    let mut tsv = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    for rec in reader.records() {
        let line = rec.unwrap().iter().collect::<Vec<_>>().join("\t") + "\r\n";
        tsv.push(line);
    }
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(tsv.concat().encode_utf16().flat_map(u16::to_le_bytes));
    let file = tempfile::Builder::new().suffix(".txt").tempfile().unwrap();
    std::fs::write(file.path(), bytes).unwrap();

    let source = siyu_import::open(file.path()).unwrap();
    assert_eq!(source.encoding(), Some(TextEncoding::Utf16Le));
    let (records, summary) = read_all_with(
        file.path(),
        Preset::WeiboFollowers.spec(),
        &OpenOptions::default(),
    );
    let (expected, _) = read_all("weibo_followers.csv", Preset::WeiboFollowers.spec());
    assert_eq!(summary.rows, 12);
    assert_eq!(records, expected);
}

#[test]
fn empty_files_and_web_pages_are_refused() {
    let empty = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    let err = read(
        empty.path(),
        Preset::PosMembers.spec(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("会员卡号"));

    let html = tempfile::Builder::new().suffix(".xls").tempfile().unwrap();
    std::fs::write(
        html.path(),
        "<html><table><tr><td>订单号</td></tr></table></html>",
    )
    .unwrap();
    let err = siyu_import::open(html.path()).unwrap_err();
    assert!(matches!(err, ImportError::Format { .. }), "{err}");
    assert!(err.to_string().contains("HTML"));

    let missing = read(
        "/nonexistent/订单.csv",
        Preset::JdOrders.spec(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(missing, ImportError::Io { .. }));
}

#[test]
fn header_only_files_have_no_rows_and_blank_lines_do_not_count() {
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), "会员卡号,姓名,手机号\n\n,,\n").unwrap();
    let (records, summary) = read_all_with(
        file.path(),
        Preset::PosMembers.spec(),
        &OpenOptions::default(),
    );
    assert!(records.is_empty());
    assert_eq!(summary.rows, 0);
}

#[test]
fn short_rows_read_missing_cells_as_empty() {
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        file.path(),
        "会员卡号,姓名,手机号,积分\nSY1,张三\n,李四,13800138000,10\n",
    )
    .unwrap();
    let out = outcomes_of(file.path());
    assert!(matches!(&out[0], Outcome::Valid(r) if r.identities.len() == 1));
    match &out[1] {
        Outcome::Rejected(errors) => {
            assert_eq!(where_(errors), [(3, "会员卡号")]);
            assert!(errors[0].message.contains("empty"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn outcomes_of(path: &std::path::Path) -> Vec<Outcome> {
    read(path, Preset::PosMembers.spec(), &OpenOptions::default())
        .unwrap()
        .map(|o| o.unwrap())
        .collect()
}

#[test]
fn a_title_line_above_the_header_is_skipped() {
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        file.path(),
        "山野咖啡会员导出 2024-03-01,,\n会员卡号,姓名,手机号\nSY1,张三,13800138000\n",
    )
    .unwrap();
    let records = read(
        file.path(),
        Preset::PosMembers.spec(),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(records.header_line(), 2);
    let all: Vec<_> = records.map(|o| o.unwrap()).collect();
    assert!(matches!(&all[..], [Outcome::Valid(r)] if r.line == 3));
}

#[test]
fn outcomes_follow_file_order() {
    let out = outcomes("taobao_orders_bad.csv", Preset::TaobaoOrders.spec());
    let kinds: String = out
        .iter()
        .map(|o| {
            if matches!(o, Outcome::Valid(_)) {
                'v'
            } else {
                'x'
            }
        })
        .collect();
    assert_eq!(kinds, "vxvxxvxxvxvx");
}
