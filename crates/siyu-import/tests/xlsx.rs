#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Workbook specifics: sheet choice, number and date cells, numbers Excel has already rounded.

mod common;

use common::{read_all_with, where_};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use siyu_import::{Fen, ImportError, OpenOptions, Preset};

fn jd_workbook() -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
    let mut wb = Workbook::new();
    let notes = wb.add_worksheet();
    notes.set_name("说明").unwrap();
    notes.write_string(0, 0, "本表由京东商家后台导出").unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("订单").unwrap();
    let when = Format::new().set_num_format("yyyy/m/d h:mm");
    for (c, h) in [
        "订单号",
        "下单帐号",
        "应付金额",
        "订单状态",
        "下单时间",
        "联系电话",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // Row 2: numbers as Excel stores them; a formula-like float; a date-time cell.
    ws.write_number(1, 0, 285_634_917_203.0).unwrap();
    ws.write_string(1, 1, "jd_5f3a9c2e1b7d4").unwrap();
    ws.write_number(1, 2, 35.900_000_000_000_006).unwrap();
    ws.write_string(1, 3, "完成").unwrap();
    let t = ExcelDateTime::parse_from_str("2024-03-01 12:30:45").unwrap();
    ws.write_datetime_with_format(1, 4, &t, &when).unwrap();
    ws.write_number(1, 5, 13_912_345_678.0).unwrap();
    // Row 3 left empty on purpose; row 4: an order number Excel has rounded.
    ws.write_number(3, 0, 3_412_345_678_901_234_567.0).unwrap();
    ws.write_string(3, 1, "xiaoming_hf").unwrap();
    ws.write_number(3, 2, 88).unwrap();
    ws.write_string(3, 3, "完成").unwrap();
    ws.write_string(3, 4, "2024-03-02 08:00:00").unwrap();
    wb.save(file.path()).unwrap();
    file
}

#[test]
fn a_chosen_sheet_reads_with_numbers_and_dates() {
    let file = jd_workbook();
    let options = OpenOptions {
        sheet: Some("订单".into()),
        ..OpenOptions::default()
    };
    let (records, summary) = read_all_with(file.path(), Preset::JdOrders.spec(), &options);
    assert_eq!((summary.rows, summary.ok, summary.rejected), (2, 1, 1));
    let order = records[0].order.as_ref().unwrap();
    assert_eq!(order.order_id, "285634917203");
    assert_eq!(order.amount, Fen(3590));
    assert_eq!(order.created_at, Some(1_709_267_445_000));
    assert_eq!(records[0].idempotency_key, "jd:order_id:285634917203");
    // The blank spreadsheet row 3 is skipped but keeps the numbering: the bad row is line 4.
    assert_eq!(where_(&summary.errors), [(4, "订单号")]);
    assert!(summary.errors[0].message.contains("Excel"));
}

#[test]
fn the_first_sheet_is_the_default_and_a_wrong_name_lists_the_sheets() {
    let file = jd_workbook();
    let err = siyu_import::read(
        file.path(),
        Preset::JdOrders.spec(),
        &OpenOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::MissingColumns(_)), "{err}");

    let options = OpenOptions {
        sheet: Some("Sheet1".into()),
        ..OpenOptions::default()
    };
    let err = siyu_import::open_with(file.path(), &options).unwrap_err();
    assert!(err.to_string().contains("说明, 订单"), "{err}");
}

#[test]
fn a_corrupt_workbook_is_one_error() {
    let file = tempfile::Builder::new().suffix(".xlsx").tempfile().unwrap();
    std::fs::write(file.path(), b"PK\x03\x04 this is not really a zip").unwrap();
    let err = siyu_import::open(file.path()).unwrap_err();
    assert!(err.to_string().contains("xlsx"), "{err}");
}

#[test]
fn workbook_progress_counts_rows() {
    let mut source = siyu_import::open(common::data("pos_members.xlsx")).unwrap();
    assert_eq!(source.progress().total, Some(13));
    let rows: Vec<_> = source.by_ref().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[0].line, 1);
    assert_eq!(rows[0].cells[0], "会员卡号");
    assert_eq!(source.progress().done, 13);
}

/// Writes a large POS member workbook for measuring the XLSX path in a separate process:
/// `SIYU_XLSX_ROWS=200000 cargo test --release -p siyu-import --test xlsx -- --ignored large`,
/// then `cargo run --release -p siyu-import --example scan -- pos-members target/pos_members_large.xlsx`.
#[test]
#[ignore = "writes a large file under target/ for a manual memory measurement"]
fn write_large_workbook() {
    let rows: u32 = std::env::var("SIYU_XLSX_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/pos_members_large.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, h) in [
        "会员卡号",
        "姓名",
        "手机号",
        "性别",
        "积分",
        "累计消费",
        "开卡门店",
        "开卡时间",
        "备注",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let opened = ExcelDateTime::parse_from_str("2023-05-20 10:30:00").unwrap();
    for i in 1..=rows {
        ws.write_string(i, 0, format!("SY{i:08}")).unwrap();
        ws.write_string(i, 1, format!("会员{i}")).unwrap();
        ws.write_number(i, 2, 13_900_000_000.0 + f64::from(i))
            .unwrap();
        ws.write_string(i, 3, if i % 2 == 0 { "女" } else { "男" })
            .unwrap();
        ws.write_number(i, 4, f64::from(i % 5000)).unwrap();
        ws.write_number(i, 5, f64::from(i % 100_000) / 10.0)
            .unwrap();
        ws.write_string(i, 6, "山野咖啡(合肥天鹅湖店)").unwrap();
        ws.write_datetime_with_format(i, 7, &opened, &when).unwrap();
        ws.write_string(
            i,
            8,
            format!("安徽省合肥市蜀山区长江西路{i}号 常客，喜欢燕麦拿铁"),
        )
        .unwrap();
    }
    wb.save(&path).unwrap();
    eprintln!("wrote {rows} rows to {}", path.display());
}
