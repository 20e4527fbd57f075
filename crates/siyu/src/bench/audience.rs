//! `siyu bench audience`: a five-predicate segment with a time window over N synthetic
//! profiles, evaluated by the in-memory index and, on the same data in the same run, by SQLite
//! and PostgreSQL with the tables indexed for that query. Every engine must count the same
//! members; the figures are the medians of repeated evaluations.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::json;
use siyu_audience::{synth, window_start_minute, Facts, Index, MINUTE_MS};
use siyu_domain::segment::{self, Expr, Pred, Window};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, QueryBuilder};

/// The segment measured: tags, region, a purchase window, an activity window and a channel.
pub const QUERY: &str = "tag(\"咖啡控\") and region(\"安徽/合肥\") and bought(sku \"LATTE-L\", within 30d) and active(within 7d) and not channel(\"poster-2\")";

/// Options.
pub struct Options {
    /// Profiles.
    pub profiles: usize,
    /// Generator seed.
    pub seed: u64,
    /// Skip the SQL baselines (engine only).
    pub engine_only: bool,
}

/// 2026-11-23T12:00:00+08:00 plus a few seconds, so windows do not start on whole minutes.
const NOW: i64 = 1_795_406_400_000 + 23_456;
const ENGINE_RUNS: usize = 21;
const SQL_RUNS: usize = 5;
const COPY_BATCH: usize = 1 << 20;
const INSERT_ROWS: usize = 2_000;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort_unstable();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The SQL parameters of [`QUERY`].
struct Params {
    tag: String,
    province: String,
    city: String,
    sku: String,
    bought_since: i64,
    active_since: i64,
    channel: String,
}

fn params(expr: &Expr) -> Result<Params, String> {
    let (mut tag, mut region, mut sku, mut bought, mut active, mut channel) =
        (None, None, None, None, None, None);
    let Expr::And(parts) = expr else {
        return Err("the bench query is a conjunction".into());
    };
    let since = |w: &Window| window_start_minute(*w, NOW) * MINUTE_MS;
    for p in parts {
        match p {
            Expr::Pred(Pred::Tag(t)) => tag = Some(t.clone()),
            Expr::Pred(Pred::Region { province, city }) => {
                region = Some((province.clone(), city.clone().unwrap_or_default()))
            }
            Expr::Pred(Pred::Bought {
                sku: Some(s),
                window: Some(w),
                ..
            }) => {
                sku = Some(s.clone());
                bought = Some(since(w));
            }
            Expr::Pred(Pred::Active(w)) => active = Some(since(w)),
            Expr::Not(inner) => {
                if let Expr::Pred(Pred::Channel { name, .. }) = inner.as_ref() {
                    channel = Some(name.clone());
                }
            }
            _ => {}
        }
    }
    let missing = || "the bench query lost a predicate".to_owned();
    let (province, city) = region.ok_or_else(missing)?;
    Ok(Params {
        tag: tag.ok_or_else(missing)?,
        province,
        city,
        sku: sku.ok_or_else(missing)?,
        bought_since: bought.ok_or_else(missing)?,
        active_since: active.ok_or_else(missing)?,
        channel: channel.ok_or_else(missing)?,
    })
}

/// The same segment in SQL (`$n` placeholders; both backends).
fn sql(distinct: &str) -> String {
    format!(
        "SELECT COUNT(*) FROM profiles p
         WHERE p.province = $1 AND p.city = $2 AND p.last_interaction_at >= $3
           AND p.first_channel {distinct} $4
           AND EXISTS (SELECT 1 FROM profile_tags t WHERE t.tag = $5 AND t.profile_id = p.id)
           AND EXISTS (SELECT 1 FROM purchases b WHERE b.sku = $6 AND b.at >= $7 AND b.profile_id = p.id)"
    )
}

const SCHEMA: &str = "
    CREATE TABLE profiles (id {pk}, province TEXT, city TEXT, first_channel TEXT,
        last_channel TEXT, following BOOLEAN NOT NULL, last_interaction_at BIGINT, orders BIGINT NOT NULL,
        spend_fen BIGINT NOT NULL);
    CREATE TABLE profile_tags (profile_id BIGINT NOT NULL, tag TEXT NOT NULL);
    CREATE TABLE purchases (profile_id BIGINT NOT NULL, sku TEXT NOT NULL, at BIGINT NOT NULL);";

const INDEXES: &str = "
    CREATE INDEX profiles_region_active_idx ON profiles (province, city, last_interaction_at);
    CREATE INDEX profiles_active_idx ON profiles (last_interaction_at);
    CREATE INDEX profile_tags_tag_idx ON profile_tags (tag, profile_id);
    CREATE INDEX profile_tags_profile_idx ON profile_tags (profile_id, tag);
    CREATE INDEX purchases_sku_idx ON purchases (sku, at, profile_id);
    CREATE INDEX purchases_profile_idx ON purchases (profile_id, sku, at);";

/// Runs the bench and prints its JSON line.
pub async fn run(o: Options) -> Result<(), String> {
    let expr = segment::parse(QUERY).map_err(|e| e.to_string())?;
    let p = params(&expr)?;
    eprintln!("audience: {} profiles, query {QUERY}", o.profiles);

    // The engine.
    let rss_before = rss().unwrap_or(0);
    let t = Instant::now();
    let mut index: Index<u64> = Index::new();
    for (i, f) in synth::profiles(o.profiles, o.seed, NOW).enumerate() {
        index.upsert(i as u64, &f);
    }
    let build = t.elapsed();
    let index_bytes = index.memory_bytes();
    let rss_after = rss().unwrap_or(0);
    let mut times = Vec::with_capacity(ENGINE_RUNS);
    let mut count = 0;
    for _ in 0..ENGINE_RUNS {
        let t = Instant::now();
        let bits = index.evaluate(&expr, NOW).map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        count = bits.len();
    }
    let engine_ms = median(times);
    // Incremental updates: one profile's facts change (a new tag and an interaction now).
    let samples: Vec<Facts> = synth::profiles(1_000, o.seed ^ 0x5eed, NOW).collect();
    let mut updates = Vec::with_capacity(samples.len());
    for (i, f) in samples.iter().enumerate() {
        let mut f = f.clone();
        f.tags.push("咖啡控".into());
        f.last_interaction_at = Some(NOW);
        let key = (i as u64 * 7_919) % o.profiles.max(1) as u64;
        let t = Instant::now();
        index.upsert(key, &f);
        updates.push(t.elapsed());
    }
    let update_us = median(updates) * 1e3;
    eprintln!(
        "  engine: built in {:.1} s, index {:.0} MiB (process grew {:.0} MiB), count {count}, median {engine_ms:.3} ms, upsert median {update_us:.1} µs",
        build.as_secs_f64(),
        index_bytes as f64 / 1048576.0,
        rss_after.saturating_sub(rss_before) as f64 / 1048576.0
    );
    drop(index);

    let (sqlite_ms, postgres_ms) = if o.engine_only {
        (None, None)
    } else {
        let (ms, n) = sqlite(&o, &p).await?;
        eprintln!("  sqlite: count {n}, median {ms:.1} ms");
        if n != count {
            return Err(format!("SQLite counted {n}, the engine {count}"));
        }
        let (pms, pn) = postgres(&o, &p).await?;
        eprintln!("  postgres: count {pn}, median {pms:.1} ms");
        if pn != count {
            return Err(format!("PostgreSQL counted {pn}, the engine {count}"));
        }
        (Some(ms), Some(pms))
    };
    let ratio = |x: Option<f64>| x.map(|x| (x / engine_ms.max(1e-6) * 10.0).round() / 10.0);
    println!(
        "{}",
        json!({
            "bench": "audience",
            "profiles": o.profiles,
            "query": QUERY,
            "count": count,
            "engine_ms": (engine_ms * 1000.0).round() / 1000.0,
            "sqlite_ms": sqlite_ms.map(|x| (x * 10.0).round() / 10.0),
            "postgres_ms": postgres_ms.map(|x| (x * 10.0).round() / 10.0),
            "sqlite_ratio": ratio(sqlite_ms),
            "postgres_ratio": ratio(postgres_ms),
            "index_bytes": index_bytes,
            "build_s": (build.as_secs_f64() * 10.0).round() / 10.0,
            "update_us": (update_us * 10.0).round() / 10.0,
        })
    );
    Ok(())
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or_default()
}

async fn sqlite(o: &Options, p: &Params) -> Result<(f64, u64), String> {
    let dir = std::env::temp_dir().join(format!("siyu-bench-audience-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("audience.db");
    let result = sqlite_in(o, p, &path).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn sqlite_in(o: &Options, p: &Params, path: &std::path::Path) -> Result<(f64, u64), String> {
    let db = |e: sqlx::Error| format!("sqlite: {e}");
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off)
        .disable_statement_logging()
        .connect()
        .await
        .map_err(db)?;
    sqlx::raw_sql(&SCHEMA.replace("{pk}", "INTEGER PRIMARY KEY"))
        .execute(&mut conn)
        .await
        .map_err(db)?;
    let t = Instant::now();
    let mut tx = conn.begin().await.map_err(db)?;
    let mut profiles: Vec<(i64, Facts)> = Vec::with_capacity(INSERT_ROWS);
    for (i, f) in synth::profiles(o.profiles, o.seed, NOW).enumerate() {
        profiles.push((i as i64, f));
        if profiles.len() == INSERT_ROWS {
            insert_sqlite(&mut tx, &profiles).await.map_err(db)?;
            profiles.clear();
        }
    }
    insert_sqlite(&mut tx, &profiles).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    sqlx::raw_sql(INDEXES)
        .execute(&mut conn)
        .await
        .map_err(db)?;
    sqlx::raw_sql("ANALYZE")
        .execute(&mut conn)
        .await
        .map_err(db)?;
    eprintln!(
        "  sqlite: loaded and indexed in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let q = sql("IS NOT");
    let mut times = Vec::new();
    let mut n = 0i64;
    for i in 0..=SQL_RUNS {
        let t = Instant::now();
        n = sqlx::query_scalar(&q)
            .bind(&p.province)
            .bind(&p.city)
            .bind(p.active_since)
            .bind(&p.channel)
            .bind(&p.tag)
            .bind(&p.sku)
            .bind(p.bought_since)
            .fetch_one(&mut conn)
            .await
            .map_err(db)?;
        if i > 0 {
            times.push(t.elapsed());
        }
    }
    Ok((median(times), n as u64))
}

async fn insert_sqlite(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    rows: &[(i64, Facts)],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut b = QueryBuilder::new("INSERT INTO profiles (id, province, city, first_channel, last_channel, following, last_interaction_at, orders, spend_fen) ");
    b.push_values(rows, |mut r, (id, f)| {
        r.push_bind(*id)
            .push_bind(opt(&f.province))
            .push_bind(opt(&f.city))
            .push_bind(f.first_channel.clone())
            .push_bind(f.last_channel.clone())
            .push_bind(f.following)
            .push_bind(f.last_interaction_at)
            .push_bind(f.orders)
            .push_bind(f.spend_fen);
    });
    b.build().execute(&mut **tx).await?;
    let tags: Vec<(i64, &str)> = rows
        .iter()
        .flat_map(|(id, f)| f.tags.iter().map(move |t| (*id, t.as_str())))
        .collect();
    for chunk in tags.chunks(10_000) {
        let mut b = QueryBuilder::new("INSERT INTO profile_tags (profile_id, tag) ");
        b.push_values(chunk, |mut r, (id, t)| {
            r.push_bind(*id).push_bind(*t);
        });
        b.build().execute(&mut **tx).await?;
    }
    let bought: Vec<(i64, &str, i64)> = rows
        .iter()
        .flat_map(|(id, f)| {
            f.purchases
                .iter()
                .filter_map(move |x| x.sku.as_deref().map(|s| (*id, s, x.at)))
        })
        .collect();
    for chunk in bought.chunks(8_000) {
        let mut b = QueryBuilder::new("INSERT INTO purchases (profile_id, sku, at) ");
        b.push_values(chunk, |mut r, (id, s, at)| {
            r.push_bind(*id).push_bind(*s).push_bind(*at);
        });
        b.build().execute(&mut **tx).await?;
    }
    Ok(())
}

fn copy_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

fn copy_opt(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "\\N".to_owned(), copy_text)
}

async fn postgres(o: &Options, p: &Params) -> Result<(f64, u64), String> {
    let pg = super::ScratchPg::create("audience").await?;
    let run = postgres_in(o, p, &pg.url).await;
    let dropped = pg.drop().await;
    let run = run?;
    dropped?;
    Ok(run)
}

async fn postgres_in(o: &Options, p: &Params, url: &str) -> Result<(f64, u64), String> {
    let db = |e: sqlx::Error| format!("postgres: {e}");
    let mut conn = url
        .parse::<PgConnectOptions>()
        .map_err(db)?
        .disable_statement_logging()
        .connect()
        .await
        .map_err(db)?;
    sqlx::raw_sql(&format!(
        "SET maintenance_work_mem = '512MB'; SET work_mem = '256MB'; {}",
        SCHEMA
            .replace("CREATE TABLE", "CREATE UNLOGGED TABLE")
            .replace("{pk}", "BIGINT NOT NULL")
    ))
    .execute(&mut conn)
    .await
    .map_err(db)?;
    let t = Instant::now();
    for table in ["profiles", "profile_tags", "purchases"] {
        let columns = match table {
            "profiles" => "id, province, city, first_channel, last_channel, following, last_interaction_at, orders, spend_fen",
            "profile_tags" => "profile_id, tag",
            _ => "profile_id, sku, at",
        };
        let mut copy = conn
            .copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN"))
            .await
            .map_err(db)?;
        let mut buf = String::with_capacity(COPY_BATCH + 4096);
        for (id, f) in synth::profiles(o.profiles, o.seed, NOW).enumerate() {
            match table {
                "profiles" => {
                    let _ = writeln!(
                        buf,
                        "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        copy_text(opt(&f.province)),
                        copy_text(opt(&f.city)),
                        copy_opt(&f.first_channel),
                        copy_opt(&f.last_channel),
                        if f.following { "t" } else { "f" },
                        f.last_interaction_at
                            .map_or_else(|| "\\N".to_owned(), |x| x.to_string()),
                        f.orders,
                        f.spend_fen
                    );
                }
                "profile_tags" => {
                    for tag in &f.tags {
                        let _ = writeln!(buf, "{id}\t{}", copy_text(tag));
                    }
                }
                _ => {
                    for x in &f.purchases {
                        if let Some(s) = &x.sku {
                            let _ = writeln!(buf, "{id}\t{}\t{}", copy_text(s), x.at);
                        }
                    }
                }
            }
            if buf.len() >= COPY_BATCH {
                copy.send(buf.as_bytes()).await.map_err(db)?;
                buf.clear();
            }
        }
        if !buf.is_empty() {
            copy.send(buf.as_bytes()).await.map_err(db)?;
        }
        copy.finish().await.map_err(db)?;
    }
    sqlx::raw_sql(&format!(
        "ALTER TABLE profiles ADD PRIMARY KEY (id); {INDEXES} ANALYZE;"
    ))
    .execute(&mut conn)
    .await
    .map_err(db)?;
    eprintln!(
        "  postgres: loaded and indexed in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let q = sql("IS DISTINCT FROM");
    let mut times = Vec::new();
    let mut n = 0i64;
    for i in 0..=SQL_RUNS {
        let t = Instant::now();
        n = sqlx::query_scalar(&q)
            .bind(&p.province)
            .bind(&p.city)
            .bind(p.active_since)
            .bind(&p.channel)
            .bind(&p.tag)
            .bind(&p.sku)
            .bind(p.bought_since)
            .fetch_one(&mut conn)
            .await
            .map_err(db)?;
        if i > 0 {
            times.push(t.elapsed());
        }
    }
    let _ = conn.close().await;
    Ok((median(times), n as u64))
}
