//! The `siyu` binary as an operator uses it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly on purpose.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use siyu_store::testing::TestDb;
use siyu_store::Backend;

const SECRET: &str = "cli-test-secret-0123456789abcdef0123456789";

struct Env {
    dir: PathBuf,
    vars: Vec<(String, String)>,
}

impl Env {
    fn sqlite() -> Env {
        let dir =
            std::env::temp_dir().join(format!("siyu-cli-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let vars = vec![("SIYU_DATA_DIR".into(), dir.display().to_string())];
        Env { dir, vars }
    }

    fn with(mut self, k: &str, v: &str) -> Env {
        self.vars.push((k.into(), v.into()));
        self
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_siyu"));
        c.args(args)
            .env_remove("SIYU_DATABASE_URL")
            .env_remove("SIYU_LISTEN")
            .env("RUST_LOG", "warn");
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut c = self.cmd(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_healthy(port: u16, child: &mut Child) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("siyu exited early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("siyu did not become healthy on port {port}");
}

fn create_tenant(env: &Env, name: &str) -> (String, String) {
    let out = env.run(
        &["admin", "tenant", "create", "--name", name, "--json"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), 2, "exactly tenant_id and api_key: {v}");
    (
        v["tenant_id"].as_str().unwrap().to_owned(),
        v["api_key"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn tenant_and_staff_from_the_command_line() {
    let env = Env::sqlite();
    assert!(env.run(&["migrate"], None).status.success());
    let (tenant, key) = create_tenant(&env, "小满咖啡");
    assert!(tenant.starts_with("tn_") && key.starts_with("sy_"));

    let out = env.run(
        &[
            "admin",
            "staff",
            "create",
            "--tenant",
            &tenant,
            "--login",
            "boss",
            "--role",
            "owner",
            "--password-stdin",
            "--json",
        ],
        Some("long-enough-pw\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["login"].as_str(), v["role"].as_str()),
        (Some("boss"), Some("owner"))
    );

    let out = env.run(
        &[
            "admin",
            "staff",
            "create",
            "--login",
            "platform-root",
            "--role",
            "platform-admin",
            "--password-stdin",
        ],
        Some("long-enough-pw"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let bad = [
        (
            vec!["--tenant", &tenant, "--login", "user-two", "--role", "boss"],
            "--role",
        ),
        (
            vec![
                "--tenant",
                "tn_nope",
                "--login",
                "user-three",
                "--role",
                "clerk",
            ],
            "no tenant",
        ),
        (
            vec![
                "--tenant",
                "oops",
                "--login",
                "user-three",
                "--role",
                "clerk",
            ],
            "--tenant",
        ),
        (vec!["--login", "user-four", "--role", "clerk"], "tenant"),
        (
            vec!["--tenant", &tenant, "--login", "boss", "--role", "clerk"],
            "already taken",
        ),
    ];
    for (args, want) in bad {
        let mut full = vec!["admin", "staff", "create"];
        full.extend(args.iter().copied());
        full.push("--password-stdin");
        let out = env.run(&full, Some("long-enough-pw"));
        assert!(!out.status.success(), "{full:?} should fail");
        assert!(stderr(&out).contains(want), "{full:?}: {}", stderr(&out));
    }
    let out = env.run(
        &[
            "admin",
            "staff",
            "create",
            "--tenant",
            &tenant,
            "--login",
            "shorty",
            "--role",
            "clerk",
            "--password-stdin",
        ],
        Some("short"),
    );
    assert!(stderr(&out).contains("password"), "{}", stderr(&out));

    let out = env.run(&["admin", "tenant", "list", "--json"], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"][0]["staff"], 1);
}

#[test]
fn invalid_configuration_names_the_key() {
    let env = Env::sqlite().with("SIYU_LISTEN", "not-an-address");
    let out = env.run(&["migrate"], None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("SIYU_LISTEN") && err.contains("not-an-address"),
        "{err}"
    );

    let env = Env::sqlite();
    let file = env.dir.join("siyu.toml");
    std::fs::write(&file, "lisen = \"127.0.0.1:1\"\n").unwrap();
    let out = env.run(&["--config", file.to_str().unwrap(), "migrate"], None);
    let err = stderr(&out);
    assert!(
        !out.status.success() && err.contains("siyu.toml") && err.contains("lisen"),
        "{err}"
    );

    let env = Env::sqlite().with(
        "SIYU_DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    let err = stderr(&env.run(&["migrate"], None));
    assert!(err.contains("SIYU_SECRET_KEY"), "{err}");
}

#[test]
fn serve_refuses_an_unmigrated_database() {
    let env = Env::sqlite().with("SIYU_LISTEN", "127.0.0.1:0");
    let out = env.run(&["serve"], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("siyu migrate"), "{}", stderr(&out));
    let out = env.run(&["admin", "tenant", "list"], None);
    assert!(stderr(&out).contains("not migrated"), "{}", stderr(&out));
}

/// SIGTERM while a request is still uploading: the request completes, its write is durable,
/// and the process exits cleanly.
fn graceful_shutdown(env: &Env) {
    let (_, key) = create_tenant(env, "Shutdown");
    let port = free_port();
    let mut child = env
        .cmd(&["serve"])
        .env("SIYU_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);

    let body = r#"{"login":"late-writer","role":"clerk","password":"password1"}"#;
    let (first, rest) = body.split_at(10);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /api/v1/staff HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{first}",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(rest.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 201"),
        "in-flight request completed: {resp}"
    );

    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "no longer listening"
    );

    let out = env.run(&["admin", "tenant", "list", "--json"], None);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let staff: i64 = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["name"] == "Shutdown")
        .map(|t| t["staff"].as_i64().unwrap())
        .sum();
    assert_eq!(staff, 1, "the acknowledged write survived");
}

#[test]
fn sigterm_finishes_in_flight_requests_on_sqlite() {
    let env = Env::sqlite();
    assert!(env.run(&["migrate"], None).status.success());
    graceful_shutdown(&env);
}

#[test]
fn sigterm_finishes_in_flight_requests_on_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(Backend::Postgres));
    let env = Env::sqlite()
        .with("SIYU_DATABASE_URL", &db.url)
        .with("SIYU_SECRET_KEY", SECRET);
    assert!(env.run(&["migrate"], None).status.success());
    graceful_shutdown(&env);
    drop(env);
    rt.block_on(async move { drop(db) });
}

/// The console in a real browser: Debian's chromium driven by playwright-core.
#[test]
fn console_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script_dir = root.join("tests/browser");
    assert!(
        script_dir.join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` (scripts/test.sh does) before the browser test"
    );
    let env = Env::sqlite();
    assert!(env.run(&["migrate"], None).status.success());
    let (tenant, api_key) = create_tenant(&env, "小满咖啡 Xiaoman");
    let out = env.run(
        &[
            "admin",
            "staff",
            "create",
            "--tenant",
            &tenant,
            "--login",
            "xiaoman",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some("browser-pass-123"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let port = free_port();
    let mut child = env
        .cmd(&["serve"])
        .env("SIYU_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    let out = Command::new("node")
        .arg(script_dir.join("console.mjs"))
        .env("SIYU_URL", format!("http://127.0.0.1:{port}"))
        .env("SIYU_LOGIN", "xiaoman")
        .env("SIYU_PASSWORD", "browser-pass-123")
        .env("SIYU_TENANT", "小满咖啡 Xiaoman")
        .env("SIYU_API_KEY", &api_key)
        .env(
            "SIYU_IMPORT_FILE",
            root.join("crates/siyu-import/tests/data/taobao_orders.csv"),
        )
        .env("SIYU_SCREENSHOTS", root.join("target/screenshots"))
        .output()
        .expect("node is installed");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(root.join("target/screenshots/dashboard-en.png").exists());
    assert!(root.join("target/screenshots/h5-card-zh.png").exists());
}

/// README's first command, walked through in chromium: the demo's fans, conversation,
/// Official Account, menu editor and auto-reply try box.
#[test]
fn demo_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script_dir = root.join("tests/browser");
    assert!(
        script_dir.join("node_modules/playwright-core").exists(),
        "run scripts/setup.sh first"
    );
    let env = Env::sqlite();
    let port = free_port();
    let mut child = env
        .cmd(&["demo"])
        .env("SIYU_LISTEN", format!("127.0.0.1:{port}"))
        .env_remove("SIYU_WECHAT_API_BASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut password = None;
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = Some(p.to_owned());
        }
        if line.starts_with("Press Ctrl-C") {
            break;
        }
        line.clear();
    }
    let password = password.expect("the demo prints the password");
    // Follower import runs in the background; give it a moment to finish.
    std::thread::sleep(Duration::from_secs(2));
    let out = Command::new("node")
        .arg(script_dir.join("demo.mjs"))
        .env("SIYU_URL", format!("http://127.0.0.1:{port}"))
        .env("SIYU_PASSWORD", &password)
        .env("SIYU_SCREENSHOTS", root.join("target/screenshots"))
        .output()
        .expect("node is installed");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(
        out.status.success(),
        "demo walkthrough failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
}

#[test]
fn draw_verify_rederives_results_and_catches_forgeries() {
    use siyu_domain::draw::{award, commitment, pick, roll, EntryResult, Prize};
    let env = Env::sqlite();
    let prizes = vec![
        Prize {
            index: 0,
            odds_bp: 2_000,
            stock: 3,
        },
        Prize {
            index: 1,
            odds_bp: 5_000,
            stock: 40,
        },
    ];
    let seed = "revealed-seed-0123";
    let mut remaining = vec![3, 40];
    let entries: Vec<EntryResult> = (1..=200u64)
        .map(|seq| {
            let entry_id = format!("dr_x:{seq}");
            let awarded = award(
                pick(roll(seed, &entry_id), &prizes),
                &prizes,
                &mut remaining,
            );
            EntryResult {
                seq,
                entry_id,
                awarded,
            }
        })
        .collect();
    let export = serde_json::json!({"campaign_id": "dr_x", "commitment": commitment(seed), "seed": seed, "prizes": prizes, "entries": entries});
    let good = env.dir.join("export.json");
    std::fs::write(&good, export.to_string()).unwrap();
    let out = env.run(&["draw", "verify", good.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let last = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let v: Value = serde_json::from_str(&last).unwrap();
    assert_eq!(
        (v["verified"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(200))
    );

    let mut forged = export.clone();
    let i = entries.iter().position(|e| e.awarded.is_none()).unwrap();
    forged["entries"][i]["awarded"] = serde_json::json!(0);
    let bad = env.dir.join("forged.json");
    std::fs::write(&bad, forged.to_string()).unwrap();
    let out = env.run(&["draw", "verify", bad.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("forged.json"), "{}", stderr(&out));

    let mut wrong_seed = export.clone();
    wrong_seed["seed"] = serde_json::json!("guessed");
    std::fs::write(&bad, wrong_seed.to_string()).unwrap();
    let out = env.run(&["draw", "verify", bad.to_str().unwrap()], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("DOES NOT MATCH"));
    std::fs::write(&bad, "{\"campaign_id\": 1}").unwrap();
    let err = stderr(&env.run(&["draw", "verify", bad.to_str().unwrap()], None));
    assert!(err.contains("forged.json: line 1"), "{err}");
}

fn last_json(o: &Output) -> Value {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().last().unwrap_or_default();
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is JSON ({e}): {out}"))
}

fn http_get(port: u16, path: &str, key: &str) -> Value {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let req = format!(
        "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\nconnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {resp}"))
}

#[test]
fn import_from_other_channels() {
    let env = Env::sqlite().with("SIYU_SECRET_KEY", SECRET);
    assert!(env.run(&["migrate"], None).status.success());
    let (tenant, key) = create_tenant(&env, "导入");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../siyu-import/tests/data");
    let file = |name: &str| data.join(name).display().to_string();
    let import = |preset: &str, name: &str, extra: &[&str]| {
        let f = file(name);
        let mut args = vec![
            "import", "--tenant", &tenant, "--preset", preset, &f, "--json",
        ];
        args.extend_from_slice(extra);
        env.run(&args, None)
    };

    // A dry run shows what would change and changes nothing.
    let dry = import("taobao-orders", "taobao_orders.csv", &["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let d = last_json(&dry);
    assert_eq!(
        (d["rows"].as_u64(), d["imported"].as_u64()),
        (Some(15), Some(0))
    );
    assert_eq!(d["would_import"], 14);
    let first = import("taobao-orders", "taobao_orders.csv", &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let f = last_json(&first);
    assert_eq!(
        (
            f["rows"].as_u64(),
            f["imported"].as_u64(),
            f["rejected"].as_u64()
        ),
        (Some(15), Some(14), Some(1))
    );
    assert_eq!(f["created"], d["created"], "the dry run predicted it");
    assert_eq!(f["orders"], 14);
    assert_eq!(f["errors"][0]["line"], 11);
    // Again: nothing changes.
    let again = last_json(&import("taobao-orders", "taobao_orders.csv", &[]));
    assert_eq!(
        (
            again["created"].as_u64(),
            again["orders"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(14))
    );

    // Bad rows are named by line (header = 1) and column; the rest import.
    let bad = last_json(&import("taobao-orders", "taobao_orders_bad.csv", &[]));
    assert_eq!(bad["rejected"], 7);
    let errors = bad["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["line"] == 5 && e["field"] == "买家实际支付金额"),
        "{bad}"
    );
    assert!(errors
        .iter()
        .all(|e| e["message"].as_str().is_some_and(|m| !m.is_empty())));

    // GBK, XLSX and the other presets.
    for (preset, name) in [
        ("weibo-followers", "weibo_followers_gbk.csv"),
        ("pos-members", "pos_members.xlsx"),
        ("jd-orders", "jd_orders.csv"),
    ] {
        let o = import(preset, name, &[]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(last_json(&o)["imported"].as_u64().unwrap() > 0, "{name}");
    }
    // A file without a needed column changes nothing and says which.
    let o = import("jd-orders", "jd_orders_missing_column.csv", &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("jd_orders_missing_column.csv line 1")
            && stderr(&o).contains("应付金额"),
        "{}",
        stderr(&o)
    );
    let o = env.run(
        &[
            "import",
            "--tenant",
            &tenant,
            "--preset",
            "tmall",
            &file("jd_orders.csv"),
        ],
        None,
    );
    assert!(
        !o.status.success() && stderr(&o).contains("--preset"),
        "{}",
        stderr(&o)
    );

    // The imported customers are there through the API, phone in E.164.
    let port = free_port();
    let mut child = env
        .cmd(&["serve"])
        .env("SIYU_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port, &mut child);
    let found = http_get(port, "/api/v1/customers?identity=taobao:tb_lixiaoyu", &key);
    let c = &found["items"][0];
    let ids = c["identities"].to_string();
    assert!(ids.contains("+8613956781234"), "{found}");
    let by_phone = http_get(
        port,
        "/api/v1/customers?identity=phone:%2B8613956781234",
        &key,
    );
    assert_eq!(by_phone["items"][0]["id"], c["id"]);
    let _ = child.kill();
    let _ = child.wait();
}

/// A campaign run by the server on the deployment's SQLite file: `count` following fans each
/// enter once, then it closes. Returns `(campaign id, revealed seed)`.
fn run_campaign_in_database(env: &Env, count: usize) -> (String, String) {
    use siyu_server::services::{self, Actor};
    let vars: std::collections::HashMap<String, String> = env.vars.iter().cloned().collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let config = siyu_server::Config::load_from(None, |k| vars.get(k).cloned()).unwrap();
        let app = siyu_server::Application::build(
            config,
            siyu_server::BuildOptions {
                migrate: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let state = app.state().clone();
        let (tenant, _) = services::create_tenant(&state.store, "开奖", &Actor::Cli, state.now())
            .await
            .unwrap();
        let tenant = tenant.id;
        let mut tx = state.store.begin().await.unwrap();
        let mut fans = Vec::new();
        for i in 0..count {
            let openid = format!("o_verify_{i}");
            let fan = siyu_server::identity::Fan {
                app_id: "wx_cli_app",
                openid: &openid,
                unionid: None,
                source: "test",
            };
            let id = siyu_server::identity::wechat_fan(&state, &mut tx, &tenant, &fan, 1)
                .await
                .unwrap();
            siyu_store::customers::record_follow(
                &mut tx, &tenant, &id, "wa_cli", true, None, "test", 1, 1,
            )
            .await
            .unwrap();
            fans.push(id);
        }
        tx.commit().await.unwrap();
        let campaign: siyu_server::draws::NewCampaign = serde_json::from_value(serde_json::json!({
            "name": "门店抽奖",
            "prizes": [{"name": "美式咖啡券", "odds_bp": 3000, "stock": 4},
                       {"name": "贴纸", "odds_bp": 5000, "stock": 50}],
        }))
        .unwrap();
        let c = siyu_server::draws::create(&state, &tenant, campaign, &Actor::Cli)
            .await
            .unwrap();
        for fan in &fans {
            siyu_server::draws::enter(&state, &tenant, &c.id, fan)
                .await
                .unwrap();
        }
        let seed = siyu_server::draws::close(&state, &tenant, &c.id, &Actor::Cli)
            .await
            .unwrap();
        state.store.close().await;
        (c.id, seed)
    })
}

#[test]
fn draw_verify_reads_a_campaign_from_the_database() {
    let env = Env::sqlite().with("SIYU_SECRET_KEY", SECRET);
    let (campaign, seed) = run_campaign_in_database(&env, 30);
    let verify = |campaign: &str, seed: &str| {
        env.run(
            &["draw", "verify", "--campaign", campaign, "--seed", seed],
            None,
        )
    };

    let out = verify(&campaign, &seed);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = last_json(&out);
    assert_eq!(v["campaign_id"], campaign.as_str(), "{v}");
    assert_eq!(
        (
            v["verified"].as_bool(),
            v["entries"].as_u64(),
            v["mismatches"].as_u64()
        ),
        (Some(true), Some(30), Some(0)),
        "{v}"
    );
    assert!(v["awarded"].as_u64().unwrap() > 0, "{v}");

    // Another seed: the commitment does not match and the results do not follow.
    let out = verify(&campaign, "00ff");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("DOES NOT MATCH"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr(&out).contains(&campaign), "{}", stderr(&out));

    // One result changed in the database after the fact: found, non-zero.
    let db = env.dir.join("siyu.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        let n = sqlx::query(
            "UPDATE draw_entries SET awarded = 0, picked = 0 WHERE campaign_id = $1 \
             AND seq = (SELECT MIN(seq) FROM draw_entries WHERE campaign_id = $1 AND awarded IS NULL)",
        )
        .bind(&campaign)
        .execute(&mut c)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(n, 1, "one losing entry turned into a win");
    });
    let out = verify(&campaign, &seed);
    assert!(!out.status.success(), "a forged award is caught");
    let v = last_json(&out);
    assert_eq!(v["verified"].as_bool(), Some(false), "{v}");
    assert!(v["mismatches"].as_u64().unwrap() >= 1, "{v}");

    // Bad input names the flag.
    let err = stderr(&verify("dr_nope", &seed));
    assert!(err.contains("--campaign: no campaign dr_nope"), "{err}");
    let err = stderr(&verify(&campaign, " "));
    assert!(err.contains("--seed"), "{err}");
    let out = env.run(&["draw", "verify", "--campaign", &campaign], None);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--seed"), "{}", stderr(&out));
}
