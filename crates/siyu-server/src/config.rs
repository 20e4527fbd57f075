//! Configuration: embedded defaults, then a TOML file, then `SIYU_*` environment variables.
//! Everything is validated once at startup; an invalid value stops siyu with a message naming
//! the key and the problem.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A secret value: redacted in `Debug`, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// A database URL; its password is redacted in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub String);

impl DatabaseUrl {
    /// The URL itself, password included; only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", siyu_store::redact_url(&self.0))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&siyu_store::redact_url(&self.0))
    }
}

/// A configuration problem: which key, and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {key}: {problem}")]
pub struct ConfigError {
    /// The key as the person wrote it (`SIYU_LISTEN`, `listen` in the file, …).
    pub key: String,
    /// What is wrong.
    pub problem: String,
}

fn err(key: impl Into<String>, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        problem: problem.into(),
    }
}

/// The validated configuration siyu runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite:…` or `postgres://…`; defaults to a file under `data_dir`.
    pub database_url: DatabaseUrl,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Where the embedded database and generated files live.
    pub data_dir: PathBuf,
    /// Encrypts secrets at rest and signs cookies.
    pub secret_key: Secret,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// A request (including reading its body) taking longer than this is answered 408.
    pub request_timeout_secs: u64,
    /// Database connections per node.
    pub db_max_connections: u32,
    /// How long a console session lasts.
    pub session_ttl_hours: u64,
    /// Failed sign-ins per login within 15 minutes before further tries are refused.
    pub login_max_failures: i64,
    /// Whether this node runs background jobs.
    pub run_jobs: bool,
    /// The URL people and WeChat reach this deployment at (for printed links).
    pub public_url: Option<String>,
    /// WeChat's API host; tests and `siyu dev fake-wechat` point it at a local fake.
    pub wechat_api_base: String,
}

/// The file and environment layer: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layer {
    database_url: Option<String>,
    listen: Option<String>,
    data_dir: Option<String>,
    secret_key: Option<String>,
    body_limit_bytes: Option<String>,
    request_timeout_secs: Option<String>,
    db_max_connections: Option<String>,
    session_ttl_hours: Option<String>,
    login_max_failures: Option<String>,
    run_jobs: Option<String>,
    public_url: Option<String>,
    wechat_api_base: Option<String>,
}

/// A raw TOML value accepted for any key: strings, integers and booleans all become text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    S(String),
    I(i64),
    B(bool),
}

impl Config {
    /// Loads from an optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Self::load_from(file, |k| std::env::var(k).ok())
    }

    /// Loads from an optional TOML file and the given environment lookup.
    pub fn load_from(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut layer = match file {
            Some(p) => read_file(p)?,
            None => Layer::default(),
        };
        let mut from_env = Vec::new();
        macro_rules! env_override {
            ($($field:ident => $var:literal),*) => {$(
                if let Some(v) = env($var) {
                    layer.$field = Some(v);
                    from_env.push(stringify!($field));
                }
            )*};
        }
        env_override!(
            database_url => "SIYU_DATABASE_URL", listen => "SIYU_LISTEN", data_dir => "SIYU_DATA_DIR",
            secret_key => "SIYU_SECRET_KEY", body_limit_bytes => "SIYU_BODY_LIMIT_BYTES",
            request_timeout_secs => "SIYU_REQUEST_TIMEOUT_SECS", db_max_connections => "SIYU_DB_MAX_CONNECTIONS",
            session_ttl_hours => "SIYU_SESSION_TTL_HOURS", login_max_failures => "SIYU_LOGIN_MAX_FAILURES",
            run_jobs => "SIYU_RUN_JOBS", public_url => "SIYU_PUBLIC_URL", wechat_api_base => "SIYU_WECHAT_API_BASE"
        );
        // Name a key the way the person set it: env var if it came from there, else the file key.
        let key = |field: &str| -> String {
            if from_env.contains(&field) {
                format!("SIYU_{}", field.to_ascii_uppercase())
            } else {
                field.to_owned()
            }
        };
        Self::validate(layer, &key)
    }

    fn validate(l: Layer, key: &dyn Fn(&str) -> String) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(l.data_dir.unwrap_or_else(|| "./siyu-data".into()));
        if data_dir.as_os_str().is_empty() {
            return Err(err(key("data_dir"), "must not be empty"));
        }
        let database_url = match l.database_url {
            Some(u) if u.trim().is_empty() => {
                return Err(err(key("database_url"), "must not be empty"))
            }
            Some(u) => {
                if !(u.starts_with("sqlite:")
                    || u.starts_with("postgres://")
                    || u.starts_with("postgresql://"))
                {
                    return Err(err(
                        key("database_url"),
                        "must start with sqlite:, postgres:// or postgresql://",
                    ));
                }
                u
            }
            None => format!("sqlite:{}", data_dir.join("siyu.db").display()),
        };
        let listen_text = l.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            err(
                key("listen"),
                format!("'{listen_text}' is not an address like 127.0.0.1:8080"),
            )
        })?;
        let secret_key = match l.secret_key {
            Some(s) if s.chars().count() < 32 => {
                return Err(err(key("secret_key"), "must be at least 32 characters (e.g. `openssl rand -hex 32`)"));
            }
            Some(s) => Secret(s),
            None if database_url.starts_with("sqlite:") => Secret(local_secret(&data_dir)?),
            None => {
                return Err(err(
                    "SIYU_SECRET_KEY",
                    "required with PostgreSQL: every node must share the same key (e.g. `openssl rand -hex 32`)",
                ))
            }
        };
        Ok(Config {
            database_url: DatabaseUrl(database_url),
            listen,
            secret_key,
            body_limit_bytes: number(
                l.body_limit_bytes,
                1024 * 1024,
                1024,
                1 << 30,
                &key("body_limit_bytes"),
            )?,
            request_timeout_secs: number(
                l.request_timeout_secs,
                30,
                1,
                3600,
                &key("request_timeout_secs"),
            )?,
            db_max_connections: number(
                l.db_max_connections,
                10,
                1,
                1000,
                &key("db_max_connections"),
            )?,
            session_ttl_hours: number(
                l.session_ttl_hours,
                12,
                1,
                24 * 90,
                &key("session_ttl_hours"),
            )?,
            login_max_failures: number(
                l.login_max_failures,
                5,
                1,
                1000,
                &key("login_max_failures"),
            )?,
            run_jobs: match l.run_jobs.as_deref() {
                None | Some("true") | Some("1") => true,
                Some("false") | Some("0") => false,
                Some(o) => return Err(err(key("run_jobs"), format!("'{o}' is not true or false"))),
            },
            public_url: l.public_url.filter(|u| !u.is_empty()),
            wechat_api_base: match l.wechat_api_base {
                None => "https://api.weixin.qq.com".into(),
                Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                    u.trim_end_matches('/').to_owned()
                }
                Some(u) => {
                    return Err(err(
                        key("wechat_api_base"),
                        format!("'{u}' is not an http:// or https:// URL"),
                    ))
                }
            },
            data_dir,
        })
    }

    /// The base URL to print for people: `public_url`, else the listen address.
    pub fn base_url(&self) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.listen),
        }
    }
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    v: Option<String>,
    default: T,
    min: T,
    max: T,
    key: &str,
) -> Result<T, ConfigError> {
    let Some(text) = v else { return Ok(default) };
    let n: T = text
        .trim()
        .parse()
        .map_err(|_| err(key, format!("'{text}' is not a whole number")))?;
    if n < min || n > max {
        return Err(err(key, format!("{n} is outside {min}..={max}")));
    }
    Ok(n)
}

fn read_file(path: &Path) -> Result<Layer, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| err(&name, format!("cannot read the file: {e}")))?;
    let at = |e: &toml::de::Error| match e.span() {
        Some(span) => format!(
            "{name} line {}",
            text[..span.start.min(text.len())].matches('\n').count() + 1
        ),
        None => name.clone(),
    };
    let table: toml::Table =
        toml::from_str(&text).map_err(|e: toml::de::Error| err(at(&e), e.message().to_owned()))?;
    let mut flat = toml::Table::new();
    for (k, v) in table {
        let s = match v.clone().try_into::<Scalar>() {
            Ok(Scalar::S(s)) => s,
            Ok(Scalar::I(i)) => i.to_string(),
            Ok(Scalar::B(b)) => b.to_string(),
            Err(_) => {
                return Err(err(
                    format!("{name}: {k}"),
                    "must be a string, number or boolean",
                ))
            }
        };
        flat.insert(k, toml::Value::String(s));
    }
    toml::Value::Table(flat)
        .try_into()
        .map_err(|e: toml::de::Error| {
            // Point at the line of the offending key when serde names it.
            let line = e
                .message()
                .split('`')
                .nth(1)
                .and_then(|key| text.lines().position(|l| l.trim_start().starts_with(key)))
                .map(|i| format!("{name} line {}", i + 1))
                .unwrap_or_else(|| name.clone());
            err(line, e.message().to_owned())
        })
}

/// The embedded default's secret: generated once and kept in `data_dir/secret.key` (mode 0600).
fn local_secret(data_dir: &Path) -> Result<String, ConfigError> {
    use rand::RngCore;
    let path = data_dir.join("secret.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim().to_owned();
        if s.len() >= 32 {
            return Ok(s);
        }
        return Err(err(
            path.display().to_string(),
            "holds fewer than 32 characters; delete it to generate a new key",
        ));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        err(
            "data_dir",
            format!("cannot create {}: {e}", data_dir.display()),
        )
    })?;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = hex::encode(bytes);
    write_private(&path, &key)
        .map_err(|e| err(path.display().to_string(), format!("cannot write: {e}")))?;
    Ok(key)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(env: &[(&str, &str)], file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_from(file, |k| env.get(k).cloned())
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_apply() {
        let c = load(&[("SIYU_SECRET_KEY", KEY)], None).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url.expose(), "sqlite:./siyu-data/siyu.db");
        assert_eq!(c.body_limit_bytes, 1024 * 1024);
    }

    #[test]
    fn env_overrides_file_and_errors_name_the_key() {
        let dir = std::env::temp_dir().join(format!("siyu-cfg-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("siyu.toml");
        std::fs::write(
            &f,
            format!(
                "listen = \"127.0.0.1:9000\"\nsecret_key = \"{KEY}\"\nbody_limit_bytes = 2048\n"
            ),
        )
        .unwrap();
        let c = load(&[], Some(&f)).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.body_limit_bytes, 2048);
        let c = load(&[("SIYU_LISTEN", "0.0.0.0:7000")], Some(&f)).unwrap();
        assert_eq!(c.listen.port(), 7000);

        let e = load(&[("SIYU_LISTEN", "nope")], Some(&f)).unwrap_err();
        assert_eq!(e.key, "SIYU_LISTEN");
        assert!(e.to_string().contains("'nope'"), "{e}");

        std::fs::write(&f, "# siyu\nlistne = \"x\"\n").unwrap();
        let e = load(&[], Some(&f)).unwrap_err();
        assert!(e.to_string().contains("listne"), "{e}");
        assert!(e.key.ends_with("siyu.toml line 2"), "{e}");
        std::fs::write(&f, "listen = \n").unwrap();
        let e = load(&[], Some(&f)).unwrap_err();
        assert!(e.key.ends_with("line 1"), "{e}");

        std::fs::write(
            &f,
            format!("body_limit_bytes = \"big\"\nsecret_key = \"{KEY}\"\n"),
        )
        .unwrap();
        let e = load(&[], Some(&f)).unwrap_err();
        assert_eq!(e.key, "body_limit_bytes");
    }

    #[test]
    fn postgres_requires_a_shared_secret() {
        let e = load(&[("SIYU_DATABASE_URL", "postgres://x@localhost/db")], None).unwrap_err();
        assert_eq!(e.key, "SIYU_SECRET_KEY");
        let e = load(&[("SIYU_SECRET_KEY", "short")], None).unwrap_err();
        assert!(e.problem.contains("32"));
        let e = load(
            &[("SIYU_DATABASE_URL", "mysql://x"), ("SIYU_SECRET_KEY", KEY)],
            None,
        )
        .unwrap_err();
        assert_eq!(e.key, "SIYU_DATABASE_URL");
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = load(&[("SIYU_SECRET_KEY", KEY)], None).unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(KEY));
        assert!(dbg.contains("<redacted>"));
        let c = load(
            &[
                ("SIYU_SECRET_KEY", KEY),
                ("SIYU_DATABASE_URL", "postgres://u:pw123@h/db"),
            ],
            None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pw123"));
    }

    #[test]
    fn embedded_default_generates_and_keeps_a_secret() {
        let dir = std::env::temp_dir().join(format!("siyu-cfg-{}", rand::random::<u64>()));
        let d = dir.to_str().unwrap();
        let a = load(&[("SIYU_DATA_DIR", d)], None).unwrap();
        let b = load(&[("SIYU_DATA_DIR", d)], None).unwrap();
        assert_eq!(a.secret_key, b.secret_key);
        assert!(a.secret_key.expose().len() >= 32);
    }
}
