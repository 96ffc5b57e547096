//! Business-hours arithmetic for SLA targets (workflow.md): time accrues only while the location is open.
//!
//! A location's `hours` are local wall-clock times, every day, in its IANA `timezone`, so a target follows
//! daylight-saving changes. Without hours (or without a location) the clock runs around the clock.
//!
//! Time-zone conversions are the costly part and the same few days are asked about again and again (every
//! exception and every `phantom_stock` check of a store falls on the store's recent days), so a
//! [`CalendarMemo`] keeps what it worked out: each zone's offset per UTC day and each calendar's open interval per
//! local day. It only memoises pure functions, so answers are the same with or without it.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone};
use chrono_tz::Tz;
use rustc_hash::FxHashMap;

use crate::codes::Timestamp;
use crate::event::OpeningHours;

/// How far ahead a target is searched; a location open a minute a day still fits any target in this.
const CALENDAR_DAYS_MAX: i32 = 3_660;

/// Where time accrues: a zone and daily hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BusinessHours {
    pub zone: Tz,
    pub hours: OpeningHours,
}

/// The most dues [`CalendarMemo::add_business_times`] works out in one walk: an exception's two SLA targets
/// and its escalation levels (the rules allow eight).
pub const DUES_MAX: usize = 64;

/// Days a memo table spans before it starts afresh: decades, far more than any target or silence needs.
const MEMO_DAYS_MAX: usize = 1 << 14;

/// Days since 0001-01-01 (chrono's day numbering) of 1970-01-01.
const UNIX_EPOCH_DAY_FROM_CE: i32 = 719_163;

/// What the calendar functions worked out before; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct CalendarMemo {
    /// Per zone, by UTC day (days since the Unix epoch): the zone's offset in milliseconds when it holds the whole
    /// day, `None` on a day with a change of offset.
    steady_offsets: FxHashMap<Tz, DayTable<Option<i64>>>,
    /// Per calendar, by local day (chrono's day number): the open interval in UTC milliseconds.
    open_intervals: FxHashMap<BusinessHours, DayTable<(i64, i64)>>,
    /// Per place (a caller's index, such as a location id), the calendar it was last read on and that local day,
    /// with the instants over which that answer holds: every till sale reads its store's clock, and a store's
    /// sales come day after day. Kept by place, a read is an index and a comparison, not a hash lookup.
    recent_days: Vec<Option<(BusinessHours, RecentDay)>>,
}

/// A calendar's local day and open interval, for the instants `from..until`: within one UTC day of a steady
/// offset, so that the local day cannot change in between.
#[derive(Clone, Copy, Debug)]
struct RecentDay {
    from: i64,
    until: i64,
    day: i32,
    open: i64,
    close: i64,
}

/// Values per day over a contiguous range of days, filled in as they are asked for.
#[derive(Clone, Debug)]
struct DayTable<T> {
    first_day: i32,
    values: Vec<Option<T>>,
}

impl<T> Default for DayTable<T> {
    fn default() -> Self {
        Self {
            first_day: 0,
            values: Vec::new(),
        }
    }
}

impl<T: Copy> DayTable<T> {
    /// The value of `day`, worked out by `compute` the first time it is asked for.
    fn get_or(&mut self, day: i32, compute: impl FnOnce() -> T) -> T {
        let index = i64::from(day) - i64::from(self.first_day);
        if let Ok(index) = usize::try_from(index)
            && let Some(Some(value)) = self.values.get(index)
        {
            return *value;
        }
        let index = self.make_room(day);
        *self.values[index].get_or_insert_with(compute)
    }

    /// The value of `day`, if it was worked out.
    fn get(&self, day: i32) -> Option<T> {
        let index = usize::try_from(i64::from(day) - i64::from(self.first_day)).ok()?;
        *self.values.get(index)?
    }

    /// Extends the range to cover `day` (starting afresh when that would span too many days); its index.
    fn make_room(&mut self, day: i32) -> usize {
        let (first, last) = match self.values.len() {
            0 => (day, day),
            held => (self.first_day.min(day), (self.first_day + held as i32 - 1).max(day)),
        };
        if (last - first) as usize >= MEMO_DAYS_MAX {
            self.values.clear();
            return self.make_room(day);
        }
        if self.values.is_empty() {
            self.first_day = day;
        }
        let before = (self.first_day - first) as usize;
        if before > 0 {
            self.values.splice(0..0, std::iter::repeat_n(None, before));
            self.first_day = first;
        }
        self.values.resize((last - first) as usize + 1, None);
        (day - self.first_day) as usize
    }
}

impl CalendarMemo {
    /// The instant at which `duration_ms` of business time has accrued since `start`; `holidays` (sorted local
    /// dates) are closed all day.
    pub fn add_business_time(
        &mut self,
        start: Timestamp,
        duration_ms: i64,
        calendar: Option<BusinessHours>,
        holidays: &[NaiveDate],
    ) -> Timestamp {
        let mut due = [Timestamp(0)];
        self.add_business_times(start, &[duration_ms], calendar, holidays, &mut due);
        due[0]
    }

    /// Like [`add_business_time`] for several durations at once (an exception's SLA targets and escalation
    /// levels), in one walk over the calendar: `dues[i]` is when `durations_ms[i]` has accrued. At most 64.
    pub fn add_business_times(
        &mut self,
        start: Timestamp,
        durations_ms: &[i64],
        calendar: Option<BusinessHours>,
        holidays: &[NaiveDate],
        dues: &mut [Timestamp],
    ) {
        assert!(
            durations_ms.len() == dues.len() && dues.len() <= DUES_MAX,
            "one due per duration, at most {DUES_MAX}"
        );
        for (due, duration) in dues.iter_mut().zip(durations_ms) {
            *due = Timestamp(start.0 + duration);
        }
        let Some(calendar) = calendar else {
            return;
        };
        let start_day = self.local_day(calendar.zone, start);
        let mut pending: u64 = if dues.len() == 64 {
            u64::MAX
        } else {
            (1 << dues.len()) - 1
        };
        let mut elapsed = 0;
        // Begin a day early: yesterday's hours may run past midnight into today.
        let intervals = self.intervals_of(calendar);
        for day in start_day - 1..start_day - 1 + CALENDAR_DAYS_MAX {
            let (open, close) = memoised_open_interval(intervals, day, calendar);
            if close > start.0 && !is_holiday(holidays, day) {
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
        }
    }

    /// Business time on a location's calendar up to `at`, from an arbitrary origin: the difference of two readings is
    /// the business time between them (closed hours do not count). Without hours, or with hours running past
    /// midnight, it is wall time.
    /// `place` names where the clock hangs (a location id) for the memo.
    pub fn business_clock_ms(
        &mut self,
        place: usize,
        calendar: Option<BusinessHours>,
        holidays: &[NaiveDate],
        at: Timestamp,
    ) -> i64 {
        let Some((calendar, open_length_ms)) = daytime_calendar(calendar) else {
            return at.0;
        };
        let (day, open, close) = match self.recent_days.get(place) {
            Some(Some((read_on, recent))) if *read_on == calendar && (recent.from..recent.until).contains(&at.0) => {
                (recent.day, recent.open, recent.close)
            }
            _ => self.read_day(place, calendar, at),
        };
        let holidays_before = holidays.partition_point(|holiday| holiday.num_days_from_ce() < day);
        let open_days_before = i64::from(day) - holidays_before as i64;
        let today = if is_holiday(holidays, day) {
            0
        } else {
            (at.0 - open).clamp(0, (close - open).min(open_length_ms))
        };
        open_days_before * open_length_ms + today
    }

    /// The local day of `at` on a calendar and its open interval, remembered as the calendar's recent day when
    /// the zone's offset holds all through the UTC day.
    fn read_day(&mut self, place: usize, calendar: BusinessHours, at: Timestamp) -> (i32, i64, i64) {
        let day = self.local_day(calendar.zone, at);
        let (open, close) = self.open_interval(day, calendar);
        let utc_day = at.0.div_euclid(Timestamp::MILLIS_PER_DAY);
        let steady = self
            .steady_offsets
            .get(&calendar.zone)
            .and_then(|table| table.get(utc_day as i32))
            .flatten();
        if let Some(offset_ms) = steady {
            let local_start = i64::from(day - UNIX_EPOCH_DAY_FROM_CE) * Timestamp::MILLIS_PER_DAY - offset_ms;
            let recent = RecentDay {
                from: local_start.max(utc_day * Timestamp::MILLIS_PER_DAY),
                until: (local_start + Timestamp::MILLIS_PER_DAY).min((utc_day + 1) * Timestamp::MILLIS_PER_DAY),
                day,
                open,
                close,
            };
            if self.recent_days.len() <= place {
                self.recent_days.resize(place + 1, None);
            }
            self.recent_days[place] = Some((calendar, recent));
        }
        (day, open, close)
    }

    /// The local date of `at` on a place's calendar, as days since 1970-01-01; remembered by place as
    /// [`Self::business_clock_ms`] remembers its day (every till sale asks).
    pub fn local_epoch_day(&mut self, place: usize, calendar: BusinessHours, at: Timestamp) -> i32 {
        let day = match self.recent_days.get(place) {
            Some(Some((read_on, recent))) if *read_on == calendar && (recent.from..recent.until).contains(&at.0) => {
                recent.day
            }
            _ => self.read_day(place, calendar, at).0,
        };
        day - UNIX_EPOCH_DAY_FROM_CE
    }

    /// The local date of `at` in `zone`, as a day number (chrono's, from the common era).
    fn local_day(&mut self, zone: Tz, at: Timestamp) -> i32 {
        let utc_day = at.0.div_euclid(Timestamp::MILLIS_PER_DAY) as i32;
        let steady = self
            .steady_offsets
            .entry(zone)
            .or_default()
            .get_or(utc_day, || steady_offset_ms(zone, utc_day));
        match steady {
            Some(offset_ms) => (at.0 + offset_ms).div_euclid(Timestamp::MILLIS_PER_DAY) as i32 + UNIX_EPOCH_DAY_FROM_CE,
            None => zone
                .from_utc_datetime(&utc_datetime(at.0))
                .date_naive()
                .num_days_from_ce(),
        }
    }

    /// [`open_interval`] of a day number, memoised.
    fn open_interval(&mut self, day: i32, calendar: BusinessHours) -> (i64, i64) {
        memoised_open_interval(self.intervals_of(calendar), day, calendar)
    }

    fn intervals_of(&mut self, calendar: BusinessHours) -> &mut DayTable<(i64, i64)> {
        self.open_intervals.entry(calendar).or_default()
    }
}

fn memoised_open_interval(intervals: &mut DayTable<(i64, i64)>, day: i32, calendar: BusinessHours) -> (i64, i64) {
    intervals.get_or(day, || open_interval(date_of(day), calendar))
}

/// A calendar whose hours close on the day they open, with the length of its open day; the business clock of
/// any other (none, or hours running past midnight) is wall time.
/// The length of a location's open day in milliseconds, when its clock runs only while it is open: the unit
/// that turns [`CalendarMemo::business_clock_ms`] into open days. `None` when the clock is wall time.
pub fn open_day_ms(calendar: Option<BusinessHours>) -> Option<i64> {
    daytime_calendar(calendar).map(|(_, length)| length)
}

fn daytime_calendar(calendar: Option<BusinessHours>) -> Option<(BusinessHours, i64)> {
    let calendar = calendar?;
    let (open, close) = (calendar.hours.open_minute, calendar.hours.close_minute);
    (close > open).then(|| (calendar, i64::from(close - open) * 60_000))
}

/// Whether a day number is one of the (sorted) holidays.
fn is_holiday(holidays: &[NaiveDate], day: i32) -> bool {
    !holidays.is_empty() && holidays.binary_search(&date_of(day)).is_ok()
}

fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).expect("calendar dates stay in range")
}

/// The zone's offset from UTC in milliseconds if it is the same all through the UTC day (no zone changes its offset
/// twice within a day, so equal offsets at both ends mean no change in between).
fn steady_offset_ms(zone: Tz, utc_day: i32) -> Option<i64> {
    let start = i64::from(utc_day) * Timestamp::MILLIS_PER_DAY;
    let offset_ms =
        |at: i64| i64::from(zone.offset_from_utc_datetime(&utc_datetime(at)).fix().local_minus_utc()) * 1000;
    let first = offset_ms(start);
    (first == offset_ms(start + Timestamp::MILLIS_PER_DAY - 1)).then_some(first)
}

fn utc_datetime(at_ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .expect("instants stay in range")
        .naive_utc()
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
            CalendarMemo::default().add_business_time(opened, 8 * HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-03T21:30:00Z")
        );
        assert_eq!(
            CalendarMemo::default().add_business_time(opened, 72 * HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-11T21:30:00Z")
        );
    }

    #[test]
    fn opened_after_closing_starts_at_the_next_opening() {
        // 18:00 local on 2026-11-02 (EST, UTC-5): the clock starts at 09:00 the next day.
        let opened = at("2026-11-02T23:00:00Z");
        assert_eq!(
            CalendarMemo::default().add_business_time(opened, HOUR, new_york_nine_to_five(), &[]),
            at("2026-11-03T15:00:00Z")
        );
    }

    #[test]
    fn a_daylight_saving_change_moves_the_utc_hours() {
        // New York leaves summer time on 2026-11-01: 09:00 local is 13:00Z before and 14:00Z after.
        let opened = at("2026-10-31T20:00:00Z"); // 16:00 EDT, one hour before closing
        assert_eq!(
            CalendarMemo::default().add_business_time(opened, 2 * HOUR, new_york_nine_to_five(), &[]),
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
            CalendarMemo::default().add_business_time(at("2026-11-02T05:00:00Z"), 2 * HOUR, calendar, &[]),
            at("2026-11-02T23:00:00Z")
        );
        assert_eq!(
            CalendarMemo::default().add_business_time(at("2026-11-02T12:00:00Z"), 7 * HOUR, calendar, &[]),
            at("2026-11-03T05:00:00Z")
        );
    }

    #[test]
    fn one_walk_gives_every_due_as_separate_walks_do() {
        let opened = at("2026-11-02T21:30:00Z");
        let durations = [30 * 60_000, 8 * HOUR, 54 * HOUR, 72 * HOUR, 0];
        let mut dues = [Timestamp(0); 5];
        CalendarMemo::default().add_business_times(opened, &durations, new_york_nine_to_five(), &[], &mut dues);
        for (due, duration) in dues.iter().zip(durations) {
            assert_eq!(
                *due,
                CalendarMemo::default().add_business_time(opened, duration, new_york_nine_to_five(), &[])
            );
        }
        assert_eq!(dues[1], at("2026-11-03T21:30:00Z"));
    }

    #[test]
    fn without_hours_the_clock_runs_around_the_clock() {
        assert_eq!(
            CalendarMemo::default().add_business_time(at("2026-11-02T23:00:00Z"), HOUR, None, &[]),
            at("2026-11-03T00:00:00Z")
        );
    }
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
        let reading = |text: &str| {
            CalendarMemo::default().business_clock_ms(0, calendar, &[], Timestamp::parse_rfc3339(text).unwrap())
        };
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
        let due = CalendarMemo::default().add_business_time(start, three_hours, calendar, &christmas);
        // One hour on the 24th, none on the 25th, two on the 26th from 08:00 local.
        assert_eq!(due, Timestamp::parse_rfc3339("2026-12-26T09:00:00Z").unwrap());
        let clock = |at: Timestamp| CalendarMemo::default().business_clock_ms(0, calendar, &christmas, at);
        assert_eq!(clock(due) - clock(start), three_hours);
        let on_the_holiday = Timestamp::parse_rfc3339("2026-12-25T12:00:00Z").unwrap();
        assert_eq!(
            clock(on_the_holiday),
            clock(Timestamp::parse_rfc3339("2026-12-24T19:00:00Z").unwrap())
        );
    }
}

#[cfg(test)]
mod memo_tests {
    use super::*;

    #[test]
    fn the_memo_gives_the_local_date_chrono_gives_across_offset_changes() {
        // Spring and autumn changes, a change at local midnight (Santiago), a half-hour change (Lord Howe) and a
        // zone 45 minutes off the hour (Kathmandu).
        let zones = [
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::America::Santiago,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
            chrono_tz::Pacific::Kiritimati,
        ];
        let from = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap().0;
        let until = Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap().0;
        let mut memo = CalendarMemo::default();
        for zone in zones {
            // Every 7 minutes: not aligned with hours, so every change is straddled closely.
            for at in (from..until).step_by(7 * 60_000) {
                let expected = zone.timestamp_millis_opt(at).single().unwrap().date_naive();
                assert_eq!(date_of(memo.local_day(zone, Timestamp(at))), expected, "{zone} at {at}");
            }
        }
    }

    #[test]
    fn the_clock_read_on_a_remembered_day_reads_as_on_a_fresh_memo() {
        // Daytime hours in zones that change their offset (at local midnight in Santiago, by half an hour on
        // Lord Howe), read every 11 minutes of 2026, in time order as sales come, and also in a jumbled order.
        let calendars = [
            (chrono_tz::Europe::Berlin, "08:00-21:00"),
            (chrono_tz::America::Santiago, "00:00-23:30"),
            (chrono_tz::Australia::Lord_Howe, "01:30-22:00"),
            (chrono_tz::Asia::Kathmandu, "10:00-18:00"),
        ];
        let from = Timestamp::parse_rfc3339("2026-01-01T00:00:00Z").unwrap().0;
        let until = Timestamp::parse_rfc3339("2027-01-01T00:00:00Z").unwrap().0;
        let mut memo = CalendarMemo::default();
        for (zone, hours) in calendars {
            let calendar = Some(BusinessHours {
                zone,
                hours: OpeningHours::parse(hours).unwrap(),
            });
            let instants = (from..until).step_by(11 * 60_000);
            let jumbled = (from..until)
                .step_by(11 * 60_000)
                .map(|at| from + (at - from) * 7_919 % (until - from));
            for at in instants.chain(jumbled).map(Timestamp) {
                let fresh = CalendarMemo::default().business_clock_ms(0, calendar, &[], at);
                assert_eq!(
                    memo.business_clock_ms(0, calendar, &[], at),
                    fresh,
                    "{zone} {hours} at {at:?}"
                );
            }
        }
    }

    #[test]
    fn a_place_read_on_another_calendar_reads_that_calendar() {
        // A location's hours or zone change: its remembered day belongs to the old calendar.
        let calendar = |zone, hours| {
            Some(BusinessHours {
                zone,
                hours: OpeningHours::parse(hours).unwrap(),
            })
        };
        let berlin = calendar(chrono_tz::Europe::Berlin, "08:00-20:00");
        let chicago = calendar(chrono_tz::America::Chicago, "09:00-21:00");
        let late = calendar(chrono_tz::Europe::Berlin, "10:00-22:00");
        let mut memo = CalendarMemo::default();
        let at = Timestamp::parse_rfc3339("2026-11-02T15:00:00Z").unwrap();
        for calendar in [berlin, chicago, late, berlin, late] {
            let fresh = CalendarMemo::default().business_clock_ms(0, calendar, &[], at);
            assert_eq!(memo.business_clock_ms(3, calendar, &[], at), fresh, "{calendar:?}");
        }
    }

    #[test]
    fn a_remembered_answer_is_the_answer() {
        let calendar = Some(BusinessHours {
            zone: chrono_tz::America::New_York,
            hours: OpeningHours::parse("09:00-17:00").unwrap(),
        });
        let mut memo = CalendarMemo::default();
        let start = Timestamp::parse_rfc3339("2026-10-30T20:00:00Z").unwrap();
        for hours in 0..200 {
            let duration = hours * 3_600_000 + 17 * 60_000;
            let first = memo.add_business_time(start, duration, calendar, &[]);
            let again = memo.add_business_time(start, duration, calendar, &[]);
            let fresh = CalendarMemo::default().add_business_time(start, duration, calendar, &[]);
            assert_eq!((first, again), (fresh, fresh));
            assert_eq!(
                memo.business_clock_ms(0, calendar, &[], first) - memo.business_clock_ms(0, calendar, &[], start),
                duration
            );
        }
    }

    #[test]
    fn a_day_table_grows_both_ways_and_starts_afresh_when_too_wide() {
        let mut table = DayTable::default();
        let computed = std::cell::Cell::new(0);
        let mut get = |day: i32| {
            table.get_or(day, || {
                computed.set(computed.get() + 1);
                day * 10
            })
        };
        assert_eq!(get(100), 1_000);
        assert_eq!(get(97), 970);
        assert_eq!(get(103), 1_030);
        assert_eq!(get(100), 1_000);
        assert_eq!(computed.get(), 3, "a day held is not worked out again");
        assert_eq!((table.first_day, table.values.len()), (97, 7));
        let far = 100 + MEMO_DAYS_MAX as i32;
        assert_eq!(table.get_or(far, || far * 10), far * 10);
        assert_eq!((table.first_day, table.values.len()), (far, 1));
    }
}
