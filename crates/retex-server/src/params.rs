//! Reading query strings and forms, for the API and the web UI alike: an empty value is an absent one (an
//! HTML form sends its unset fields as `name=`), and a value that does not fit is a 400 that names the field.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
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
