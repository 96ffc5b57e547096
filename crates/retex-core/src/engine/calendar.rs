//! Business-hours arithmetic for SLA targets (workflow.md): time accrues only while the location is open.
//!
//! A location's `hours` are local wall-clock times, every day, in its IANA `timezone`, so a target follows
//! daylight-saving changes. Without hours (or without a location) the clock runs around the clock.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

use crate::codes::Timestamp;
use crate::event::OpeningHours;

/// How far ahead a target is searched; a location open a minute a day still fits any target in this.
const CALENDAR_DAYS_MAX: u64 = 3_660;

/// Where time accrues: a zone and daily hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusinessHours {
    pub zone: Tz,
    pub hours: OpeningHours,
}

/// The instant at which `duration_ms` of business time has accrued since `start`; `holidays` (sorted local
/// dates) are closed all day.
pub fn add_business_time(
    start: Timestamp,
    duration_ms: i64,
    calendar: Option<BusinessHours>,
    holidays: &[NaiveDate],
) -> Timestamp {
    let mut due = [Timestamp(0)];
    add_business_times(start, &[duration_ms], calendar, holidays, &mut due);
    due[0]
}

/// Like [`add_business_time`] for several durations at once (an exception's SLA targets and escalation
/// levels), in one walk over the calendar: `dues[i]` is when `durations_ms[i]` has accrued. At most 64.
pub fn add_business_times(
    start: Timestamp,
    durations_ms: &[i64],
    calendar: Option<BusinessHours>,
    holidays: &[NaiveDate],
    dues: &mut [Timestamp],
) {
    assert!(
        durations_ms.len() == dues.len() && dues.len() <= 64,
        "one due per duration, at most 64"
    );
    for (due, duration) in dues.iter_mut().zip(durations_ms) {
        *due = Timestamp(start.0 + duration);
    }
    let Some(calendar) = calendar else {
        return;
    };
    let start_local = calendar
        .zone
        .timestamp_millis_opt(start.0)
        .single()
        .map(|at| at.date_naive());
    let Some(start_day) = start_local else {
        return;
    };
    let mut pending: u64 = if dues.len() == 64 {
        u64::MAX
    } else {
        (1 << dues.len()) - 1
    };
    let mut elapsed = 0;
    // Begin a day early: yesterday's hours may run past midnight into today.
    let mut day = start_day.checked_sub_days(Days::new(1)).unwrap_or(start_day);
    for _ in 0..CALENDAR_DAYS_MAX {
        let (open, close) = open_interval(day, calendar);
        if close > start.0 && holidays.binary_search(&day).is_err() {
            let from = open.max(start.0);
            let available = close - from;
            for (index, duration) in durations_ms.iter().enumerate() {
                if pending & (1 << index) != 0 && duration - elapsed <= available {
                    dues[index] = Timestamp(from + (duration - elapsed));
                    pending &= !(1 << index);
                }
            }
            if pending == 0 {
                return;
            }
            elapsed += available;
        }
        day = day
            .checked_add_days(Days::new(1))
            .expect("calendar dates stay in range");
    }
}

/// The open interval of one local day, in UTC milliseconds; a close at or before the open is the next day.
fn open_interval(day: NaiveDate, calendar: BusinessHours) -> (i64, i64) {
    let open = local_instant(day, calendar.hours.open_minute, calendar.zone);
    let close_day = if calendar.hours.close_minute <= calendar.hours.open_minute {
        day.checked_add_days(Days::new(1))
            .expect("calendar dates stay in range")
    } else {
        day
    };
    let close = local_instant(close_day, calendar.hours.close_minute, calendar.zone);
    (open, close)
}

/// A local wall-clock time as an instant. A time skipped by a daylight-saving change counts from the end of
/// the gap; a time that happens twice counts its first occurrence.
fn local_instant(day: NaiveDate, minute: u16, zone: Tz) -> i64 {
    let (day, minute) = if minute >= 24 * 60 {
        (
            day.checked_add_days(Days::new(1))
                .expect("calendar dates stay in range"),
            minute - 24 * 60,
        )
    } else {
        (day, minute)
    };
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0).expect("a valid clock time");
    let mut local = NaiveDateTime::new(day, time);
    for _ in 0..4 {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.timestamp_millis();
        }
        local += chrono::Duration::minutes(30);
    }
    zone.from_utc_datetime(&NaiveDateTime::new(day, time))
        .timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn new_york_nine_to_five() -> Option<BusinessHours> {
        Some(BusinessHours {
            zone: chrono_tz::America::New_York,
            hours: OpeningHours::parse("09:00-17:00").unwrap(),
        })
    }

    const HOUR: i64 = 3_600_000;

    #[test]
    fn the_workflow_md_example_holds() {
        let opened = at("2026-11-02T21:30:00Z");
        assert_eq!(
            add_business_time(opened, 8 * HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-03T21:30:00Z")
        );
        assert_eq!(
            add_business_time(opened, 72 * HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-11T21:30:00Z")
        );
    }

    #[test]
    fn opened_after_closing_starts_at_the_next_opening() {
        // 18:00 local on 2026-11-02 (EST, UTC-5): the clock starts at 09:00 the next day.
        let opened = at("2026-11-02T23:00:00Z");
        assert_eq!(
            add_business_time(opened, HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-03T15:00:00Z")
        );
    }

    #[test]
    fn a_daylight_saving_change_moves_the_utc_hours() {
        // New York leaves summer time on 2026-11-01: 09:00 local is 13:00Z before and 14:00Z after.
        let opened = at("2026-10-31T20:00:00Z"); // 16:00 EDT, one hour before closing
        assert_eq!(
            add_business_time(opened, 2 * HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-01T15:00:00Z")
        );
    }

    #[test]
    fn overnight_hours_run_past_midnight() {
        let calendar = Some(BusinessHours {
            zone: chrono_tz::UTC,
            hours: OpeningHours::parse("22:00-06:00").unwrap(),
        });
        assert_eq!(
            add_business_time(at("2026-11-02T05:00:00Z"), 2 * HOUR, calendar, &[]),
            at("2026-11-02T23:00:00Z")
        );
        assert_eq!(
            add_business_time(at("2026-11-02T12:00:00Z"), 7 * HOUR, calendar, &[]),
            at("2026-11-03T05:00:00Z")
        );
    }

    #[test]
    fn one_walk_gives_every_due_as_separate_walks_do() {
        let opened = at("2026-11-02T21:30:00Z");
        let durations = [30 * 60_000, 8 * HOUR, 54 * HOUR, 72 * HOUR, 0];
        let mut dues = [Timestamp(0); 5];
        add_business_times(opened, &durations, new_york_nine_to_five(), &[], &mut dues);
        for (due, duration) in dues.iter().zip(durations) {
            assert_eq!(*due, add_business_time(opened, duration, new_york_nine_to_five(), &[]));
        }
        assert_eq!(dues[1], at("2026-11-03T21:30:00Z"));
    }

    #[test]
    fn without_hours_the_clock_runs_around_the_clock() {
        assert_eq!(
            add_business_time(at("2026-11-02T23:00:00Z"), HOUR, None, &[]),
            at("2026-11-03T00:00:00Z")
        );
    }
}

/// Business time on a location's calendar up to `at`, from an arbitrary origin: the difference of two readings is
/// the business time between them (closed hours do not count). Without hours, or with hours running past
/// midnight, it is wall time.
pub fn business_clock_ms(calendar: Option<BusinessHours>, holidays: &[NaiveDate], at: Timestamp) -> i64 {
    use chrono::Datelike;
    let Some(calendar) = calendar else { return at.0 };
    if calendar.hours.close_minute <= calendar.hours.open_minute {
        return at.0;
    }
    let Some(day) = calendar
        .zone
        .timestamp_millis_opt(at.0)
        .single()
        .map(|local| local.date_naive())
    else {
        return at.0;
    };
    let (open, close) = open_interval(day, calendar);
    let open_length_ms = i64::from(calendar.hours.close_minute - calendar.hours.open_minute) * 60_000;
    let open_days_before =
        i64::from(day.num_days_from_ce()) - holidays.partition_point(|holiday| *holiday < day) as i64;
    let today = if holidays.binary_search(&day).is_ok() {
        0
    } else {
        (at.0 - open).clamp(0, (close - open).min(open_length_ms))
    };
    open_days_before * open_length_ms + today
}

#[cfg(test)]
mod business_clock_tests {
    use super::*;

    #[test]
    fn closed_hours_do_not_count() {
        let calendar = Some(BusinessHours {
            zone: chrono_tz::Europe::Berlin,
            hours: OpeningHours::parse("08:00-20:00").unwrap(),
        });
        let reading = |text: &str| business_clock_ms(calendar, &[], Timestamp::parse_rfc3339(text).unwrap());
        let evening = reading("2026-11-02T18:30:00Z"); // 19:30 local
        let closing = reading("2026-11-02T22:00:00Z"); // after closing
        let next_morning = reading("2026-11-03T07:30:00Z"); // 08:30 local
        assert_eq!(closing - evening, 30 * 60_000);
        assert_eq!(next_morning - evening, 60 * 60_000);
        assert_eq!(
            reading("2026-11-02T12:00:00Z") - reading("2026-11-02T11:00:00Z"),
            3_600_000
        );
    }

    #[test]
    fn holidays_are_closed_all_day_for_targets_and_the_clock_alike() {
        let calendar = Some(BusinessHours {
            zone: chrono_tz::Europe::Berlin,
            hours: OpeningHours::parse("08:00-20:00").unwrap(),
        });
        let christmas = [NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()];
        let start = Timestamp::parse_rfc3339("2026-12-24T18:00:00Z").unwrap(); // 19:00 local, an hour left
        let three_hours = 3 * 3_600_000;
        let due = add_business_time(start, three_hours, calendar, &christmas);
        // One hour on the 24th, none on the 25th, two on the 26th from 08:00 local.
        assert_eq!(due, Timestamp::parse_rfc3339("2026-12-26T09:00:00Z").unwrap());
        let clock = |at: Timestamp| business_clock_ms(calendar, &christmas, at);
        assert_eq!(clock(due) - clock(start), three_hours);
        let on_the_holiday = Timestamp::parse_rfc3339("2026-12-25T12:00:00Z").unwrap();
        assert_eq!(
            clock(on_the_holiday),
            clock(Timestamp::parse_rfc3339("2026-12-24T19:00:00Z").unwrap())
        );
    }
}
