//! `siyu import`: a merchant's export from another channel (Taobao or JD orders, Weibo
//! followers, a store POS member list) into customer profiles, streamed, straight against the
//! database. Bad rows are reported with file, line and column and skipped; the rest import.
//! Importing the same file again changes nothing.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use siyu_domain::{Clock, TenantId};
use siyu_import::{Mapping, OpenOptions, Outcome, Preset, Record, RowError, Summary};
use siyu_server::app::{offline_state, open_store};
use siyu_server::identity::import::{apply, Applied};
use siyu_server::services::Actor;
use siyu_server::Config;

/// Arguments of `siyu import`.
#[derive(Args)]
pub struct ImportArgs {
    /// The tenant to import into (`tn_…`).
    #[arg(long)]
    tenant: String,
    /// What the file is: taobao-orders, jd-orders, weibo-followers or pos-members.
    #[arg(long)]
    preset: String,
    /// A column mapping (TOML or JSON) for files whose headers differ from the preset's.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Show what would change, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// End with one line of JSON: rows, imported, rejected, errors.
    #[arg(long)]
    json: bool,
    /// The CSV or XLSX file.
    file: PathBuf,
}

/// Records per write transaction: short enough that the server's writers are not kept waiting.
const BATCH: usize = 500;

/// Runs an import.
pub async fn run(config: Config, args: ImportArgs) -> Result<(), String> {
    let tenant = TenantId::parse(&args.tenant).map_err(|e| format!("--tenant: {}", e.message))?;
    let preset = Preset::parse(&args.preset).ok_or_else(|| {
        format!(
            "--preset: unknown preset \"{}\"; use taobao-orders, jd-orders, weibo-followers or pos-members",
            args.preset
        )
    })?;
    let mut spec = preset.spec();
    if let Some(path) = &args.mapping {
        let mapping = Mapping::load(path).map_err(|e| e.to_string())?;
        spec = mapping.apply(spec).map_err(|e| e.to_string())?;
    }
    let records =
        siyu_import::read(&args.file, spec, &OpenOptions::default()).map_err(|e| e.to_string())?;
    let store = open_store(&config, false)
        .await
        .map_err(|e| e.to_string())?;
    siyu_store::tenants::get(&store, &tenant)
        .await
        .map_err(|_| format!("--tenant: no tenant {tenant}"))?;
    let state = offline_state(store, config).map_err(|e| e.to_string())?;
    let file = args.file.display().to_string();
    let source = preset.name().to_owned();

    // Parsing runs on a blocking thread and hands over batches; the file is never all in memory.
    let (send, mut recv) = tokio::sync::mpsc::channel::<Vec<Record>>(4);
    let done = Arc::new(AtomicU64::new(0));
    let size = Arc::new(AtomicU64::new(0));
    let (reader_done, reader_size) = (done.clone(), size.clone());
    let reader_file = file.clone();
    let mut records = records;
    let reader = tokio::task::spawn_blocking(move || {
        let mut summary = Summary::new(reader_file);
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(outcome) = records.next() {
            let outcome = outcome?;
            if summary.rows.is_multiple_of(1024) {
                let p = records.progress();
                reader_done.store(p.done, Ordering::Relaxed);
                reader_size.store(p.total.unwrap_or(0), Ordering::Relaxed);
            }
            summary.add(&outcome);
            if let Outcome::Valid(record) = outcome {
                batch.push(record);
                if batch.len() == BATCH
                    && send
                        .blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    break;
                }
            }
        }
        if !batch.is_empty() {
            let _ = send.blocking_send(batch);
        }
        Ok::<_, siyu_import::ImportError>(summary)
    });

    let show_progress = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last_shown = Instant::now();
    let mut total = Applied::default();
    let now = siyu_domain::SystemClock.now_ms();
    // A dry run keeps everything in one transaction and rolls it back: exactly what would change.
    let mut dry_tx = None;
    let mut session_for_dry = None;
    while let Some(batch) = recv.recv().await {
        let applied = if args.dry_run {
            if dry_tx.is_none() {
                let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
                session_for_dry = Some(
                    state
                        .identities
                        .open(&mut tx, &tenant, now)
                        .await
                        .map_err(|e| e.to_string())?,
                );
                dry_tx = Some(tx);
            }
            let (Some(tx), Some(session)) = (dry_tx.as_mut(), session_for_dry.as_mut()) else {
                return Err("internal error: no transaction".into());
            };
            apply(&state, session, tx, &tenant, &batch, &source, now)
                .await
                .map_err(|e| e.to_string())?
        } else {
            let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
            let mut session = state
                .identities
                .open(&mut tx, &tenant, now)
                .await
                .map_err(|e| e.to_string())?;
            let applied = apply(&state, &mut session, &mut tx, &tenant, &batch, &source, now)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            applied
        };
        add(&mut total, applied);
        if show_progress && last_shown.elapsed() > Duration::from_millis(300) {
            last_shown = Instant::now();
            let (done, size) = (
                done.load(Ordering::Relaxed),
                size.load(Ordering::Relaxed).max(1),
            );
            eprint!(
                "\r{} {:>5.1}%  {} imported",
                bar(done, size),
                100.0 * done as f64 / size as f64,
                total.imported
            );
            let _ = std::io::stderr().flush();
        }
    }
    drop(session_for_dry);
    drop(dry_tx);
    if show_progress {
        eprintln!("\r{} 100.0%  {} imported", bar(1, 1), total.imported);
    }
    let mut summary = reader
        .await
        .map_err(|e| format!("the reader stopped: {e}"))?
        .map_err(|e| e.to_string())?;
    // Rows the file parsed but the graph refused count as rejected too.
    summary.rejected += total.errors.len() as u64;
    summary.errors.extend(total.errors.iter().cloned());
    summary.errors.sort_by_key(|e: &RowError| e.line);

    if !args.dry_run && (total.changed > 0 || summary.rows > 0) {
        let mut tx = state.store.begin().await.map_err(|e| e.to_string())?;
        siyu_server::services::record(
            &mut tx,
            Some(&tenant),
            &Actor::Cli,
            "customer.import",
            None,
            Some(json!({
                "file": args.file.file_name().map(|f| f.to_string_lossy().into_owned()),
                "preset": source, "rows": summary.rows, "imported": total.imported,
                "rejected": summary.rejected, "created": total.created, "merged": total.merged, "orders": total.orders,
            })),
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
    }
    state.store.close().await;

    for line in summary.report_lines() {
        eprintln!("{line}");
    }
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    eprintln!(
        "{file}: {} rows, {verb} {}, rejected {} ({} new customers, {} merges, {} new orders, {} unchanged) in {:.1}s",
        summary.rows,
        total.imported,
        summary.rejected,
        total.created,
        total.merged,
        total.orders,
        total.imported - total.changed,
        started.elapsed().as_secs_f64()
    );
    if args.json {
        let mut line: serde_json::Value =
            serde_json::from_str(&summary.to_json_line(if args.dry_run {
                0
            } else {
                total.imported
            }))
            .map_err(|e| e.to_string())?;
        line["dry_run"] = json!(args.dry_run);
        line["would_import"] = json!(total.imported);
        line["created"] = json!(total.created);
        line["merged"] = json!(total.merged);
        line["orders"] = json!(total.orders);
        line["unchanged"] = json!(total.imported - total.changed);
        println!("{line}");
    }
    Ok(())
}

fn add(total: &mut Applied, a: Applied) {
    total.imported += a.imported;
    total.changed += a.changed;
    total.created += a.created;
    total.merged += a.merged;
    total.orders += a.orders;
    total.errors.extend(a.errors);
}

fn bar(done: u64, size: u64) -> String {
    let filled = ((done.min(size) * 30) / size.max(1)) as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(30 - filled))
}
