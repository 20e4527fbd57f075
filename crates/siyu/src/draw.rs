//! `siyu draw verify FILE`: re-derives every result of a closed prize draw from its export
//! (`GET /api/v1/draws/{id}/export`), independently of the server that ran it.

use std::path::PathBuf;

use clap::Subcommand;
use serde::Deserialize;
use serde_json::json;
use siyu_domain::draw::{self, EntryResult, Prize};

/// Draw subcommands.
#[derive(Subcommand)]
pub enum DrawCommand {
    /// Check a closed campaign's export: the seed matches the commitment and every award follows.
    Verify {
        /// The export JSON file.
        file: PathBuf,
    },
}

#[derive(Deserialize)]
struct Export {
    campaign_id: String,
    commitment: String,
    seed: Option<String>,
    prizes: Vec<Prize>,
    entries: Vec<EntryResult>,
}

/// Runs a draw subcommand; a failed verification is an error (non-zero exit).
pub fn run(cmd: DrawCommand) -> Result<(), String> {
    match cmd {
        DrawCommand::Verify { file } => {
            let name = file.display().to_string();
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{name}: {e}"))?;
            let export: Export = serde_json::from_str(&text)
                .map_err(|e| format!("{name}: line {}: {e}", e.line()))?;
            let seed = export.seed.ok_or_else(|| {
                format!("{name}: seed: the campaign is still open; close it to reveal the seed")
            })?;
            let mismatches =
                draw::verify(&export.commitment, &seed, &export.prizes, &export.entries);
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
                json!({"verified": mismatches.is_empty(), "entries": export.entries.len(), "awarded": awarded, "mismatches": mismatches.len()})
            );
            if mismatches.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{name}: {} result(s) do not follow from the revealed seed",
                    mismatches.len()
                ))
            }
        }
    }
}
