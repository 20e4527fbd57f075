//! `siyu import`: a merchant's export from another channel (Taobao or JD orders, Weibo
//! followers, a store POS member list) into customer profiles, streamed, straight against the
//! database. Bad rows are reported with file, line and column and skipped; the rest import.
//! Importing the same file again changes nothing.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use siyu_domain::TenantId;
use siyu_import::{Mapping, OpenOptions, Preset};
use siyu_server::app::{offline_state, open_store};
use siyu_server::identity::import::run_file;
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

    let show_progress = std::io::stderr().is_terminal();
    let started = Instant::now();
    let last_shown = std::sync::Mutex::new(Instant::now());
    let progress = |done: u64, size: u64, imported: u64| {
        if !show_progress {
            return;
        }
        let Ok(mut last) = last_shown.lock() else {
            return;
        };
        if last.elapsed() > Duration::from_millis(300) {
            *last = Instant::now();
            let size = size.max(1);
            eprint!(
                "\r{} {:>5.1}%  {imported} imported",
                bar(done, size),
                100.0 * done as f64 / size as f64
            );
            let _ = std::io::stderr().flush();
        }
    };
    let report = run_file(
        &state,
        &tenant,
        records,
        &file,
        preset,
        args.dry_run,
        &Actor::Cli,
        &progress,
    )
    .await?;
    state.store.close().await;
    let (summary, total) = (&report.summary, &report.applied);
    if show_progress {
        eprintln!("\r{} 100.0%  {} imported", bar(1, 1), total.imported);
    }
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
        println!("{}", report.json_line());
    }
    Ok(())
}

fn bar(done: u64, size: u64) -> String {
    let filled = ((done.min(size) * 30) / size.max(1)) as usize;
    format!("[{}{}]", "#".repeat(filled), ".".repeat(30 - filled))
}
