//! A keep-alive HTTP/1.1 client for the load runs (`bench-http`, `soak`): requests over one connection, a
//! browser's login, and latency percentiles.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

/// A response: status, headers (names in lower case) and body.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// A keep-alive HTTP/1.1 connection.
pub(crate) struct Connection {
    reader: BufReader<TcpStream>,
    address: SocketAddr,
}

impl Connection {
    pub(crate) fn open(address: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(stream),
            address,
        })
    }

    /// Sends a request and reads the whole response: status, headers, body.
    pub(crate) fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> anyhow::Result<Reply> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split(' ').nth(1).context("a status line")?.parse()?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .map(|(_, value)| value.parse())
            .transpose()?
            .context("the server sends a content-length")?;
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body)?;
        Ok(Reply { status, headers, body })
    }
}

/// Logs in as a browser does: the login form (its cookie and token), then the post; the session cookie.
pub(crate) fn login(address: SocketAddr, password: &str) -> anyhow::Result<String> {
    let mut connection = Connection::open(address)?;
    let form = connection.send("GET", "/login", &[], "")?;
    let form_cookie = cookie_of(&form).context("the login form's cookie")?;
    let page = String::from_utf8_lossy(&form.body);
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the login form's token")?;
    let body = format!("name=reader&password={password}&csrf={token}");
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("cookie", form_cookie.as_str()),
    ];
    let reply = connection.send("POST", "/login", &headers, &body)?;
    if reply.status != 303 {
        bail!("login answered {}", reply.status);
    }
    cookie_of(&reply).context("a session cookie")
}

/// The `name=value` of the cookie a reply sets.
fn cookie_of(reply: &Reply) -> Option<String> {
    reply
        .headers
        .iter()
        .find(|(name, _)| name == "set-cookie")
        .and_then(|(_, value)| value.split(';').next())
        .map(str::to_owned)
}

/// How many latencies there are and their p50, p95, p99 and maximum, in milliseconds.
pub(crate) fn percentiles(mut all: Vec<Duration>) -> serde_json::Value {
    if all.is_empty() {
        return json!({ "requests": 0 });
    }
    all.sort_unstable();
    let percentile = |share: f64| {
        let index = ((all.len() as f64 * share).ceil() as usize).clamp(1, all.len()) - 1;
        all[index].as_secs_f64() * 1000.0
    };
    json!({
        "requests": all.len(),
        "p50": percentile(0.50),
        "p95": percentile(0.95),
        "p99": percentile(0.99),
        "max": percentile(1.0),
    })
}

/// GETs `path` with a session `cookie` over one connection for as long as `go_on(requests so far)` holds: each
/// request's latency. Any status but 200 is an error.
pub(crate) fn read_while(
    address: SocketAddr,
    path: &str,
    cookie: &str,
    mut go_on: impl FnMut(usize) -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut connection = Connection::open(address)?;
    let mut latencies = Vec::new();
    while go_on(latencies.len()) {
        let sent = Instant::now();
        let status = connection.send("GET", path, &[("cookie", cookie)], "")?.status;
        latencies.push(sent.elapsed());
        if status != 200 {
            bail!("{path} answered {status}");
        }
    }
    Ok(latencies)
}

/// What each of a scope's client threads returned, in order; the first error if one failed.
pub(crate) fn joined<T>(workers: Vec<std::thread::ScopedJoinHandle<'_, anyhow::Result<T>>>) -> anyhow::Result<Vec<T>> {
    workers
        .into_iter()
        .map(|worker| worker.join().expect("a client thread does not panic"))
        .collect()
}
