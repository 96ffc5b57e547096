//! The places: stores in four regions with their own time zones and opening hours, one central warehouse open
//! around the clock, and the web shop.
//!
//! Stores are dealt round-robin over the regions so that even a four-store world has every time zone. Location
//! indices are stable: stores first (`0..store_count`), then the warehouse, then the web shop; only stores and
//! the warehouse hold stock.

use rand::rngs::SmallRng;
use retex_core::codes::LocationCode;
use retex_core::event::{LocationKind, OpeningHours};

use crate::clock::{DaylightSaving, HolidayCalendar, Zone, european_holiday, united_states_holiday};
use crate::random::lognormal;

/// Spread of store size (log scale): the largest stores sell about three times as much as the smallest.
const STORE_SIZE_SIGMA: f64 = 0.3;

struct RegionSpec {
    name: &'static str,
    timezone: &'static str,
    zone: Zone,
    hours: &'static str,
    holidays: HolidayCalendar,
    cities: &'static [&'static str],
}

const REGIONS: [RegionSpec; 4] = [
    RegionSpec {
        name: "central-europe",
        timezone: "Europe/Berlin",
        zone: Zone {
            standard_offset_minutes: 60,
            daylight_saving: DaylightSaving::European,
        },
        hours: "08:00-20:00",
        holidays: european_holiday,
        cities: &[
            "Berlin",
            "Hamburg",
            "Munich",
            "Cologne",
            "Frankfurt",
            "Stuttgart",
            "Leipzig",
            "Dresden",
            "Hanover",
            "Bremen",
        ],
    },
    RegionSpec {
        name: "uk",
        timezone: "Europe/London",
        zone: Zone {
            standard_offset_minutes: 0,
            daylight_saving: DaylightSaving::European,
        },
        hours: "08:00-22:00",
        holidays: european_holiday,
        cities: &[
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Glasgow",
            "Bristol",
            "Liverpool",
            "Sheffield",
            "Edinburgh",
            "Cardiff",
        ],
    },
    RegionSpec {
        name: "us-east",
        timezone: "America/New_York",
        zone: Zone {
            standard_offset_minutes: -300,
            daylight_saving: DaylightSaving::UnitedStates,
        },
        hours: "09:00-21:00",
        holidays: united_states_holiday,
        cities: &[
            "New York",
            "Boston",
            "Philadelphia",
            "Washington",
            "Atlanta",
            "Miami",
            "Pittsburgh",
            "Baltimore",
            "Charlotte",
            "Newark",
        ],
    },
    RegionSpec {
        name: "us-central",
        timezone: "America/Chicago",
        zone: Zone {
            standard_offset_minutes: -360,
            daylight_saving: DaylightSaving::UnitedStates,
        },
        hours: "09:00-21:00",
        holidays: united_states_holiday,
        cities: &[
            "Chicago",
            "Dallas",
            "Houston",
            "Minneapolis",
            "St. Louis",
            "Kansas City",
            "Milwaukee",
            "Nashville",
            "Austin",
            "Omaha",
        ],
    },
];

/// The warehouse keeps the books in Central European time but never closes.
const WAREHOUSE_ZONE: Zone = Zone {
    standard_offset_minutes: 60,
    daylight_saving: DaylightSaving::European,
};

pub(crate) struct Location {
    pub(crate) code: LocationCode,
    pub(crate) name: String,
    pub(crate) kind: LocationKind,
    pub(crate) region: Option<&'static str>,
    pub(crate) timezone: Option<&'static str>,
    pub(crate) zone: Zone,
    /// `None`: always open.
    pub(crate) hours: Option<OpeningHours>,
    /// The public holidays a store closes on (`None`: never closed).
    pub(crate) holidays: Option<HolidayCalendar>,
    /// Relative sales volume of a store (mean 1 over the stores); 0 elsewhere.
    pub(crate) size_factor: f64,
}

pub(crate) struct Network {
    pub(crate) locations: Vec<Location>,
    pub(crate) store_count: usize,
    pub(crate) warehouse: usize,
    pub(crate) web: usize,
}

impl Network {
    pub(crate) fn generate(rng: &mut SmallRng, store_count: u32) -> Self {
        let store_count = store_count as usize;
        let mut sizes: Vec<f64> = (0..store_count).map(|_| lognormal(rng, STORE_SIZE_SIGMA)).collect();
        let mean_size = sizes.iter().sum::<f64>() / store_count.max(1) as f64;
        for size in &mut sizes {
            *size /= mean_size;
        }
        let mut locations = Vec::with_capacity(store_count + 2);
        for (index, size_factor) in sizes.into_iter().enumerate() {
            let region = &REGIONS[index % REGIONS.len()];
            let city_number = index / REGIONS.len();
            let city = region.cities[city_number % region.cities.len()];
            let name = match city_number / region.cities.len() {
                0 => format!("Store {city}"),
                round => format!("Store {city} {}", round + 1),
            };
            locations.push(Location {
                code: LocationCode::parse(format!("S{:03}", index + 1)).expect("store codes are valid"),
                name,
                kind: LocationKind::Store,
                region: Some(region.name),
                timezone: Some(region.timezone),
                zone: region.zone,
                hours: Some(OpeningHours::parse(region.hours).expect("region hours are well formed")),
                holidays: Some(region.holidays),
                size_factor,
            });
        }
        locations.push(Location {
            code: LocationCode::parse("DC1").expect("a valid code"),
            name: "Central Warehouse".to_owned(),
            kind: LocationKind::Warehouse,
            region: Some("central-europe"),
            timezone: Some("Europe/Berlin"),
            zone: WAREHOUSE_ZONE,
            hours: None,
            holidays: None,
            size_factor: 0.0,
        });
        locations.push(Location {
            code: LocationCode::parse("WEB").expect("a valid code"),
            name: "Web Shop".to_owned(),
            kind: LocationKind::Web,
            region: None,
            timezone: None,
            zone: Zone {
                standard_offset_minutes: 0,
                daylight_saving: DaylightSaving::Never,
            },
            hours: None,
            holidays: None,
            size_factor: 0.0,
        });
        Self {
            locations,
            store_count,
            warehouse: store_count,
            web: store_count + 1,
        }
    }

    /// Whether a store stays closed on a local date for a public holiday.
    pub(crate) fn store_closed_on(&self, store: usize, date: chrono::NaiveDate) -> bool {
        self.locations[store].holidays.is_some_and(|closed| closed(date))
    }

    /// The opening hours of a store (stores always have hours).
    pub(crate) fn store_hours(&self, store: usize) -> OpeningHours {
        self.locations[store].hours.expect("stores have opening hours")
    }
}
