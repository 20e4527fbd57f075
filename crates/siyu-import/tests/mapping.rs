#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Custom column mappings, alone or laid over a preset, and their validation errors.

mod common;

use common::{data, read_all, read_all_with, where_};
use siyu_import::{Birthday, Fen, Gender, IdentityKind, ImportError, Mapping, OpenOptions, Preset};

fn mapping_error(text: &str, json: bool) -> (String, String) {
    match Mapping::parse(text, "m.toml", json).and_then(|m| m.spec()) {
        Err(ImportError::Mapping { file, key, message }) => {
            assert_eq!(file, "m.toml");
            (key, message)
        }
        other => panic!("expected a mapping error, got {other:?}"),
    }
}

#[test]
fn a_custom_mapping_reads_a_crm_export() {
    let spec = Mapping::load(data("crm_mapping.toml"))
        .unwrap()
        .spec()
        .unwrap();
    let (records, summary) = read_all("crm_customers.csv", spec);
    assert_eq!((summary.rows, summary.ok, summary.rejected), (5, 4, 1));
    assert_eq!(where_(&summary.errors), [(5, "邮箱")]);

    let first = &records[0];
    assert_eq!(first.idempotency_key, "crm:phone:+8613955112233");
    assert_eq!(first.profile.name.as_deref(), Some("何静"));
    assert_eq!(first.profile.gender, Some(Gender::Female));
    assert_eq!(
        first.profile.birthday,
        Some(Birthday {
            year: Some(1991),
            month: 7,
            day: 8
        })
    );
    assert_eq!(
        (
            first.profile.province.as_deref(),
            first.profile.city.as_deref()
        ),
        (Some("安徽"), Some("合肥"))
    );
    assert_eq!(first.identity(IdentityKind::Email), Some("hejing@163.com"));
    assert_eq!(
        first.membership.as_ref().unwrap().total_spend,
        Some(Fen(123_450))
    );
    assert!(first.order.is_none());

    assert_eq!(
        records[1].identity(IdentityKind::Phone),
        Some("+8613856001122")
    );
    assert_eq!(records[1].identity(IdentityKind::Email), None);
    assert_eq!(
        records[3].identity(IdentityKind::Email),
        Some("peng.li@example.com")
    );
    assert_eq!(
        records[3].membership.as_ref().unwrap().total_spend,
        Some(Fen(1_200_000))
    );
}

#[test]
fn toml_and_json_mappings_are_the_same() {
    let toml = Mapping::load(data("crm_mapping.toml"))
        .unwrap()
        .spec()
        .unwrap();
    let json = Mapping::load(data("crm_mapping.json"))
        .unwrap()
        .spec()
        .unwrap();
    assert_eq!(toml.columns(), json.columns());
    assert_eq!(
        (toml.key_field(), toml.source()),
        (json.key_field(), json.source())
    );
}

#[test]
fn a_mapping_over_a_preset_renames_only_its_columns() {
    let csv = std::fs::read_to_string(data("jd_orders.csv")).unwrap();
    let renamed = csv
        .replacen("应付金额", "实付款", 1)
        .replacen("下单帐号", "买家账号", 1);
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(file.path(), renamed).unwrap();

    let refused = siyu_import::read(
        file.path(),
        Preset::JdOrders.spec(),
        &OpenOptions::default(),
    );
    assert!(matches!(refused, Err(ImportError::MissingColumns(_))));

    let mapping = Mapping::parse(
        "[columns]\namount = \"实付款\"\njd_pin = \"买家账号\"\n",
        "jd.toml",
        false,
    )
    .unwrap();
    let spec = mapping.apply(Preset::JdOrders.spec()).unwrap();
    assert_eq!(spec.source(), "jd");
    let (records, summary) = read_all_with(file.path(), spec, &OpenOptions::default());
    let (expected, _) = read_all("jd_orders.csv", Preset::JdOrders.spec());
    assert_eq!(summary.ok, 12);
    assert_eq!(records, expected);
}

#[test]
fn mapping_mistakes_name_the_file_and_key() {
    let (key, message) = mapping_error("[columns]\nphon = \"手机\"\n", false);
    assert_eq!(key, "columns.phon");
    assert!(
        message.contains("unknown field \"phon\"") && message.contains("phone"),
        "{message}"
    );

    let (key, _) = mapping_error(r#"{"columns": {"phone": " "}}"#, true);
    assert_eq!(key, "columns.phone");

    let (key, message) = mapping_error(
        "identity = \"name\"\n[columns]\nname = \"客户名称\"\n",
        false,
    );
    assert_eq!(key, "identity");
    assert!(message.contains("cannot identify"), "{message}");

    let (key, _) = mapping_error("identity = \"email\"\n[columns]\nphone = \"手机\"\n", false);
    assert_eq!(key, "identity");

    let (key, _) = mapping_error("[columns]\nname = \"客户名称\"\n", false);
    assert_eq!(key, "identity");

    let (key, _) = mapping_error(
        "optional = [\"email\"]\n[columns]\nphone = \"手机\"\n",
        false,
    );
    assert_eq!(key, "optional[0]");

    let (key, _) = mapping_error("[columns]\norder_id = \"单号\"\n", false);
    assert_eq!(key, "columns.amount");

    let (key, message) = mapping_error("colums = 1\n", false);
    assert_eq!(key, "syntax");
    assert!(message.contains("colums"), "{message}");

    let (key, _) = mapping_error("{\"columns\": {\"phone\": \"手机\"", true);
    assert_eq!(key, "syntax");

    let (key, _) = mapping_error("source = \"My CRM\"\n[columns]\nphone = \"手机\"\n", false);
    assert_eq!(key, "source");

    let err = Mapping::load("/nonexistent/mapping.toml").unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }));
}

#[test]
fn the_key_defaults_sensibly_and_a_masked_key_rejects_the_row() {
    let spec = Mapping::parse(
        "[columns]\norder_id = \"单号\"\namount = \"金额\"\nphone = \"手机\"\n",
        "m.toml",
        false,
    )
    .unwrap()
    .spec()
    .unwrap();
    assert_eq!(spec.key_field(), siyu_import::Field::OrderId);
    assert_eq!(spec.source(), "custom");

    let spec = Mapping::parse(
        "[columns]\nname = \"姓名\"\nphone = \"手机\"\n",
        "m.toml",
        false,
    )
    .unwrap()
    .spec()
    .unwrap();
    assert_eq!(spec.key_field(), siyu_import::Field::Phone);
    let file = tempfile::Builder::new().suffix(".csv").tempfile().unwrap();
    std::fs::write(
        file.path(),
        "姓名,手机\n张三,138****5678\n李四,13800138000\n",
    )
    .unwrap();
    let (records, summary) = read_all_with(file.path(), spec, &OpenOptions::default());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].idempotency_key, "custom:phone:+8613800138000");
    assert_eq!(where_(&summary.errors), [(2, "手机")]);
    assert!(summary.errors[0].message.contains("masked"));
}
