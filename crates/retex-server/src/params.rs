//! Reading query strings and forms, for the API and the web UI alike: an empty value is an absent one (an
//! HTML form sends its unset fields as `name=`), and a value that does not fit is a 400 that names the field.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use retex_core::codes::Timestamp;
use retex_core::engine::Period;
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};

use crate::error::{Failure, Outcome};

/// Deserializes an optional value, taking an empty one as absent; use with `#[serde(default, deserialize_with)]`.
pub fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => T::deserialize(IntoDeserializer::<D::Error>::into_deserializer(text)).map(Some),
    }
}

/// The parameters of a query string, or a 400 that names the parameter that does not fit.
pub fn query_params<T>(params: Result<Query<T>, QueryRejection>) -> Outcome<T> {
    params
        .map(|Query(params)| params)
        .map_err(|rejection| Failure::bad_request(rejection.body_text()))
}

/// The period figures are asked over: a named one, or from and to; neither is all time. An empty value is an
/// absent one, as an HTML form sends it.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// A month (`2026-11`), an ISO week (`2026-W47`) or a day (`2026-11-30`), in UTC; instead of `from` and `to`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(regex(pattern = r"^([0-9]{4}-(W[0-9]{2}|[0-9]{2}(-[0-9]{2})?))?$"))]
    pub period: Option<String>,
    /// The start: an RFC 3339 instant or a UTC day (`2026-11-01`); with `to`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(regex(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?)?$"))]
    pub from: Option<String>,
    /// The end: an RFC 3339 instant (excluded) or a UTC day (included); with `from`.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[schemars(regex(pattern = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(T.+)?)?$"))]
    pub to: Option<String>,
}

impl PeriodParams {
    /// The period asked for, `None` for all time, or a 400 that says what does not fit.
    pub fn period(&self) -> Outcome<Option<Period>> {
        let period = match (&self.period, &self.from, &self.to) {
            (None, None, None) => return Ok(None),
            (Some(name), None, None) => Period::named(name),
            (None, Some(from), Some(to)) => Period::between(from, to),
            (Some(_), _, _) => Err("give either period or from and to, not both".to_owned()),
            (None, _, _) => Err("from and to go together".to_owned()),
        };
        period.map(Some).map_err(Failure::bad_request)
    }
}

/// An age a filter asks for, as a pattern: a whole number of hours or days (`36h`, `2d`).
pub const AGE_PATTERN: &str = "^[0-9]{1,5}[hd]$";

/// The opening instant before which an exception is older than `age` (as [`AGE_PATTERN`] writes it) at `now`;
/// a 400 that names `field` for any other text.
pub fn opened_before_age(field: &str, age: &str, now: Timestamp) -> Outcome<Timestamp> {
    let refused = || Failure::bad_request(format!("{field}: {age:?} is not an age such as 36h or 2d"));
    let (count, unit_ms) = match age.as_bytes().last() {
        Some(b'h') => (&age[..age.len() - 1], 3_600_000),
        Some(b'd') => (&age[..age.len() - 1], 86_400_000),
        _ => return Err(refused()),
    };
    if !(1..=5).contains(&count.len()) || !count.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(refused());
    }
    let count: i64 = count.parse().map_err(|_| refused())?;
    Ok(Timestamp(now.0 - count * unit_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_is_whole_hours_or_days() {
        let now = Timestamp(10 * 86_400_000);
        assert_eq!(
            opened_before_age("age", "36h", now).unwrap(),
            Timestamp(now.0 - 36 * 3_600_000)
        );
        assert_eq!(opened_before_age("age", "2d", now).unwrap(), Timestamp(8 * 86_400_000));
        for refused in ["", "h", "2", "2 d", "2D", "+2d", "123456h", "1.5d"] {
            let failure = opened_before_age("age", refused, now).unwrap_err();
            assert!(failure.message.starts_with("age: "), "{refused:?}: {}", failure.message);
        }
    }
}
