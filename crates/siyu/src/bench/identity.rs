//! `siyu bench identity`: identity stitching at scale, against connected components computed the
//! way SQL-warehouse CDPs compute them, in the same run.
//!
//! Synthetic customers on 1–4 channels (the generator of
//! `crates/siyu-identity/examples/stitch_bench.rs`: the same seed gives the same data) produce
//! observations, the identities one customer showed on one channel at one time ([openid,
//! unionid], [Taobao nick, phone], …), in shuffled order. The bench
//!
//! 1. feeds `--identifiers` worth of observations to one `IdentityGraph` and measures the
//!    stitching time (generating and parsing the synthetic input is excluded) and the peak RSS of
//!    the process;
//! 2. generates `--sql-identifiers` worth the same way (exactly what `--identifiers` of that size
//!    would generate) and stitches them with the engine again;
//! 3. loads exactly those observations into a scratch PostgreSQL database (COPY, timed apart) and
//!    computes connected components by iterative label propagation: dense ids for the
//!    identifiers and star edges per observation (`prepare`), then `UPDATE labels SET component
//!    = LEAST(…)` over the edges until no row changes (`sql`). The component count is checked
//!    against a union-find in this process, so a wrong baseline fails the bench.
//!
//! The engine applies rules plain connected components do not (one value per unique kind; a
//! phone already on three profiles links nothing more), so profiles and components differ: the
//! comparison is of the stitching computation, not of identical outputs. Placeholder values
//! ("null", 13800138000, …) are left out of the SQL input, as the engine ignores them.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::json;
use siyu_identity::{synth, IdentityGraph, Policy};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// What to run: `--identifiers`, `--sql-identifiers`, `--seed`.
pub struct Options {
    /// Identifiers of the engine's full-size run.
    pub identifiers: usize,
    /// Identifiers of the run compared with the SQL baseline (engine and SQL, same data).
    pub sql_identifiers: usize,
    /// Seed of the synthetic data.
    pub seed: u64,
}

/// Goals from the issue: stitch 10M identifiers in under 10 s and 2 GiB, at least 20× faster
/// than the SQL baseline.
const GOAL_MS: f64 = 10_000.0;
const GOAL_MIB: f64 = 2_048.0;
const GOAL_SPEEDUP: f64 = 20.0;

/// Observations parsed at a time, outside the timed stitching, so the input is never all held.
const CHUNK: usize = 65_536;

/// Bytes of COPY data sent per message.
const COPY_BATCH: usize = 1 << 20;

/// Label propagation passes after which the SQL baseline gives up (components here have a
/// diameter of a few edges; this only stops a runaway loop).
const MAX_PASSES: u32 = 1_000;

/// Runs the bench: engine at full size, engine and SQL at the SQL size; prints the JSON last.
pub async fn run(o: Options) -> Result<(), String> {
    if o.identifiers == 0 || o.sql_identifiers == 0 {
        return Err("--identifiers and --sql-identifiers must be at least 1".into());
    }

    let full = Dataset::generate(o.identifiers, o.seed)?;
    println!(
        "generated {} customers, ~{} identifiers, {} observations in {:.2?}",
        full.customers,
        full.identifiers,
        full.events.len(),
        full.generated_in
    );
    // First, while nothing else large is allocated, so that the peak RSS is the engine's.
    let engine = stitch(&full)?;
    report_engine(&format!("engine, {} identifiers", o.identifiers), &engine);

    // The comparison's data: the full run's own when the sizes are equal.
    let (small, engine_small) = if o.sql_identifiers == o.identifiers {
        let same = engine.clone();
        (full, same)
    } else {
        drop(full);
        let small = Dataset::generate(o.sql_identifiers, o.seed)?;
        println!(
            "generated {} customers, ~{} identifiers, {} observations for the SQL comparison",
            small.customers,
            small.identifiers,
            small.events.len()
        );
        let engine_small = stitch(&small)?;
        report_engine(
            &format!("engine, {} identifiers", o.sql_identifiers),
            &engine_small,
        );
        (small, engine_small)
    };
    let sql = sql_baseline(&small).await?;
    println!(
        "sql: loaded {} rows in {:.0} ms; prepare (ids, {} edges, indexes) {:.0} ms; {} passes {:.0} ms; {} components over {} identifiers",
        sql.rows,
        ms(sql.load),
        sql.edges,
        ms(sql.prepare),
        sql.passes.len(),
        ms(sql.propagate),
        sql.components,
        sql.nodes
    );

    let engine_ms = ms(engine.stitch);
    let peak_mib = mib(engine.hwm_after_kib);
    let speedup = ms(sql.propagate) / ms(engine_small.stitch);
    let speedup_with_prepare = (ms(sql.prepare) + ms(sql.propagate)) / ms(engine_small.stitch);
    println!(
        "speedup over SQL at {} identifiers: {speedup:.1}× ({speedup_with_prepare:.1}× counting SQL's prepare step)",
        o.sql_identifiers
    );
    let check = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "goals: stitch {} identifiers < 10 s: {} ({:.2} s); peak RSS < 2 GiB: {} ({:.0} MiB); ≥ 20× SQL: {} ({speedup:.1}×)",
        o.identifiers,
        check(engine_ms < GOAL_MS),
        engine_ms / 1e3,
        check(peak_mib < GOAL_MIB),
        peak_mib,
        check(speedup >= GOAL_SPEEDUP)
    );
    println!(
        "{}",
        json!({
            "bench": "identity",
            "seed": o.seed,
            "identifiers": o.identifiers,
            "customers": engine.customers,
            "observations": engine.observations,
            "identities": engine.identities,
            "engine_ms": round(engine_ms),
            "engine_thread_cpu_ms": engine.thread_cpu.map(|d| round(ms(d))),
            "engine_parse_ms": round(ms(engine.parse)),
            "engine_peak_rss_mib": round(peak_mib),
            "engine_rss_delta_mib": round(mib(engine.hwm_after_kib - engine.hwm_before_kib)),
            "engine_heap_mib": round(engine.heap_bytes as f64 / 1_048_576.0),
            "profiles": engine.profiles,
            "merges": engine.merges,
            "conflicts": engine.conflicts,
            "sql_identifiers": o.sql_identifiers,
            "sql_observations": engine_small.observations,
            "sql_identities": sql.nodes,
            "engine_ms_at_sql_size": round(ms(engine_small.stitch)),
            "engine_thread_cpu_ms_at_sql_size": engine_small.thread_cpu.map(|d| round(ms(d))),
            "profiles_at_sql_size": engine_small.profiles,
            "sql_load_ms": round(ms(sql.load)),
            "sql_prepare_ms": round(ms(sql.prepare)),
            "sql_ms": round(ms(sql.propagate)),
            "sql_iterations": sql.passes.len(),
            "sql_components": sql.components,
            "speedup": round(speedup),
            "speedup_with_prepare": round(speedup_with_prepare),
            "goal_under_10s": engine_ms < GOAL_MS,
            "goal_under_2gib": peak_mib < GOAL_MIB,
            "goal_20x_sql": speedup >= GOAL_SPEEDUP,
        })
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The engine.

/// Figures of one engine run.
#[derive(Clone)]
struct EngineRun {
    customers: usize,
    observations: usize,
    /// Time inside `observe` only.
    stitch: Duration,
    /// CPU time of the stitching thread during `observe` (`None` without schedstat): close to
    /// `stitch` when the machine gave the bench a whole core.
    thread_cpu: Option<Duration>,
    /// Generating and parsing the input, not counted in `stitch`.
    parse: Duration,
    identities: usize,
    profiles: usize,
    merges: usize,
    conflicts: usize,
    ignored: usize,
    heap_bytes: usize,
    hwm_before_kib: u64,
    hwm_after_kib: u64,
}

/// Feeds every observation of `data` to one graph, in order, as an import would (the graph
/// grows as it goes).
fn stitch(data: &Dataset) -> Result<EngineRun, String> {
    let hwm_before_kib = status_kib("VmHWM:");
    let mut graph = IdentityGraph::new(Policy::default());
    let (mut parse, mut stitch) = (Duration::ZERO, Duration::ZERO);
    let mut thread_cpu = Some(Duration::ZERO);
    let (mut merges, mut conflicts, mut ignored) = (0, 0, 0);
    for (chunk_no, chunk) in data.events.chunks(CHUNK).enumerate() {
        let t = Instant::now();
        let input = chunk
            .iter()
            .map(|&(c, e)| data.gen.identities(c, e))
            .collect::<Result<Vec<_>, _>>()?;
        parse += t.elapsed();

        let cpu = thread_cpu_time();
        let t = Instant::now();
        for (n, ids) in input.iter().enumerate() {
            let at = (chunk_no * CHUNK + n) as i64;
            let out = graph
                .observe(ids, at)
                .map_err(|e| format!("observe: {e}"))?;
            merges += out.merged.len();
            conflicts += out.conflicts.len();
            ignored += out.ignored.len();
        }
        stitch += t.elapsed();
        thread_cpu = match (thread_cpu, cpu, thread_cpu_time()) {
            (Some(sum), Some(a), Some(b)) => Some(sum + b.saturating_sub(a)),
            _ => None,
        };
    }
    let hwm_after_kib = status_kib("VmHWM:");
    Ok(EngineRun {
        customers: data.customers,
        observations: data.events.len(),
        stitch,
        thread_cpu,
        parse: parse + data.generated_in,
        identities: graph.identities(),
        profiles: graph.profiles(),
        merges,
        conflicts,
        ignored,
        heap_bytes: graph.heap_bytes(),
        hwm_before_kib,
        hwm_after_kib,
    })
}

fn report_engine(label: &str, r: &EngineRun) {
    let cpu = r
        .thread_cpu
        .map_or(String::new(), |c| format!(" (thread CPU {:.0} ms)", ms(c)));
    println!(
        "{label}: stitched {} observations in {:.0} ms{cpu}, {:.0}/s; input generation and parsing {:.0} ms more",
        r.observations,
        ms(r.stitch),
        r.observations as f64 / r.stitch.as_secs_f64(),
        ms(r.parse)
    );
    println!(
        "{label}: {} identities, {} profiles, {} merges, {} conflicts, {} ignored; VmHWM {:.0} → {:.0} MiB (+{:.0}), graph heap ≈ {:.0} MiB",
        r.identities,
        r.profiles,
        r.merges,
        r.conflicts,
        r.ignored,
        mib(r.hwm_before_kib),
        mib(r.hwm_after_kib),
        mib(r.hwm_after_kib - r.hwm_before_kib),
        r.heap_bytes as f64 / 1_048_576.0
    );
}

// ---------------------------------------------------------------------------------------
// The SQL baseline.

/// Figures of the SQL baseline.
struct SqlRun {
    /// Rows loaded: one per identity per observation.
    rows: u64,
    /// COPY of the observations, not counted in the comparison.
    load: Duration,
    /// Dense ids, star edges, the labels table and its indexes.
    prepare: Duration,
    /// The label propagation passes, the last one changing nothing.
    propagate: Duration,
    /// Rows each pass changed.
    passes: Vec<u64>,
    nodes: i64,
    edges: i64,
    components: i64,
}

/// Creates a scratch database on `SIYU_BENCH_POSTGRES_URL`, runs the baseline in it and drops it,
/// also when the baseline failed.
async fn sql_baseline(data: &Dataset) -> Result<SqlRun, String> {
    let pg = super::ScratchPg::create("identity").await?;
    let run = components_in_sql(&pg.url, data).await;
    let dropped = pg.drop().await;
    let run = run.map_err(|e| format!("sql baseline: {e}"))?;
    dropped?;
    Ok(run)
}

/// Loads the observations and computes connected components with iterative SQL.
async fn components_in_sql(url: &str, data: &Dataset) -> Result<SqlRun, String> {
    let db = |e: sqlx::Error| e.to_string();
    // The passes are reported below; sqlx's slow-statement warnings would only repeat them
    // (likewise on the admin connection above, whose DROP DATABASE takes seconds).
    let mut conn = url
        .parse::<PgConnectOptions>()
        .map_err(db)?
        .disable_statement_logging()
        .connect()
        .await
        .map_err(db)?;
    // Room for the hash joins and aggregates, and for the index builds; tables are unlogged, as
    // scratch tables of a batch job would be.
    sqlx::raw_sql(
        "SET work_mem = '256MB';
         SET maintenance_work_mem = '512MB';
         CREATE UNLOGGED TABLE observations (obs integer NOT NULL, ident text NOT NULL);",
    )
    .execute(&mut conn)
    .await
    .map_err(db)?;

    // Load: one row per identity per observation, placeholders left out. A union-find in this
    // process computes the expected number of components from the same rows.
    let t = Instant::now();
    let placeholders = Policy::default().placeholders;
    let mut expected = UnionFind::default();
    let mut copy = conn
        .copy_in_raw("COPY observations (obs, ident) FROM STDIN")
        .await
        .map_err(db)?;
    let mut buf = String::with_capacity(COPY_BATCH + 4_096);
    let mut idents: Vec<String> = Vec::new();
    for (n, &(c, e)) in data.events.iter().enumerate() {
        idents.clear();
        for id in data.gen.identities(c, e)? {
            if !placeholders.is_placeholder(&id) {
                idents.push(format!("{}={}", id.kind(), id.value().as_str()));
            }
        }
        expected.observe(&idents);
        for ident in &idents {
            let _ = writeln!(buf, "{n}\t{}", copy_escape(ident));
        }
        if buf.len() >= COPY_BATCH {
            copy.send(buf.as_bytes()).await.map_err(db)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await.map_err(db)?;
    }
    let rows = copy.finish().await.map_err(db)?;
    sqlx::raw_sql("ANALYZE observations")
        .execute(&mut conn)
        .await
        .map_err(db)?;
    let load = t.elapsed();
    let expected = expected.components();

    // Prepare: a dense integer id per identifier; edges joining every identifier of an
    // observation to the observation's smallest id, both ways; labels initialised to each
    // identifier's own id.
    let t = Instant::now();
    sqlx::raw_sql(
        "CREATE UNLOGGED TABLE nodes AS
           SELECT ident, (row_number() OVER ())::integer AS id
           FROM (SELECT DISTINCT ident FROM observations) d;
         CREATE UNLOGGED TABLE members AS
           SELECT o.obs, n.id FROM observations o JOIN nodes n USING (ident);
         CREATE UNLOGGED TABLE edges AS
           WITH roots AS (SELECT obs, min(id) AS root FROM members GROUP BY obs)
           SELECT DISTINCT m.id AS a, r.root AS b
           FROM members m JOIN roots r USING (obs)
           WHERE m.id <> r.root;
         INSERT INTO edges (a, b) SELECT b, a FROM edges;
         CREATE INDEX edges_b_a ON edges (b, a);
         CREATE UNLOGGED TABLE labels AS SELECT id, id AS component FROM nodes;
         ALTER TABLE labels ADD PRIMARY KEY (id);
         ANALYZE edges;
         ANALYZE labels;",
    )
    .execute(&mut conn)
    .await
    .map_err(db)?;
    let prepare = t.elapsed();

    // Propagate: every identifier takes the smallest label among itself and its neighbours,
    // until a pass changes nothing.
    let t = Instant::now();
    let mut passes = Vec::new();
    loop {
        let pass = Instant::now();
        let changed = sqlx::raw_sql(
            "UPDATE labels SET component = LEAST(labels.component, n.component)
             FROM (SELECT e.a AS id, min(l.component) AS component
                   FROM edges e JOIN labels l ON l.id = e.b
                   GROUP BY e.a) n
             WHERE labels.id = n.id AND n.component < labels.component",
        )
        .execute(&mut conn)
        .await
        .map_err(db)?
        .rows_affected();
        passes.push(changed);
        println!(
            "sql: pass {} changed {changed} labels in {:.0} ms",
            passes.len(),
            ms(pass.elapsed())
        );
        if changed == 0 {
            break;
        }
        if passes.len() >= MAX_PASSES as usize {
            return Err(format!("no convergence after {MAX_PASSES} passes"));
        }
    }
    let propagate = t.elapsed();

    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let components = count("SELECT count(DISTINCT component) FROM labels")
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    let nodes = count("SELECT count(*) FROM labels")
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    let edges = count("SELECT count(*) FROM edges")
        .fetch_one(&mut conn)
        .await
        .map_err(db)?;
    let _ = conn.close().await;
    if usize::try_from(components).ok() != Some(expected) {
        return Err(format!(
            "SQL found {components} components, union-find {expected}"
        ));
    }
    Ok(SqlRun {
        rows,
        load,
        prepare,
        propagate,
        passes,
        nodes,
        edges,
        components,
    })
}

/// Escapes a value for COPY's text format.
fn copy_escape(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        return s.into();
    }
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .into()
}

/// Connected components of the identifiers seen together, to check the SQL result.
#[derive(Default)]
struct UnionFind {
    index: HashMap<String, u32>,
    parent: Vec<u32>,
}

impl UnionFind {
    fn node(&mut self, ident: &str) -> u32 {
        if let Some(&i) = self.index.get(ident) {
            return i;
        }
        let i = self.parent.len() as u32;
        self.parent.push(i);
        self.index.insert(ident.to_owned(), i);
        i
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let up = self.parent[self.parent[x as usize] as usize];
            self.parent[x as usize] = up;
            x = up;
        }
        x
    }

    /// Joins the identifiers of one observation.
    fn observe(&mut self, idents: &[String]) {
        let mut first = None;
        for ident in idents {
            let n = self.node(ident);
            let root = self.find(n);
            match first {
                None => first = Some(root),
                Some(f) if f != root => self.parent[root as usize] = f,
                Some(_) => {}
            }
        }
    }

    fn components(&self) -> usize {
        (0..self.parent.len())
            .filter(|&i| self.parent[i] as usize == i)
            .count()
    }
}

// ---------------------------------------------------------------------------------------
// Synthetic customers (`siyu_identity::synth`, as the `stitch_bench` example generates them).

/// Customers and their observations in arrival order, and how long generating them took.
struct Dataset {
    gen: synth::Generator,
    /// (customer, event), shuffled.
    events: Vec<(u32, synth::Event)>,
    customers: usize,
    /// Identifiers as counted while generating.
    identifiers: usize,
    generated_in: Duration,
}

impl Dataset {
    fn generate(target: usize, seed: u64) -> Result<Self, String> {
        let t = Instant::now();
        let synth::Dataset {
            gen,
            events,
            customers,
            identifiers,
        } = synth::Dataset::generate(target, seed)?;
        Ok(Dataset {
            gen,
            events,
            customers,
            identifiers,
            generated_in: t.elapsed(),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Measuring.

/// A `/proc/self/status` field in KiB (VmHWM: the peak resident set), 0 when unreadable.
fn status_kib(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap_or("");
    line.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// CPU time of the calling thread, from `/proc/thread-self/schedstat` (nanoseconds on CPU).
fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
