//! Civil dates in China Standard Time (UTC+8, no daylight saving), the time merchants and
//! WeChat's quotas count in. Howard Hinnant's `civil_from_days` / `days_from_civil`.

/// China Standard Time's offset from UTC, in milliseconds.
pub const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// A moment as a China wall clock shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChinaTime {
    /// Year.
    pub year: i64,
    /// Month, 1–12.
    pub month: i64,
    /// Day of the month, 1–31.
    pub day: i64,
    /// Hour, 0–23.
    pub hour: i64,
    /// Minute, 0–59.
    pub minute: i64,
    /// Second, 0–59.
    pub second: i64,
}

/// `(year, month 1–12, day 1–31)` of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The China wall-clock time of Unix milliseconds.
pub fn china_time(ms: i64) -> ChinaTime {
    let local = ms + CHINA_OFFSET_MS;
    let (year, month, day) = civil_from_days(local.div_euclid(DAY_MS));
    let secs = local.rem_euclid(DAY_MS) / 1000;
    ChinaTime {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
    }
}

/// Unix milliseconds of a China wall-clock time (fields taken as given, not range-checked).
pub fn from_china_time(year: i64, month: i64, day: i64, hour: i64, minute: i64) -> i64 {
    ((days_from_civil(year, month, day) * 24 + hour) * 60 + minute) * 60_000 - CHINA_OFFSET_MS
}

/// Unix milliseconds of the start (00:00 China time) of the calendar month containing `ms`.
pub fn china_month_start(ms: i64) -> i64 {
    let t = china_time(ms);
    from_china_time(t.year, t.month, 1, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_month_starts() {
        // 2026-11-23 08:00 in China is 00:00 UTC.
        let ms = 1_795_392_000_000;
        assert_eq!(from_china_time(2026, 11, 23, 8, 0), ms);
        let t = china_time(ms + 61_000);
        assert_eq!(
            (t.year, t.month, t.day, t.hour, t.minute, t.second),
            (2026, 11, 23, 8, 1, 1)
        );
        assert_eq!(china_month_start(ms), from_china_time(2026, 11, 1, 0, 0));
        // 2024-02-29 and a month that starts on New Year's Eve in UTC.
        assert_eq!(china_time(from_china_time(2024, 2, 29, 23, 59)).day, 29);
        assert_eq!(
            china_month_start(from_china_time(2027, 1, 1, 0, 30)),
            from_china_time(2027, 1, 1, 0, 0)
        );
        for days in [-800_000i64, -1, 0, 59, 11_016, 20_415, 800_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
