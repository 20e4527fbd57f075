//! When a rule is active: days of the week and a span of minutes in China time (UTC+8).

use serde::{Deserialize, Serialize};

/// Minutes in a day; a window may end at this value to mean "until midnight".
pub const MINUTES_PER_DAY: u16 = 1_440;

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;
/// China Standard Time has no daylight saving: it is always UTC+8.
const CHINA_OFFSET_MS: i64 = 8 * 60 * MS_PER_MINUTE;

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    /// Monday (星期一).
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Monday to Sunday, in order.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Monday is 0, Sunday is 6.
    #[must_use]
    pub fn index(self) -> u8 {
        self as u8
    }

    /// The day before: Monday's previous day is Sunday.
    #[must_use]
    pub fn previous(self) -> Weekday {
        Self::ALL[(usize::from(self.index()) + 6) % 7]
    }
}

/// A set of weekdays, stored as seven bits; serialised as a list such as `["mon","fri"]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(from = "Vec<Weekday>", into = "Vec<Weekday>")]
pub struct Weekdays(u8);

impl Weekdays {
    /// Every day of the week.
    pub const EVERY_DAY: Weekdays = Weekdays(0b111_1111);
    /// Monday to Friday.
    pub const WORKDAYS: Weekdays = Weekdays(0b001_1111);
    /// Saturday and Sunday.
    pub const WEEKEND: Weekdays = Weekdays(0b110_0000);

    /// Whether `day` is in the set.
    #[must_use]
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.index()) != 0
    }

    /// Whether the set has no day at all (such a window never opens).
    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Weekday> for Weekdays {
    fn from_iter<I: IntoIterator<Item = Weekday>>(days: I) -> Self {
        Weekdays(days.into_iter().fold(0, |bits, d| bits | (1 << d.index())))
    }
}

impl From<Vec<Weekday>> for Weekdays {
    fn from(days: Vec<Weekday>) -> Self {
        days.into_iter().collect()
    }
}

impl From<Weekdays> for Vec<Weekday> {
    fn from(days: Weekdays) -> Self {
        Weekday::ALL
            .into_iter()
            .filter(|d| days.contains(*d))
            .collect()
    }
}

/// A weekly window in China time during which a rule may match.
///
/// `start_minute..end_minute` is half-open, in minutes after local midnight. When
/// `end_minute < start_minute` the window spans midnight: it opens on each day in `days` at
/// `start_minute` and closes the next morning at `end_minute` (so a Friday 22:00–02:00 window
/// covers Saturday 01:30). `0..1440` is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimeWindow {
    /// Days on which the window opens.
    pub days: Weekdays,
    /// First minute of the window, 0..1440.
    pub start_minute: u16,
    /// Minute the window closes (exclusive), 0..=1440; below `start_minute` means the next day.
    pub end_minute: u16,
}

/// Why a time window is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// No weekday selected.
    #[error("the window has no weekday selected")]
    NoDays,
    /// A minute outside the day.
    #[error("minute {minute} is outside the day (start must be below 1440, end at most 1440)")]
    MinuteOutOfRange {
        /// The offending value.
        minute: u16,
    },
    /// Start equals end, which is ambiguous between empty and all day.
    #[error("start and end are both minute {minute}; use 0 to 1440 for the whole day")]
    Empty {
        /// The repeated minute.
        minute: u16,
    },
}

impl TimeWindow {
    /// A window on `days` from `start_minute` to `end_minute`, checked.
    pub fn new(days: Weekdays, start_minute: u16, end_minute: u16) -> Result<Self, WindowError> {
        let window = TimeWindow {
            days,
            start_minute,
            end_minute,
        };
        window.validate()?;
        Ok(window)
    }

    /// Checks the fields (deserialised windows bypass [`TimeWindow::new`]).
    pub fn validate(&self) -> Result<(), WindowError> {
        if self.days.is_empty() {
            return Err(WindowError::NoDays);
        }
        if self.start_minute >= MINUTES_PER_DAY {
            return Err(WindowError::MinuteOutOfRange {
                minute: self.start_minute,
            });
        }
        if self.end_minute > MINUTES_PER_DAY {
            return Err(WindowError::MinuteOutOfRange {
                minute: self.end_minute,
            });
        }
        if self.start_minute == self.end_minute {
            return Err(WindowError::Empty {
                minute: self.start_minute,
            });
        }
        Ok(())
    }

    /// Whether the instant `now_unix_ms` (milliseconds since the Unix epoch) falls inside.
    #[must_use]
    pub fn contains(&self, now_unix_ms: i64) -> bool {
        let (day, minute) = china_day_and_minute(now_unix_ms);
        if self.start_minute < self.end_minute {
            self.days.contains(day) && (self.start_minute..self.end_minute).contains(&minute)
        } else {
            // Spans midnight: the evening part belongs to today, the morning part to the day the
            // window opened, which is yesterday.
            (self.days.contains(day) && minute >= self.start_minute)
                || (self.days.contains(day.previous()) && minute < self.end_minute)
        }
    }
}

/// The weekday and minute of the day in China time for a Unix timestamp in milliseconds.
#[must_use]
pub fn china_day_and_minute(now_unix_ms: i64) -> (Weekday, u16) {
    let local = now_unix_ms.saturating_add(CHINA_OFFSET_MS);
    let days = local.div_euclid(MS_PER_DAY);
    // 1970-01-01 was a Thursday (index 3).
    let weekday = Weekday::ALL[usize::try_from((days + 3).rem_euclid(7)).unwrap_or(0)];
    let minute = u16::try_from(local.rem_euclid(MS_PER_DAY) / MS_PER_MINUTE).unwrap_or(0);
    (weekday, minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-01 00:00 China time (a Monday) is 2023-12-31 16:00 UTC.
    const MON_2024_01_01_CST: i64 = 1_704_038_400_000;
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;

    fn at(day_offset: i64, hour: i64, minute: i64) -> i64 {
        MON_2024_01_01_CST + day_offset * DAY + hour * HOUR + minute * 60_000
    }

    #[test]
    fn china_clock() {
        assert_eq!(china_day_and_minute(MON_2024_01_01_CST), (Weekday::Mon, 0));
        assert_eq!(
            china_day_and_minute(at(4, 21, 30)),
            (Weekday::Fri, 21 * 60 + 30)
        );
        // The Unix epoch was Thursday 08:00 in Beijing.
        assert_eq!(china_day_and_minute(0), (Weekday::Thu, 480));
        // One minute before the epoch, still Thursday 07:59.
        assert_eq!(china_day_and_minute(-60_000), (Weekday::Thu, 479));
        assert_eq!(china_day_and_minute(-8 * HOUR - 1), (Weekday::Wed, 1_439));
    }

    #[test]
    fn daytime_window_on_workdays() {
        let w = TimeWindow::new(Weekdays::WORKDAYS, 9 * 60, 18 * 60).unwrap();
        assert!(w.contains(at(0, 9, 0)));
        assert!(w.contains(at(4, 17, 59)));
        assert!(!w.contains(at(4, 18, 0)), "end is exclusive");
        assert!(!w.contains(at(0, 8, 59)));
        assert!(!w.contains(at(5, 12, 0)), "Saturday is not a workday");
    }

    #[test]
    fn overnight_window_belongs_to_the_day_it_opens() {
        // Friday night 22:00 to Saturday 02:00 only.
        let w = TimeWindow::new([Weekday::Fri].into_iter().collect(), 22 * 60, 2 * 60).unwrap();
        assert!(w.contains(at(4, 22, 0)));
        assert!(w.contains(at(4, 23, 59)));
        assert!(w.contains(at(5, 0, 0)), "Saturday just after midnight");
        assert!(w.contains(at(5, 1, 59)));
        assert!(!w.contains(at(5, 2, 0)));
        assert!(!w.contains(at(5, 22, 30)), "Saturday evening is not Friday");
        assert!(
            !w.contains(at(4, 1, 0)),
            "Friday morning belongs to Thursday's window"
        );
    }

    #[test]
    fn overnight_window_wraps_sunday_to_monday() {
        let w = TimeWindow::new([Weekday::Sun].into_iter().collect(), 23 * 60, 60).unwrap();
        assert!(w.contains(at(7, 0, 30)), "Monday 00:30 after Sunday night");
        assert!(!w.contains(at(0, 23, 30)), "Monday night is not Sunday");
        assert!(w.contains(at(6, 23, 30)));
    }

    #[test]
    fn whole_day_and_invalid_windows() {
        let w = TimeWindow::new(Weekdays::WEEKEND, 0, MINUTES_PER_DAY).unwrap();
        assert!(w.contains(at(6, 0, 0)) && w.contains(at(6, 23, 59)));
        assert!(!w.contains(at(7, 0, 0)));
        assert_eq!(
            TimeWindow::new(Weekdays::default(), 0, 60),
            Err(WindowError::NoDays)
        );
        assert_eq!(
            TimeWindow::new(Weekdays::EVERY_DAY, 1_440, 60),
            Err(WindowError::MinuteOutOfRange { minute: 1_440 })
        );
        assert_eq!(
            TimeWindow::new(Weekdays::EVERY_DAY, 0, 1_441),
            Err(WindowError::MinuteOutOfRange { minute: 1_441 })
        );
        assert_eq!(
            TimeWindow::new(Weekdays::EVERY_DAY, 60, 60),
            Err(WindowError::Empty { minute: 60 })
        );
    }

    #[test]
    fn weekdays_serialise_as_a_list() {
        let w = TimeWindow::new(Weekdays::WEEKEND, 600, 720).unwrap();
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(
            json,
            r#"{"days":["sat","sun"],"start_minute":600,"end_minute":720}"#
        );
        let back: TimeWindow = serde_json::from_str(&json).unwrap();
        assert_eq!(back, w);
    }
}
