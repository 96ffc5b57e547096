//! Approved drafts and exception changes published on a real NATS JetStream server (RETEX_TEST_NATS_URL;
//! `.ci/run` starts the machine's server).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use retex_server::nats::{NatsIngest, NatsOptions};
use retex_server::outbound::{DraftExporter, ExceptionFeed};
use serde_json::Value;

use crate::Server;
use crate::webhooks::{PROPOSE_REPLENISHMENT, approve, propose_a_draft, tasks_of_kind_when};

const WAIT_MAX: Duration = Duration::from_secs(30);

/// Every message stored on the stream so far: subject, `Nats-Msg-Id` and body.
async fn stored(jetstream: &jetstream::Context, stream: &str) -> Vec<(String, String, Value)> {
    let stream = jetstream.get_stream(stream).await.unwrap();
    let reader = stream.create_consumer(consumer::pull::Config::default()).await.unwrap();
    let mut messages = reader
        .fetch()
        .max_messages(1_000)
        .expires(Duration::from_millis(500))
        .messages()
        .await
        .unwrap();
    let mut read = Vec::new();
    while let Some(Ok(message)) = messages.next().await {
        let id = message
            .headers
            .as_ref()
            .and_then(|headers| headers.get("Nats-Msg-Id"))
            .map(ToString::to_string)
            .unwrap_or_default();
        let body = serde_json::from_slice(&message.payload).unwrap();
        read.push((message.subject.to_string(), id, body));
    }
    read
}

/// The body of the first stored message that `wanted` picks, once there is one.
fn wait_for(
    server: &Server,
    jetstream: &jetstream::Context,
    stream: &str,
    wanted: impl Fn(&(String, String, Value)) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let messages = server.block_on(stored(jetstream, stream));
        if let Some((_, _, body)) = messages.iter().find(|message| wanted(message)) {
            return body.clone();
        }
        assert!(started.elapsed() < WAIT_MAX, "never published: {messages:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn approved_drafts_and_every_exception_change_are_published_on_nats() {
    let Ok(url) = std::env::var("RETEX_TEST_NATS_URL") else {
        eprintln!("NATS tests skipped: set RETEX_TEST_NATS_URL (nats://127.0.0.1:4222), as .ci/run does");
        return;
    };
    let server = Server::start_with_rules(PROPOSE_REPLENISHMENT);
    // The port is this machine's alone while the server runs; the streams are deleted at the end.
    let unique = server.address.port();
    let (drafts, exceptions) = (
        format!("retex.test.{unique}.drafts"),
        format!("retex.test.{unique}.exceptions"),
    );
    let options = NatsOptions {
        url: url.clone(),
        stream: format!("RETEX_TEST_{unique}"),
        subject: format!("retex.test.{unique}.events"),
        durable: "retex".into(),
        dead_letter: format!("retex.test.{unique}.dead"),
        exceptions: Some(exceptions.clone()),
    };
    let out_stream = format!("{}_OUT", options.stream);
    let ingest = server
        .block_on(NatsIngest::connect(options.clone()))
        .unwrap_or_else(|error| panic!("RETEX_TEST_NATS_URL is set but {url} does not answer: {error:#}"));
    let publisher = server
        .block_on(ingest.publisher(vec![drafts.clone(), exceptions.clone()]))
        .unwrap();
    let feed = ExceptionFeed {
        publisher: publisher.clone(),
        subject: exceptions.clone(),
    };
    server.spawn(feed.run(Arc::clone(&server.state)));
    server.spawn(DraftExporter::nats(publisher, drafts.clone()).run(Arc::clone(&server.state)));
    let cursor_key = format!("nats:exceptions:{exceptions}");
    let started = Instant::now();
    loop {
        let key = cursor_key.clone();
        let saved = server
            .block_on(server.state.write(move |live| Ok(live.setting(&key)?)))
            .unwrap();
        if saved.is_some() {
            break;
        }
        assert!(started.elapsed() < WAIT_MAX, "the feed never started");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The feed publishes the opening before anyone acts on it.
    let draft = propose_a_draft(&server);
    let jetstream = server.block_on(async { jetstream::new(async_nats::connect(&url).await.unwrap()) });
    let opened = wait_for(&server, &jetstream, &out_stream, |(subject, _, body)| {
        *subject == exceptions && body["exception"]["id"] == draft["exception"]
    });
    assert_eq!(
        (
            opened["exception"]["type"].as_str(),
            opened["exception"]["status"].as_str()
        ),
        (Some("count_variance"), Some("open"))
    );
    approve(&server, &draft);
    let exported = tasks_of_kind_when(&server, "transfer", |task| task["status"] == "exported");
    let detail = exported[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!("NATS {drafts}: stream {out_stream} message ")),
        "the stream's position is the reference: {detail}"
    );
    // The export was the last entry logged: the feed has published up to it.
    let last = server
        .block_on(server.state.read(|engine| Ok(engine.applied_seq())))
        .unwrap();
    wait_for(&server, &jetstream, &out_stream, |(subject, _, body)| {
        *subject == exceptions && body["seq"].as_u64() == Some(last)
    });
    let messages = server.block_on(stored(&jetstream, &out_stream));

    let sent_drafts: Vec<_> = messages.iter().filter(|(subject, ..)| *subject == drafts).collect();
    assert_eq!(sent_drafts.len(), 1, "one draft, published once");
    let (_, id, sent) = sent_drafts[0];
    assert_eq!(*id, format!("retex-task-{}", draft["id"]));
    assert_eq!(sent["event"], "draft_approved");
    assert_eq!(
        (sent["task"]["kind"].as_str(), sent["task"]["from"].as_str()),
        (Some("transfer"), Some("DC"))
    );
    let changes: Vec<(&str, &str)> = messages
        .iter()
        .filter(|(subject, _, body)| *subject == exceptions && body["exception"]["id"] == draft["exception"])
        .map(|(_, _, body)| {
            (
                body["change"].as_str().unwrap(),
                body["exception"]["type"].as_str().unwrap(),
            )
        })
        .collect();
    let seqs: Vec<u64> = messages
        .iter()
        .filter(|(subject, ..)| *subject == exceptions)
        .map(|(_, _, body)| body["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|pair| pair[0] <= pair[1]),
        "published in log order: {seqs:?}"
    );

    assert_eq!(
        changes.last(),
        Some(&("task", "count_variance")),
        "the newest change, the export, is published: {changes:?}"
    );
    for stream in [&options.stream, &out_stream] {
        server.block_on(jetstream.delete_stream(stream)).unwrap();
    }
}
