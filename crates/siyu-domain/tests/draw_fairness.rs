//! Draw fairness: over many entries, outcomes follow the configured odds (Pearson's chi-square
//! goodness of fit), for several seeds and prize pools, including tiny odds.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use siyu_domain::draw::{pick, roll, Prize};

/// Chi-square critical values at p = 0.001 by degrees of freedom (1..=6).
const CRITICAL_0_001: [f64; 6] = [10.828, 13.816, 16.266, 18.467, 20.515, 22.458];

fn chi_square(seed: &str, prizes: &[Prize], n: u32) -> (f64, usize) {
    let k = prizes.len() + 1; // the prizes and "nothing"
    let mut observed = vec![0u64; k];
    for i in 0..n {
        let outcome =
            pick(roll(seed, &format!("dr_fair:{i}")), prizes).map_or(k - 1, |p| p as usize);
        observed[outcome] += 1;
    }
    let total_odds: u32 = prizes.iter().map(|p| p.odds_bp).sum();
    let mut expected: Vec<f64> = prizes
        .iter()
        .map(|p| f64::from(n) * f64::from(p.odds_bp) / 10_000.0)
        .collect();
    expected.push(f64::from(n) * f64::from(10_000 - total_odds) / 10_000.0);
    let stat = observed
        .iter()
        .zip(&expected)
        .filter(|(_, e)| **e > 0.0)
        .map(|(o, e)| (*o as f64 - e).powi(2) / e)
        .sum();
    let cells = expected.iter().filter(|e| **e > 0.0).count();
    (stat, cells - 1)
}

fn pool(odds: &[u32]) -> Vec<Prize> {
    odds.iter()
        .enumerate()
        .map(|(i, o)| Prize {
            index: i as u32,
            odds_bp: *o,
            stock: u32::MAX,
        })
        .collect()
}

#[test]
fn outcomes_follow_the_configured_odds() {
    // Many small prizes, as the product asks: a few common ones and some rare ones.
    let pools = [
        pool(&[4_000, 5_000]),
        pool(&[100, 500, 1_000, 2_500]),
        pool(&[10, 90, 900, 3_000, 6_000]),
    ];
    for (i, prizes) in pools.iter().enumerate() {
        for seed in ["c0ffee", "seed-2026-11-23", "开业抽奖"] {
            let (stat, df) = chi_square(seed, prizes, 60_000);
            assert!(
                stat < CRITICAL_0_001[df - 1],
                "pool {i}, seed {seed}: chi-square {stat:.2} with {df} degrees of freedom"
            );
        }
    }
}

#[test]
fn a_biased_pick_would_be_caught() {
    // The same statistic flags a procedure that gives prize 0 100 basis points (1 %) more than its
    // odds say: the test has the power to see small unfairness at this sample size.
    let biased = pool(&[2_100, 3_000]);
    let n = 60_000;
    let mut observed = [0u64; 3];
    for i in 0..n {
        let o = pick(roll("c0ffee", &format!("dr_fair:{i}")), &biased).map_or(2, |p| p as usize);
        observed[o] += 1;
    }
    let expected = [0.2, 0.3, 0.5].map(|p| p * f64::from(n));
    let stat: f64 = observed
        .iter()
        .zip(expected)
        .map(|(o, e)| (*o as f64 - e).powi(2) / e)
        .sum();
    assert!(
        stat > CRITICAL_0_001[1],
        "bias of 1% went unnoticed: {stat:.2}"
    );
}
