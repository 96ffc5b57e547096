//! Reading query strings and forms, for the API and the web UI alike: an empty value is an absent one (an
//! HTML form sends its unset fields as `name=`), and a value that does not fit is a 400 that names the field.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
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

/// The period figures are asked over: a named one, or from and to; neither is all time.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    /// A month (`2026-11`), an ISO week (`2026-W47`) or a day (`2026-11-30`), in UTC; instead of `from` and `to`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub period: Option<String>,
    /// The start: an RFC 3339 instant or a UTC day (`2026-11-01`); with `to`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub from: Option<String>,
    /// The end: an RFC 3339 instant (excluded) or a UTC day (included); with `from`.
    #[serde(default, deserialize_with = "empty_as_none")]
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
