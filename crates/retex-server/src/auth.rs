//! Who is asking, and what they may do.
//!
//! People log in with a password (argon2id, PHC string in the store) and get a session cookie: 32 random
//! bytes, kept in the store only as their SHA-256 with whose session it is, when it began and when it was last
//! used. So logging out ends the session on every replica, and a session ends by itself after
//! [`SESSION_IDLE`] unused or [`SESSION_MAX`] after login. Scripts and sources send `Authorization: Bearer
//! TOKEN`; only the token's SHA-256 is stored (a token is 32 random bytes, so a fast hash is as safe as a slow
//! one). The account is read on every request, so a changed role or scope applies at once.
//!
//! Forms posted with a cookie carry a CSRF token derived from the session (HMAC of the cookie under a key kept
//! in the store); the login form, before there is a session, carries one derived from a cookie of its own.
//! Cookies are `HttpOnly; SameSite=Strict`, and `Secure` when the server speaks TLS. Failed logins are counted
//! per client address and name, with a wait that doubles per failure, and per address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use hmac::{Hmac, Mac};
use retex_store::{Account, AccountKind};
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "retex_session";
/// A session unused this long has ended.
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);
/// A session ends this long after login, however much it is used.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// How often a session's last use is written down: more often would write on every request.
pub const SESSION_TOUCH_EVERY: Duration = Duration::from_secs(60);
/// The cookie that ties a login form to the browser that loaded it.
pub const LOGIN_COOKIE: &str = "retex_login";
/// Failed logins of one name from one address before each further attempt must wait.
const LOGIN_FAILURES_FREE: u32 = 5;
/// The first wait; each further failure doubles it, up to [`LOGIN_BACKOFF_MAX`].
const LOGIN_BACKOFF_FIRST: Duration = Duration::from_secs(1);
const LOGIN_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// Failed logins of any names from one address within [`LOGIN_WINDOW`] before the address waits out the window:
/// bounds guessing across many names, and never blocks a person at another address.
const ADDRESS_FAILURES_MAX: u32 = 100;
/// How long failures are remembered.
const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The shortest password a person may have (OWASP ASVS 2.1.1); any characters, no composition rules.
pub const PASSWORD_CHARS_MIN: usize = 12;
/// The prefix of API tokens, so a leaked one is recognisable.
const TOKEN_PREFIX: &str = "rtx_";

retex_core::wire_names! {
    /// What a role may do. Roles are ordered by reach; `Source` only sends events.
    pub enum Role {
        Admin = "admin",
        OperationsLead = "operations_lead",
        TeamMember = "team_member",
        Viewer = "viewer",
        Source = "source",
    }
}

impl Role {
    /// Sees exceptions, stock and KPIs.
    pub fn can_read(self) -> bool {
        self != Self::Source
    }

    /// Works exceptions and confirms receipts and counts.
    pub fn can_act(self) -> bool {
        matches!(self, Self::Admin | Self::OperationsLead | Self::TeamMember)
    }

    /// Sends operational events.
    pub fn can_ingest(self) -> bool {
        matches!(self, Self::Admin | Self::Source)
    }
}

/// An authenticated account, as a request sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub team: Option<String>,
    /// The locations it is limited to; `None` sees every location.
    pub scope: Option<Vec<String>>,
    /// Authenticated by cookie (forms need a CSRF token) rather than a bearer token.
    pub by_cookie: bool,
}

impl Principal {
    /// The principal of an account that may be used: none for a disabled one (a person an admin disabled, a
    /// revoked token) or one with an unknown role.
    pub fn from_account(account: Account, by_cookie: bool) -> Option<Self> {
        if account.is_disabled() {
            return None;
        }
        Some(Self {
            role: Role::from_name(&account.role)?,
            scope: (!account.locations.is_empty()).then_some(account.locations),
            name: account.name,
            team: account.team,
            by_cookie,
        })
    }

    /// Whether this principal may see a location (exceptions without one are seen by unscoped users only).
    pub fn sees_location(&self, location: Option<&str>) -> bool {
        match (&self.scope, location) {
            (None, _) => true,
            (Some(scope), Some(location)) => scope.iter().any(|code| code == location),
            (Some(_), None) => false,
        }
    }
}

/// Hashes a password for storage (argon2id with a random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|error| anyhow::anyhow!("hash the password: {error}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored PHC string; a malformed stored hash matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// A new API token and the hash to store for it.
pub fn new_token() -> anyhow::Result<(String, String)> {
    let token = format!("{TOKEN_PREFIX}{}", hex(&random_bytes()?));
    let hash = token_hash(&token);
    Ok((token, hash))
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new random password of 16 hex digits (64 bits), e.g. for demo accounts.
pub fn new_password() -> anyhow::Result<String> {
    Ok(hex(&random_bytes()?[..8]))
}

/// A new session: the cookie's value, and the SHA-256 the store keeps.
pub fn new_session() -> anyhow::Result<(String, String)> {
    let cookie = hex(&random_bytes()?);
    let hash = token_hash(&cookie);
    Ok((cookie, hash))
}

/// A new random value for the login form's cookie.
pub fn new_login_nonce() -> anyhow::Result<String> {
    Ok(hex(&random_bytes()?))
}

/// A new random key, hex-encoded, for signing sessions.
pub fn new_session_key() -> anyhow::Result<String> {
    Ok(hex(&random_bytes()?))
}

fn random_bytes() -> anyhow::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("read the system's random source: {error}"))?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// A new account for a person.
pub fn user_account(
    name: &str,
    password: &str,
    role: Role,
    team: Option<String>,
    locations: Vec<String>,
    now_ms: i64,
) -> anyhow::Result<Account> {
    Ok(Account {
        name: name.to_owned(),
        kind: AccountKind::User,
        secret_hash: hash_password(password)?,
        role: role.name().to_owned(),
        team,
        locations,
        created_ms: now_ms,
        email: None,
        disabled_ms: None,
        last_login_ms: None,
    })
}

/// A new account for an API token, from the token's hash ([`new_token`]).
pub fn token_account(
    name: &str,
    secret_hash: String,
    role: Role,
    team: Option<String>,
    locations: Vec<String>,
    now_ms: i64,
) -> Account {
    Account {
        name: name.to_owned(),
        kind: AccountKind::Token,
        secret_hash,
        role: role.name().to_owned(),
        team,
        locations,
        created_ms: now_ms,
        email: None,
        disabled_ms: None,
        last_login_ms: None,
    }
}

/// Signs and checks CSRF tokens.
pub struct SessionKeys {
    key: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

impl SessionKeys {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
        }
    }

    fn sign(&self, purpose: &str, text: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(text.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The CSRF token that forms posted under this session cookie must carry.
    pub fn csrf_token(&self, cookie: &str) -> String {
        self.sign("csrf", cookie)
    }

    pub fn check_csrf(&self, cookie: &str, token: &str) -> bool {
        constant_time_eq(&self.csrf_token(cookie), token)
    }

    /// The token the login form carries, for the nonce in its cookie.
    pub fn login_token(&self, nonce: &str) -> String {
        self.sign("login", nonce)
    }

    pub fn check_login_token(&self, nonce: &str, token: &str) -> bool {
        !nonce.is_empty() && constant_time_eq(&self.login_token(nonce), token)
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Failed logins per client address and account name, with an exponential backoff per pair, and per address.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<LoginFailures>,
}

#[derive(Default)]
struct LoginFailures {
    /// Per address and name: failures in a row and when the last one was.
    by_pair: HashMap<(IpAddr, String), (u32, Instant)>,
    /// Per address: failures since the window began, and when it began.
    by_address: HashMap<IpAddr, (u32, Instant)>,
}

impl LoginLimiter {
    /// How long until another attempt of this name from this address is allowed, while it must wait.
    pub fn blocked_for(&self, address: IpAddr, name: &str, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().expect("the limiter lock is never poisoned");
        let pair_wait = failures
            .by_pair
            .get(&(address, name.to_owned()))
            .and_then(|&(count, last)| backoff(count).checked_sub(now.duration_since(last)));
        let address_wait = failures
            .by_address
            .get(&address)
            .filter(|(count, _)| *count >= ADDRESS_FAILURES_MAX)
            .and_then(|&(_, started)| LOGIN_WINDOW.checked_sub(now.duration_since(started)));
        pair_wait.max(address_wait).filter(|wait| !wait.is_zero())
    }

    pub fn record_failure(&self, address: IpAddr, name: &str, now: Instant) {
        let mut failures = self.failures.lock().expect("the limiter lock is never poisoned");
        failures
            .by_pair
            .retain(|_, (_, last)| now.duration_since(*last) < LOGIN_WINDOW);
        failures
            .by_address
            .retain(|_, (_, started)| now.duration_since(*started) < LOGIN_WINDOW);
        let pair = failures.by_pair.entry((address, name.to_owned())).or_insert((0, now));
        *pair = (pair.0 + 1, now);
        failures.by_address.entry(address).or_insert((0, now)).0 += 1;
    }

    pub fn record_success(&self, address: IpAddr, name: &str) {
        let mut failures = self.failures.lock().expect("the limiter lock is never poisoned");
        failures.by_pair.remove(&(address, name.to_owned()));
    }
}

/// The wait after `failures` in a row: none for the first few, then doubling.
fn backoff(failures: u32) -> Duration {
    let Some(doublings) = failures.checked_sub(LOGIN_FAILURES_FREE) else {
        return Duration::ZERO;
    };
    LOGIN_BACKOFF_FIRST
        .checked_mul(1 << doublings.min(20))
        .map_or(LOGIN_BACKOFF_MAX, |wait| wait.min(LOGIN_BACKOFF_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_their_cookie_and_key() {
        let keys = SessionKeys::new("k1");
        let (cookie, hash) = new_session().unwrap();
        assert_eq!(hash, token_hash(&cookie), "the store keeps the cookie's hash");
        assert!(keys.check_csrf(&cookie, &keys.csrf_token(&cookie)));
        assert!(!keys.check_csrf(&cookie, &keys.csrf_token("other")));
        assert!(!SessionKeys::new("k2").check_csrf(&cookie, &keys.csrf_token(&cookie)));
        let nonce = new_login_nonce().unwrap();
        assert!(keys.check_login_token(&nonce, &keys.login_token(&nonce)));
        assert!(
            !keys.check_login_token(&nonce, &keys.csrf_token(&nonce)),
            "a session's token is not a login's"
        );
        assert!(
            !keys.check_login_token("", &keys.login_token("")),
            "no cookie, no login"
        );
    }

    #[test]
    fn passwords_and_tokens_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse!", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        let (token, stored) = new_token().unwrap();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&token), stored);
        assert_ne!(new_token().unwrap().0, token);
    }

    #[test]
    fn failed_logins_wait_longer_and_longer_for_that_name_from_that_address_only() {
        let limiter = LoginLimiter::default();
        let address: IpAddr = [127, 0, 0, 1].into();
        let start = Instant::now();
        for _ in 0..LOGIN_FAILURES_FREE {
            assert_eq!(limiter.blocked_for(address, "anna", start), None);
            limiter.record_failure(address, "anna", start);
        }
        assert_eq!(
            limiter.blocked_for(address, "anna", start),
            Some(Duration::from_secs(1))
        );
        limiter.record_failure(address, "anna", start + Duration::from_secs(1));
        limiter.record_failure(address, "anna", start + Duration::from_secs(3));
        assert_eq!(
            limiter.blocked_for(address, "anna", start + Duration::from_secs(3)),
            Some(Duration::from_secs(4)),
            "the wait doubles with each failure"
        );
        assert_eq!(
            limiter.blocked_for([10, 0, 0, 1].into(), "anna", start),
            None,
            "anna elsewhere logs in"
        );
        assert_eq!(limiter.blocked_for(address, "bert", start), None, "bert here logs in");
        assert_eq!(
            limiter.blocked_for(address, "anna", start + Duration::from_secs(7)),
            None
        );
        assert_eq!(backoff(LOGIN_FAILURES_FREE + 40), LOGIN_BACKOFF_MAX);

        for number in 0..ADDRESS_FAILURES_MAX {
            limiter.record_failure([10, 0, 0, 2].into(), &format!("name{number}"), start);
        }
        assert!(
            limiter.blocked_for([10, 0, 0, 2].into(), "someone", start).is_some(),
            "guessing across many names from one address waits out the window"
        );
    }

    #[test]
    fn a_scoped_principal_sees_only_its_locations() {
        let scoped = Principal {
            name: "s".into(),
            role: Role::TeamMember,
            team: None,
            scope: Some(vec!["S01".into()]),
            by_cookie: true,
        };
        assert!(scoped.sees_location(Some("S01")));
        assert!(!scoped.sees_location(Some("S02")));
        assert!(!scoped.sees_location(None));
        let everyone = Principal { scope: None, ..scoped };
        assert!(everyone.sees_location(Some("S02")) && everyone.sees_location(None));
    }
}
