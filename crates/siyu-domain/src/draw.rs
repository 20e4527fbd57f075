//! Fair, auditable prize draws (commit–reveal).
//!
//! Before a campaign opens, siyu publishes `commitment = SHA-256(seed)` (hex). Each entry's
//! roll is `HMAC-SHA256(key = seed, message = entry_id)`, read as a big-endian `u64` from its
//! first 8 bytes; `roll % 10_000` picks a prize by cumulative odds in basis points (the rest of
//! the 10,000 wins nothing). Entries are numbered in the order they were accepted; replaying
//! them in that order against the prizes' stock gives exactly the awarded results (a picked
//! prize whose stock ran out awards nothing). After the campaign closes the seed is revealed,
//! and anyone can check the commitment and re-derive every result with [`verify`].

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The odds denominator: prize odds are in basis points of this.
pub const ODDS_SCALE: u32 = 10_000;

/// A prize of a campaign, as the procedure sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prize {
    /// Position in the campaign's prize list (0-based).
    pub index: u32,
    /// Chance per entry, in basis points (1 = 0.01 %).
    pub odds_bp: u32,
    /// How many exist.
    pub stock: u32,
}

/// One accepted entry and what it was awarded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    /// Acceptance order (1-based).
    pub seq: u64,
    /// The entry's id (the HMAC message).
    pub entry_id: String,
    /// The prize awarded, if any.
    pub awarded: Option<u32>,
}

/// `SHA-256(seed)` as lowercase hex.
pub fn commitment(seed: &str) -> String {
    hex::encode(Sha256::digest(seed.as_bytes()))
}

/// The entry's roll: the first 8 bytes of `HMAC-SHA256(seed, entry_id)`, big-endian.
pub fn roll(seed: &str, entry_id: &str) -> u64 {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(seed.as_bytes()).expect("HMAC takes any key length");
    mac.update(entry_id.as_bytes());
    let out = mac.finalize().into_bytes();
    let mut b = [0u8; 8];
    b.copy_from_slice(&out[..8]);
    u64::from_be_bytes(b)
}

/// The prize a roll picks, before stock is considered.
pub fn pick(roll: u64, prizes: &[Prize]) -> Option<u32> {
    let r = u32::try_from(roll % u64::from(ODDS_SCALE)).unwrap_or(0);
    let mut upper = 0u32;
    for p in prizes {
        upper = upper.saturating_add(p.odds_bp);
        if r < upper {
            return Some(p.index);
        }
    }
    None
}

/// Why a prize list is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrizeError {
    /// No prizes.
    #[error("a campaign needs at least one prize")]
    Empty,
    /// Odds add up to more than 100 %.
    #[error("the prizes' odds add up to {0} basis points; at most 10000 (100 %)")]
    OddsTooHigh(u32),
    /// A prize with zero odds or zero stock.
    #[error("prize {0} needs odds above 0 and stock above 0")]
    Pointless(u32),
}

/// Checks a prize list.
pub fn validate(prizes: &[Prize]) -> Result<(), PrizeError> {
    if prizes.is_empty() {
        return Err(PrizeError::Empty);
    }
    if let Some(p) = prizes.iter().find(|p| p.odds_bp == 0 || p.stock == 0) {
        return Err(PrizeError::Pointless(p.index));
    }
    let total: u32 = prizes
        .iter()
        .map(|p| p.odds_bp)
        .fold(0, u32::saturating_add);
    if total > ODDS_SCALE {
        return Err(PrizeError::OddsTooHigh(total));
    }
    Ok(())
}

/// A disagreement found by [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Mismatch {
    /// The revealed seed does not hash to the published commitment.
    Commitment,
    /// Entries are not numbered 1, 2, 3, …
    Sequence(u64),
    /// The recorded award differs from the procedure's result.
    Award {
        /// The entry.
        seq: u64,
        /// What was recorded.
        recorded: Option<u32>,
        /// What the procedure gives.
        derived: Option<u32>,
    },
}

/// Re-derives every result from the revealed seed; an empty list means all agree.
pub fn verify(
    commitment_hex: &str,
    seed: &str,
    prizes: &[Prize],
    entries: &[EntryResult],
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if commitment(seed) != commitment_hex.to_ascii_lowercase() {
        out.push(Mismatch::Commitment);
    }
    let mut remaining: Vec<u32> = prizes.iter().map(|p| p.stock).collect();
    let mut sorted: Vec<&EntryResult> = entries.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    for (i, e) in sorted.iter().enumerate() {
        if e.seq != i as u64 + 1 {
            out.push(Mismatch::Sequence(e.seq));
        }
        let derived = award(
            pick(roll(seed, &e.entry_id), prizes),
            prizes,
            &mut remaining,
        );
        if derived != e.awarded {
            out.push(Mismatch::Award {
                seq: e.seq,
                recorded: e.awarded,
                derived,
            });
        }
    }
    out
}

/// Applies stock to a pick: the prize if one is left (and takes it), else nothing.
pub fn award(picked: Option<u32>, prizes: &[Prize], remaining: &mut [u32]) -> Option<u32> {
    let i = prizes.iter().position(|p| Some(p.index) == picked)?;
    let left = remaining.get_mut(i)?;
    if *left == 0 {
        return None;
    }
    *left -= 1;
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prizes() -> Vec<Prize> {
        vec![
            Prize {
                index: 0,
                odds_bp: 100,
                stock: 2,
            },
            Prize {
                index: 1,
                odds_bp: 3_000,
                stock: 50,
            },
        ]
    }

    #[test]
    fn known_answers() {
        // Python: hashlib.sha256(b"seed"), hmac.new(b"seed", b"e1", sha256).digest()[:8].
        assert_eq!(
            commitment("seed"),
            "19b25856e1c150ca834cffc8b59b23adbd0ec0389e58eb22b3b64768098d002b"
        );
        assert_eq!(roll("seed", "e1"), 3_668_433_245_036_305_307);
        assert_ne!(roll("seed", "e1"), roll("seed", "e2"));
        assert_ne!(roll("seed", "e1"), roll("other", "e1"));
    }

    #[test]
    fn odds_are_cumulative_basis_points() {
        let p = prizes();
        assert_eq!(pick(0, &p), Some(0));
        assert_eq!(pick(99, &p), Some(0));
        assert_eq!(pick(100, &p), Some(1));
        assert_eq!(pick(3_099, &p), Some(1));
        assert_eq!(pick(3_100, &p), None);
        assert_eq!(pick(10_000 + 50, &p), Some(0), "modulo the scale");
    }

    #[test]
    fn validation() {
        assert_eq!(validate(&[]), Err(PrizeError::Empty));
        assert_eq!(
            validate(&[Prize {
                index: 0,
                odds_bp: 10_001,
                stock: 1
            }]),
            Err(PrizeError::OddsTooHigh(10_001))
        );
        assert_eq!(
            validate(&[Prize {
                index: 3,
                odds_bp: 0,
                stock: 1
            }]),
            Err(PrizeError::Pointless(3))
        );
        validate(&prizes()).unwrap();
    }

    #[test]
    fn verify_replays_stock_and_catches_tampering() {
        let p = prizes();
        let seed = "s3cr3t";
        let mut remaining = vec![2, 50];
        let entries: Vec<EntryResult> = (1..=500u64)
            .map(|seq| {
                let id = format!("entry-{seq}");
                let awarded = award(pick(roll(seed, &id), &p), &p, &mut remaining);
                EntryResult {
                    seq,
                    entry_id: id,
                    awarded,
                }
            })
            .collect();
        assert!(
            entries.iter().filter(|e| e.awarded == Some(0)).count() <= 2,
            "never beyond stock"
        );
        assert!(verify(&commitment(seed), seed, &p, &entries).is_empty());
        assert_eq!(
            verify(&commitment("other"), seed, &p, &entries),
            vec![Mismatch::Commitment]
        );
        let mut forged = entries.clone();
        let i = forged.iter().position(|e| e.awarded.is_none()).unwrap();
        forged[i].awarded = Some(1);
        assert!(matches!(
            verify(&commitment(seed), seed, &p, &forged)[0],
            Mismatch::Award { .. }
        ));
    }
}
