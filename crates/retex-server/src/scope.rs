//! What a principal may see and do: its role (read, act) and its location scope, applied to exceptions,
//! incidents and stores. The API, the web UI and the shared operations in [`crate::state`] all ask here, so a
//! page and its API route refuse the same requests with the same reasons.

use retex_core::engine::{Engine, ExceptionRecord, IncidentView};

use crate::auth::Principal;
use crate::error::{Failure, Outcome};

/// Which incidents a list shows.
#[derive(Clone, Copy, Debug)]
pub struct IncidentFilter {
    /// Only incidents with at least this many exceptions.
    pub min_exceptions: usize,
    /// Only incidents with an exception still open.
    pub open_only: bool,
}

/// Refuses principals whose role may only send events.
pub fn require_read(principal: &Principal) -> Outcome<()> {
    if principal.role.can_read() {
        return Ok(());
    }
    Err(Failure::forbidden(format!(
        "role {} may only send events",
        principal.role.name()
    )))
}

/// Refuses principals whose role may not work exceptions.
pub fn require_act(principal: &Principal) -> Outcome<()> {
    if principal.role.can_act() {
        return Ok(());
    }
    Err(Failure::forbidden(format!(
        "role {} may not work exceptions",
        principal.role.name()
    )))
}

/// Refuses a location outside the principal's scope.
pub fn require_location(principal: &Principal, location: &str) -> Outcome<()> {
    if principal.sees_location(Some(location)) {
        return Ok(());
    }
    Err(Failure::forbidden(format!(
        "{} may not see location {location}",
        principal.name
    )))
}

/// The exception if the principal may see it: 404 when there is none, 403 with the reason when it is out of scope.
pub fn visible_exception<'a>(engine: &'a Engine, principal: &Principal, id: u64) -> Outcome<&'a ExceptionRecord> {
    let record = engine
        .exception_record(id)
        .ok_or_else(|| Failure::not_found(format!("no exception {id}")))?;
    if !sees(engine, principal)(record) {
        return Err(Failure::forbidden(format!(
            "exception {id} is outside the locations {} may see",
            principal.name
        )));
    }
    Ok(record)
}

/// Incidents with at least one exception the caller may see, showing only those.
pub fn visible_incidents<'a>(
    engine: &'a Engine,
    principal: &Principal,
    filter: IncidentFilter,
) -> Vec<IncidentView<'a>> {
    engine
        .incidents_as_seen(filter.min_exceptions, sees(engine, principal))
        .into_iter()
        .filter(|incident| !incident.exceptions.is_empty())
        .filter(|incident| !filter.open_only || incident.open)
        .collect()
}

/// The incident as the principal may see it (its members at the principal's locations, the others counted as
/// elsewhere): 404 when there is none, 403 when none of its exceptions is at the principal's locations. One merged
/// into another has no members: it is shown to those who may see the incident that holds them now.
pub fn visible_incident<'a>(engine: &'a Engine, principal: &Principal, id: u64) -> Outcome<IncidentView<'a>> {
    let incident = engine
        .incident_as_seen(id, sees(engine, principal))
        .ok_or_else(|| Failure::not_found(format!("no incident {id}")))?;
    if incident.merged_into.is_some() {
        visible_incident(engine, principal, engine.incident_now(id))?;
        return Ok(incident);
    }
    if incident.exceptions.is_empty() {
        return Err(Failure::forbidden(format!(
            "incident {id} has no exception at the locations {} may see",
            principal.name
        )));
    }
    Ok(incident)
}

/// Refuses an incident that does not exist (404) or that has an exception the principal may not see (403):
/// reshaping an incident moves all of it.
pub fn require_whole_incident(engine: &Engine, principal: &Principal, id: u64) -> Outcome<()> {
    let incident = engine
        .incident_as_seen(id, sees(engine, principal))
        .ok_or_else(|| Failure::not_found(format!("no incident {id}")))?;
    if incident.elsewhere > 0 {
        return Err(Failure::forbidden(format!(
            "incident {id} has exceptions at locations {} may not see: only someone who sees them all may merge \
             or split it",
            principal.name
        )));
    }
    Ok(())
}

/// Whether the principal may see an exception, by its location.
fn sees<'a>(engine: &'a Engine, principal: &'a Principal) -> impl Fn(&ExceptionRecord) -> bool + 'a {
    move |record| principal.sees_location(record.location.map(|location| engine.location_code(location)))
}

/// The stores a principal may work for: its scope, or every store.
pub fn stores_of(engine: &Engine, principal: &Principal) -> Vec<String> {
    match &principal.scope {
        Some(scope) => scope.clone(),
        None => engine.store_codes(),
    }
}
