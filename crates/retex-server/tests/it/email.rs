//! E-mail notifications through a real SMTP conversation with a server started by the test: one digest per
//! recipient, people found by name, and a target nobody answers to reported on the task.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use retex_server::ServerOptions;
use retex_server::state::EmailOptions;

use crate::Server;

/// One message as the SMTP server received it.
struct Mail {
    recipients: Vec<String>,
    data: String,
}

/// A minimal SMTP server: it accepts every message and hands it to the test.
fn smtp_server() -> (u16, Receiver<Mail>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, received) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            stream.write_all(b"220 fake.test ESMTP\r\n").unwrap();
            let mut recipients = Vec::new();
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let command = line.trim_end().to_ascii_uppercase();
                let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
                    b"250 fake.test\r\n"
                } else if command.starts_with("RCPT TO:") {
                    recipients.push(line.trim_end()[8..].trim_matches(['<', '>', ' ']).to_owned());
                    b"250 OK\r\n"
                } else if command == "DATA" {
                    stream.write_all(b"354 go on\r\n").unwrap();
                    let mut data = String::new();
                    loop {
                        let mut data_line = String::new();
                        reader.read_line(&mut data_line).unwrap();
                        if data_line == ".\r\n" {
                            break;
                        }
                        data.push_str(&data_line);
                    }
                    let _ = sender.send(Mail {
                        recipients: std::mem::take(&mut recipients),
                        data,
                    });
                    b"250 queued\r\n"
                } else if command == "QUIT" {
                    stream.write_all(b"221 bye\r\n").unwrap();
                    break;
                } else {
                    b"250 OK\r\n"
                };
                stream.write_all(answer).unwrap();
                line.clear();
            }
        }
    });
    (port, received)
}

#[test]
fn each_recipient_gets_one_digest_and_a_name_without_an_address_is_a_failed_delivery() {
    let (port, received) = smtp_server();
    let action = |target: &str| {
        format!("[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_email\"\ntarget = \"{target}\"\n")
    };
    let rules = [action("lead"), action("ops@shop.example"), action("nobody")].concat();
    let options = ServerOptions {
        email: Some(EmailOptions {
            url: format!("smtp://127.0.0.1:{port}"),
            from: "retex@shop.example".into(),
        }),
        ..ServerOptions::engine_clock()
    };
    let server = Server::start_with(&rules, options);
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), crate::WORLD);
    assert_eq!(response.status, 200, "{}", response.body);

    // The world raises two count variances: each recipient gets both in one message.
    let mut mails: Vec<Mail> = (0..2)
        .map(|_| received.recv_timeout(Duration::from_secs(10)).expect("an e-mail"))
        .collect();
    mails.sort_by(|left, right| left.recipients.cmp(&right.recipients));
    assert_eq!(mails[0].recipients, ["lead@shop.example"]);
    assert_eq!(mails[1].recipients, ["ops@shop.example"]);
    for mail in &mails {
        assert!(mail.data.contains("Subject: Retex: 2 notifications"), "{}", mail.data);
        assert!(mail.data.contains("From: retex@shop.example"), "{}", mail.data);
        assert_eq!(mail.data.matches("count_variance").count(), 2, "{}", mail.data);
    }
    assert!(
        received.recv_timeout(Duration::from_secs(2)).is_err(),
        "no third message"
    );

    let admin = vec![("cookie", server.login("admin"))];
    let mut tasks = Vec::new();
    for _ in 0..50 {
        tasks = server.send("GET", "/api/v1/tasks?kind=notify_email", &admin, "").json()["items"]
            .as_array()
            .unwrap()
            .clone();
        if tasks.iter().all(|task| task["status"] != "pending") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let detail_of = |target: &str| -> Vec<(String, String)> {
        tasks
            .iter()
            .filter(|task| task["target"] == target)
            .map(|task| {
                (
                    task["status"].as_str().unwrap().to_owned(),
                    task["detail"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        detail_of("lead"),
        vec![("delivered".into(), "e-mailed to lead@shop.example".into()); 2]
    );
    assert_eq!(
        detail_of("nobody"),
        vec![("failed".into(), "no user nobody to e-mail".into()); 2]
    );
}

#[test]
fn the_rules_file_may_name_the_smtp_server_and_the_sender() {
    let (port, received) = smtp_server();
    let rules = format!(
        "[notify.email]\nurl = \"smtp://127.0.0.1:{port}\"\nfrom = \"alerts@shop.example\"\n\n\
         [[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_email\"\ntarget = \"ops@shop.example\"\n"
    );
    let server = Server::start_with(&rules, ServerOptions::engine_clock());
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), crate::WORLD);
    assert_eq!(response.status, 200, "{}", response.body);
    let mail = received.recv_timeout(Duration::from_secs(10)).expect("an e-mail");
    assert_eq!(mail.recipients, ["ops@shop.example"]);
    assert!(mail.data.contains("From: alerts@shop.example"), "{}", mail.data);
}
