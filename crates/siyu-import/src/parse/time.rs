//! Times as Chinese exports write them, read as China time (UTC+8, no daylight saving) and
//! returned as Unix milliseconds.
//!
//! Accepted: `2024-03-01 12:30:45`, `2024/3/1 12:30`, `2024.03.01`, `2024年3月1日 12时30分`,
//! ISO `2024-03-01T12:30:45.123`, `20240301`, `20240301123045`, Unix seconds (10 digits) or
//! milliseconds (13 digits), and Excel serial dates (`45352.5208`, 1950–2100) such as a CSV saved
//! from a date column. Written by hand (about 100 lines) because the formats are loose (one- or
//! two-digit months, mixed separators) and chrono's strict formats would need a list of patterns.

use super::halfwidth;

/// China Standard Time is UTC+8 all year.
pub const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;

const DAY_MS: i64 = 86_400_000;

/// Excel serial day of 1970-01-01 (1900 date system).
const EXCEL_UNIX_EPOCH: i64 = 25_569;

/// Parses a date-time written in China time into Unix milliseconds.
pub fn parse_china_time(raw: &str) -> Result<i64, String> {
    let text = halfwidth(raw);
    let s = text.trim();
    if let Some(ms) = excel_serial(s) {
        return Ok(ms - CHINA_OFFSET_MS);
    }
    let runs = digit_runs(s).ok_or_else(|| bad_time(raw))?;
    let fields: Vec<u32> = match runs.as_slice() {
        [one] if one.len() == 10 => return unix(one, 1000).ok_or_else(|| bad_time(raw)),
        [one] if one.len() == 13 => return unix(one, 1).ok_or_else(|| bad_time(raw)),
        [one] if matches!(one.len(), 8 | 12 | 14) => compact(one),
        runs if runs.len() >= 3 && runs[0].len() == 4 => runs.iter().map(|r| num(r)).collect(),
        _ => return Err(bad_time(raw)),
    };
    let (y, mo, d) = (fields[0], fields[1], fields[2]);
    let (h, mi, sec) = match fields.len() {
        3 => (0, 0, 0),
        5 => (fields[3], fields[4], 0),
        6 | 7 => (fields[3], fields[4], fields[5]),
        _ => return Err(bad_time(raw)),
    };
    let ms = if fields.len() == 7 {
        millis(&runs[runs.len() - 1])
    } else {
        0
    };
    check_date(y, mo, d).map_err(|why| format!("\"{raw}\": {why}"))?;
    if h > 23 || mi > 59 || sec > 59 {
        return Err(format!("\"{raw}\": the time of day is out of range"));
    }
    let local = days_from_civil(i64::from(y), mo, d) * DAY_MS
        + i64::from(h) * 3_600_000
        + i64::from(mi) * 60_000
        + i64::from(sec) * 1000
        + ms;
    Ok(local - CHINA_OFFSET_MS)
}

/// Parses a calendar date, the year optional (`1990-05-12`, `19900512`, `5月12日`, `05-12`);
/// a time after the date is ignored. Returns `(year, month, day)`.
pub fn parse_date(raw: &str) -> Result<(Option<i32>, u32, u32), String> {
    let text = halfwidth(raw);
    let s = text.trim();
    if let Some(ms) = excel_serial(s) {
        let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
        return Ok((i32::try_from(y).ok(), m, d));
    }
    let runs = digit_runs(s).ok_or_else(|| bad_date(raw))?;
    let (y, m, d) = match runs.as_slice() {
        [one] if one.len() == 8 => {
            let f = compact(one);
            (Some(f[0]), f[1], f[2])
        }
        [m, d] if m.len() <= 2 && d.len() <= 2 => (None, num(m), num(d)),
        [y, m, d, ..] if y.len() == 4 => (Some(num(y)), num(m), num(d)),
        _ => return Err(bad_date(raw)),
    };
    check_date(y.unwrap_or(2000), m, d).map_err(|why| format!("\"{raw}\": {why}"))?;
    Ok((y.and_then(|y| i32::try_from(y).ok()), m, d))
}

fn bad_time(raw: &str) -> String {
    format!("\"{raw}\" is not a date and time; write it like 2024-03-01 12:30:45")
}

fn bad_date(raw: &str) -> String {
    format!("\"{raw}\" is not a date; write it like 1990-05-12")
}

/// The digit runs of `s`, or `None` if it holds anything but digits and date/time separators.
fn digit_runs(s: &str) -> Option<Vec<String>> {
    let mut runs: Vec<String> = Vec::new();
    let mut in_run = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_run {
                runs.push(String::new());
                in_run = true;
            }
            runs.last_mut()?.push(c);
        } else if matches!(
            c,
            '-' | '/' | '.' | ' ' | 'T' | ':' | '年' | '月' | '日' | '号' | '时' | '分' | '秒'
        ) {
            in_run = false;
        } else {
            return None;
        }
    }
    Some(runs)
}

fn num(run: &str) -> u32 {
    // Runs longer than 9 digits cannot be valid fields; saturate so range checks reject them.
    run.parse().unwrap_or(u32::MAX)
}

/// Splits `YYYYMMDD[HHMM[SS]]`.
fn compact(run: &str) -> Vec<u32> {
    [(0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)]
        .iter()
        .filter(|(_, end)| *end <= run.len())
        .map(|(a, b)| num(&run[*a..*b]))
        .collect()
}

/// Milliseconds from a fractional-seconds run (`1`, `12`, `123`, `123456`).
fn millis(run: &str) -> i64 {
    let mut digits: String = run.chars().take(3).collect();
    while digits.len() < 3 {
        digits.push('0');
    }
    i64::from(num(&digits))
}

fn unix(run: &str, scale: i64) -> Option<i64> {
    run.parse::<i64>().ok()?.checked_mul(scale)
}

fn check_date(y: u32, m: u32, d: u32) -> Result<(), &'static str> {
    if !(1900..=2100).contains(&y) {
        return Err("the year must be between 1900 and 2100");
    }
    if !(1..=12).contains(&m) {
        return Err("the month must be 1–12");
    }
    if d == 0 || d > days_in_month(i64::from(y), m) {
        return Err("that day does not exist in that month");
    }
    Ok(())
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// An Excel serial date-time (1950–2100) as local Unix milliseconds, computed without floats.
fn excel_serial(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || whole.len() > 5 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let days: i64 = whole.parse().ok()?;
    if !(18_264..=73_051).contains(&days) {
        return None;
    }
    let frac: String = frac.chars().take(12).collect();
    let scale = 10_i128.pow(u32::try_from(frac.len()).ok()?);
    let part: i128 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    let in_day = i64::try_from((part * i128::from(DAY_MS) + scale / 2) / scale).ok()?;
    Some((days - EXCEL_UNIX_EPOCH) * DAY_MS + in_day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-03-01 12:30:45 in Shanghai is 04:30:45 UTC.
    const T: i64 = 1_709_267_445_000;

    #[test]
    fn common_export_formats_are_china_time() {
        assert_eq!(parse_china_time("2024-03-01 12:30:45"), Ok(T));
        assert_eq!(parse_china_time("2024/3/1 12:30:45"), Ok(T));
        assert_eq!(parse_china_time("2024/3/1 12:30"), Ok(T - 45_000));
        assert_eq!(parse_china_time("2024年3月1日 12时30分45秒"), Ok(T));
        assert_eq!(parse_china_time("2024-03-01T12:30:45.5"), Ok(T + 500));
        assert_eq!(parse_china_time("20240301123045"), Ok(T));
        assert_eq!(parse_china_time("2024.03.01"), Ok(T - 45_045_000));
        assert_eq!(parse_china_time("1709267445"), Ok(T));
    }

    #[test]
    fn excel_serials_are_exact() {
        // 45352 is 2024-03-01; 0.5 is noon.
        assert_eq!(parse_china_time("45352.5"), Ok(T - 30 * 60_000 - 45_000));
        assert_eq!(parse_china_time("45352"), parse_china_time("2024-03-01"));
    }

    #[test]
    fn impossible_times_are_refused() {
        for raw in [
            "2024-02-30 10:00",
            "2024-13-01",
            "2024-03-01 24:00",
            "明天",
            "3/1/2024",
            "12:30",
        ] {
            assert!(parse_china_time(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn dates_with_or_without_year() {
        assert_eq!(parse_date("1990-05-12"), Ok((Some(1990), 5, 12)));
        assert_eq!(parse_date("1990/5/12 00:00:00"), Ok((Some(1990), 5, 12)));
        assert_eq!(parse_date("19900512"), Ok((Some(1990), 5, 12)));
        assert_eq!(parse_date("5月12日"), Ok((None, 5, 12)));
        assert_eq!(parse_date("02-29"), Ok((None, 2, 29)));
        assert_eq!(parse_date("33010"), Ok((Some(1990), 5, 17)));
        assert!(parse_date("1990-02-30").is_err());
    }

    #[test]
    fn civil_round_trips() {
        for days in [-1, 0, 19_783, 47_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
