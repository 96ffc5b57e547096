//! Reading query strings and forms, for the API and the web UI alike: an empty value is an absent one (an
//! HTML form sends its unset fields as `name=`), and a value that does not fit is a 400 that names the field.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use retex_core::codes::Timestamp;
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
