//! `siyu draw verify FILE` (or `--campaign ID --seed HEX`): re-derives every result of a
//! closed prize draw from its export (`GET /api/v1/draws/{id}/export`) or from the database,
//! independently of the server that ran it.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use siyu_domain::draw;
use siyu_server::draws::Export;

/// Draw subcommands.
#[derive(Subcommand)]
pub enum DrawCommand {
    /// Check a closed campaign: the seed matches the commitment and every award follows. Give
    /// its export file (`GET /api/v1/draws/{id}/export`), or `--campaign ID --seed HEX` to
    /// read the campaign from this deployment's database and check it against a seed.
    Verify {
        /// The export JSON file.
        #[arg(required_unless_present = "campaign", conflicts_with_all = ["campaign", "seed"])]
        file: Option<PathBuf>,
        /// The campaign id (`dr_…`), read from the database named by the configuration.
        #[arg(long, requires = "seed")]
        campaign: Option<String>,
        /// The seed revealed when the campaign closed.
        #[arg(long, requires = "campaign")]
        seed: Option<String>,
    },
}

/// Runs a draw subcommand that needs no database: a file, or `None` if it reads the database.
pub fn run_file(cmd: &DrawCommand) -> Option<Result<(), String>> {
    let DrawCommand::Verify {
        file: Some(file), ..
    } = cmd
    else {
        return None;
    };
    Some(verify_file(file))
}

fn verify_file(file: &std::path::Path) -> Result<(), String> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{name}: {e}"))?;
    let export: Export =
        serde_json::from_str(&text).map_err(|e| format!("{name}: line {}: {e}", e.line()))?;
    let seed = export.seed.clone().ok_or_else(|| {
        format!("{name}: seed: the campaign is still open; close it to reveal the seed")
    })?;
    check(&export, &seed)
        .map_err(|n| format!("{name}: {n} result(s) do not follow from the revealed seed"))
}

/// `siyu draw verify --campaign ID --seed HEX`: the campaign as this deployment's database
/// holds it, checked against the seed given.
pub async fn run_db(config: &siyu_server::Config, cmd: DrawCommand) -> Result<(), String> {
    let DrawCommand::Verify {
        campaign: Some(id),
        seed: Some(seed),
        ..
    } = cmd
    else {
        return Err("draw verify: give an export file, or --campaign ID --seed HEX".into());
    };
    let seed = seed.trim();
    if seed.is_empty() {
        return Err("--seed: give the seed revealed when the campaign closed".into());
    }
    let store = siyu_server::app::open_store(config, false)
        .await
        .map_err(|e| e.to_string())?;
    let found = siyu_store::draws::find(&store, id.trim()).await;
    let result = match found {
        Err(siyu_store::StoreError::NotFound) => Err(format!(
            "--campaign: no campaign {id} in {}",
            siyu_store::redact_url(config.database_url.expose())
        )),
        Err(e) => Err(e.to_string()),
        Ok(c) => match siyu_server::draws::export_of(&store, c).await {
            Err(e) => Err(e.to_string()),
            Ok(export) => {
                if export.seed.as_deref().is_some_and(|s| s != seed) {
                    println!("note: this seed is not the one the campaign revealed");
                }
                check(&export, seed).map_err(|n| {
                    format!("campaign {id}: {n} result(s) do not follow from the seed given")
                })
            }
        },
    };
    store.close().await;
    result
}

/// Prints the verification of `export` against `seed` (the last line JSON); `Err(mismatches)`
/// when anything does not follow.
fn check(export: &Export, seed: &str) -> Result<(), usize> {
    let mismatches = draw::verify(&export.commitment, seed, &export.prizes, &export.entries);
    let awarded = export
        .entries
        .iter()
        .filter(|e| e.awarded.is_some())
        .count();
    println!(
        "campaign {}: {} entries, {awarded} prizes awarded, commitment {}",
        export.campaign_id,
        export.entries.len(),
        if mismatches.contains(&draw::Mismatch::Commitment) {
            "DOES NOT MATCH"
        } else {
            "matches"
        }
    );
    for m in mismatches.iter().take(20) {
        println!("mismatch: {m:?}");
    }
    println!(
        "{}",
        json!({"campaign_id": export.campaign_id, "verified": mismatches.is_empty(), "entries": export.entries.len(), "awarded": awarded, "mismatches": mismatches.len()})
    );
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(mismatches.len())
    }
}
