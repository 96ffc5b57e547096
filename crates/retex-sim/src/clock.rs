//! Simulated time: instants, the four regions' time zones with their daylight-saving rules, and opening hours.
//!
//! The workspace carries no time zone database, and the simulator needs only the zones it puts stores in, so it
//! implements their rules directly, and the public holidays on which stores close: the European Union's (last Sunday of March to last Sunday of October, at
//! 01:00 UTC) and the United States' (second Sunday of March to first Sunday of November, at 02:00 local).
//! Instants are [`Timestamp`]s (milliseconds since the epoch, UTC); every simulated instant is a whole second.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Weekday};
use retex_core::codes::Timestamp;
use retex_core::event::OpeningHours;

pub(crate) const SECOND: i64 = 1_000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// Whether stores close on a local date for a public holiday.
pub(crate) type HolidayCalendar = fn(NaiveDate) -> bool;

/// New Year's Day, Christmas and Boxing Day.
pub(crate) fn european_holiday(date: NaiveDate) -> bool {
    matches!((date.month(), date.day()), (1, 1) | (12, 25 | 26))
}

/// New Year's Day, Independence Day, Thanksgiving (the fourth Thursday of November) and Christmas.
pub(crate) fn united_states_holiday(date: NaiveDate) -> bool {
    let thanksgiving = NaiveDate::from_weekday_of_month_opt(date.year(), 11, Weekday::Thu, 4);
    matches!((date.month(), date.day()), (1, 1) | (7, 4) | (12, 25)) || Some(date) == thanksgiving
}

/// Minutes a daylight-saving clock runs ahead of standard time.
const DAYLIGHT_SAVING_MINUTES: i32 = 60;
/// The European switch happens at 01:00 UTC.
const EUROPEAN_SWITCH_UTC_MINUTE: i64 = 60;
/// The United States switch happens at 02:00 local time.
const UNITED_STATES_SWITCH_LOCAL_MINUTE: i64 = 120;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DaylightSaving {
    /// The zone keeps its standard offset all year (UTC).
    Never,
    European,
    UnitedStates,
}

/// A time zone as a standard offset and a daylight-saving rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Zone {
    pub(crate) standard_offset_minutes: i32,
    pub(crate) daylight_saving: DaylightSaving,
}

impl Zone {
    /// The offset from UTC, in minutes, in force at `at`.
    pub(crate) fn offset_minutes_at(self, at: Timestamp) -> i32 {
        let year = utc_date(at).year();
        let (begins, ends) = self.daylight_saving_period(year);
        if at >= begins && at < ends {
            self.standard_offset_minutes + DAYLIGHT_SAVING_MINUTES
        } else {
            self.standard_offset_minutes
        }
    }

    /// The UTC instants at which daylight saving begins and ends in `year`.
    fn daylight_saving_period(self, year: i32) -> (Timestamp, Timestamp) {
        let standard_offset = i64::from(self.standard_offset_minutes) * MINUTE;
        match self.daylight_saving {
            DaylightSaving::Never => (Timestamp(i64::MAX), Timestamp(i64::MAX)), // an empty period
            DaylightSaving::European => {
                let begins = midnight(last_sunday(year, 3)) + EUROPEAN_SWITCH_UTC_MINUTE * MINUTE;
                let ends = midnight(last_sunday(year, 10)) + EUROPEAN_SWITCH_UTC_MINUTE * MINUTE;
                (Timestamp(begins), Timestamp(ends))
            }
            DaylightSaving::UnitedStates => {
                let second_sunday_of_march = nth_sunday(year, 3, 2);
                let first_sunday_of_november = nth_sunday(year, 11, 1);
                let switch_local = UNITED_STATES_SWITCH_LOCAL_MINUTE * MINUTE;
                let begins = midnight(second_sunday_of_march) + switch_local - standard_offset;
                let daylight_offset = standard_offset + i64::from(DAYLIGHT_SAVING_MINUTES) * MINUTE;
                let ends = midnight(first_sunday_of_november) + switch_local - daylight_offset;
                (Timestamp(begins), Timestamp(ends))
            }
        }
    }

    /// The UTC instant of a local wall-clock time. Within the switching hour at night the answer may be off by the
    /// switch; the simulator never schedules anything there.
    pub(crate) fn utc_of_local(self, date: NaiveDate, minute_of_day: u16) -> Timestamp {
        let local = midnight(date) + i64::from(minute_of_day) * MINUTE;
        let guess = Timestamp(local - i64::from(self.standard_offset_minutes) * MINUTE);
        Timestamp(local - i64::from(self.offset_minutes_at(guess)) * MINUTE)
    }

    /// The local calendar date at `at`.
    pub(crate) fn local_date(self, at: Timestamp) -> NaiveDate {
        utc_date(Timestamp(at.0 + i64::from(self.offset_minutes_at(at)) * MINUTE))
    }
}

/// When a location opens and closes on a local date; `None` hours means always open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BusinessDay {
    pub(crate) opens_at: Timestamp,
    pub(crate) closes_at: Timestamp,
}

pub(crate) fn business_day(zone: Zone, hours: OpeningHours, date: NaiveDate) -> BusinessDay {
    BusinessDay {
        opens_at: zone.utc_of_local(date, hours.open_minute),
        closes_at: zone.utc_of_local(date, hours.close_minute),
    }
}

/// The first instant at or after `at` when the location is open.
pub(crate) fn next_open_instant(zone: Zone, hours: OpeningHours, at: Timestamp) -> Timestamp {
    let date = zone.local_date(at);
    let today = business_day(zone, hours, date);
    if at < today.opens_at {
        return today.opens_at;
    }
    if at < today.closes_at {
        return at;
    }
    business_day(zone, hours, date + Days::new(1)).opens_at
}

/// An event's `at`: the instant written with the offset of the place where it happened.
pub(crate) fn event_time(at: Timestamp, offset_minutes: i32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(offset_minutes * 60).expect("zone offsets are within a day");
    DateTime::from_timestamp_millis(at.0)
        .expect("simulated instants are within chrono's range")
        .with_timezone(&offset)
}

pub(crate) fn utc_date(at: Timestamp) -> NaiveDate {
    DateTime::from_timestamp_millis(at.0)
        .expect("simulated instants are within chrono's range")
        .date_naive()
}

/// Milliseconds since the epoch of midnight UTC starting `date`.
pub(crate) fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp_millis()
}

/// Monday = 0 ... Sunday = 6.
pub(crate) fn weekday_index(date: NaiveDate) -> usize {
    date.weekday().num_days_from_monday() as usize
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let first_of_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let last_day = first_of_next.expect("a valid month") - Days::new(1);
    last_day - Days::new(u64::from(last_day.weekday().num_days_from_sunday()))
}

fn nth_sunday(year: i32, month: u32, nth: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth)
        .expect("every month has a first and second Sunday")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn thanksgiving_2026_is_the_26th_of_november() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(united_states_holiday(day(26)));
        assert!(!united_states_holiday(day(19)) && !european_holiday(day(26)));
        assert!(european_holiday(NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()));
    }

    #[test]
    fn european_summer_time_follows_the_last_sundays() {
        let berlin = Zone {
            standard_offset_minutes: 60,
            daylight_saving: DaylightSaving::European,
        };
        assert_eq!(berlin.offset_minutes_at(instant("2026-03-29T00:59:59Z")), 60);
        assert_eq!(berlin.offset_minutes_at(instant("2026-03-29T01:00:00Z")), 120);
        assert_eq!(berlin.offset_minutes_at(instant("2026-10-25T00:59:59Z")), 120);
        assert_eq!(berlin.offset_minutes_at(instant("2026-10-25T01:00:00Z")), 60);
    }

    #[test]
    fn united_states_daylight_time_switches_at_two_local() {
        let new_york = Zone {
            standard_offset_minutes: -300,
            daylight_saving: DaylightSaving::UnitedStates,
        };
        assert_eq!(new_york.offset_minutes_at(instant("2026-03-08T06:59:59Z")), -300);
        assert_eq!(new_york.offset_minutes_at(instant("2026-03-08T07:00:00Z")), -240);
        assert_eq!(new_york.offset_minutes_at(instant("2026-11-01T05:59:59Z")), -240);
        assert_eq!(new_york.offset_minutes_at(instant("2026-11-01T06:00:00Z")), -300);
    }

    #[test]
    fn opening_hours_become_utc_instants() {
        let chicago = Zone {
            standard_offset_minutes: -360,
            daylight_saving: DaylightSaving::UnitedStates,
        };
        let hours = OpeningHours::parse("09:00-21:00").unwrap();
        let day = business_day(chicago, hours, NaiveDate::from_ymd_opt(2026, 11, 2).unwrap());
        assert_eq!(day.opens_at, instant("2026-11-02T15:00:00Z"));
        assert_eq!(day.closes_at, instant("2026-11-03T03:00:00Z"));
        assert_eq!(
            next_open_instant(chicago, hours, instant("2026-11-03T04:00:00Z")),
            instant("2026-11-03T15:00:00Z")
        );
    }
}
