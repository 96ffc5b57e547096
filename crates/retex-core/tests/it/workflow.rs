//! The workflow sections of the rules at work: the ownership matrix picks the team, round robin and least loaded
//! assign among members on shift, per-type SLA targets and holidays set the dues, the four-eyes rule guards
//! resolutions above a threshold, evidence can be required, and a snooze holds escalation back.

use std::sync::Arc;

use retex_core::codes::Timestamp;
use retex_core::command::{Action, RootCause};
use retex_core::engine::{Engine, EngineConfig, Input, RefusalKind};
use retex_core::rules::file::parse_rules;
use retex_core::rules::workflow::Secret;

use crate::{command, parse_all};

const RULES: &str = r#"
[sla.low]
acknowledge_minutes = 120
resolve_minutes = 600

[types.count_variance.sla.medium]
acknowledge_minutes = 30
resolve_minutes = 240

[calendar]
holidays = ["2026-11-03"]

[teams."store S1"]
members = ["ann", "ben", "cat"]
lead = "lea"
assignment = "round_robin"

[teams."drinks buyers"]
members = ["dan", "eve"]
assignment = "least_loaded"

[shifts.cat]
days = ["sat", "sun"]
hours = "09:00-17:00"

[[ownership]]
type = "count_variance"
category = "Grocery/Drinks"
team = "drinks buyers"

[approvals.count_variance]
above = 100
role = "operations_lead"
"#;

/// Store S1 (open 09:00-17:00 UTC, region north), four home items and three drinks: each counted short on
/// Monday 2 November from 10:00, a minute apart; `K9` is dear, so its variance is worth 200.
fn world() -> String {
    let mut lines = vec![
        r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","region":"north","timezone":"UTC","hours":"09:00-17:00"}"#.to_string(),
        r#"{"id":"S","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"S","lead_time_days":3}"#.to_string(),
    ];
    let items = [
        ("K0", "Home", 1),
        ("K1", "Home", 1),
        ("K2", "Home", 1),
        ("K3", "Home", 1),
        ("D0", "Grocery/Drinks/Soda", 1),
        ("D1", "Grocery/Drinks", 1),
        ("D2", "Grocery/Drinks", 1),
        ("K9", "Home/Tools", 20),
    ];
    for (index, (sku, category, cost)) in items.iter().enumerate() {
        lines.push(format!(
            r#"{{"id":"P{sku}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"{sku}","name":"x","category":"{category}","uom":"unit","cost":{cost},"price":9,"supplier":"SUP"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"a{sku}","source":"t","type":"adjustment","at":"2026-11-02T09:00:00Z","location":"S1","sku":"{sku}","qty":100,"reason":"correction"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"c{sku}","source":"t","type":"count","at":"2026-11-02T10:{index:02}:00Z","location":"S1","sku":"{sku}","counted":90}}"#
        ));
    }
    lines.join("\n")
}

fn engine_with(rules: &str) -> (Engine, u64) {
    let rules = parse_rules(rules).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let mut seq = 0;
    for event in parse_all(&world()) {
        seq += 1;
        engine.apply(seq, &Input::Event(event));
    }
    (engine, seq)
}

/// The count variance raised for a SKU.
fn exception_of(engine: &Engine, sku: &str) -> u64 {
    engine
        .exceptions()
        .iter()
        .find(|view| view.sku == Some(sku) && view.exception_type == "count_variance")
        .unwrap_or_else(|| panic!("no exception for {sku}"))
        .id
}

#[test]
fn ownership_and_assignment_follow_the_rules() {
    let (engine, _) = engine_with(RULES);
    let assigned = |sku: &str| {
        let (view, _) = engine.exception_detail(exception_of(&engine, sku)).unwrap();
        (view.team.to_owned(), view.assignee.map(str::to_owned))
    };
    let store = |who: &str| ("store S1".to_owned(), Some(who.to_owned()));
    let drinks = |who: &str| ("drinks buyers".to_owned(), Some(who.to_owned()));
    // Round robin in the store team; cat works weekends only, so Monday skips her.
    assert_eq!(assigned("K0"), store("ann"));
    assert_eq!(assigned("K1"), store("ben"));
    assert_eq!(assigned("K2"), store("ann"));
    assert_eq!(assigned("K3"), store("ben"));
    // Least loaded among the drinks buyers, the first listed on a tie.
    assert_eq!(assigned("D0"), drinks("dan"));
    assert_eq!(assigned("D1"), drinks("eve"));
    assert_eq!(assigned("D2"), drinks("dan"));
    let (_, timeline) = engine.exception_detail(exception_of(&engine, "D1")).unwrap();
    assert!(
        timeline
            .iter()
            .any(|entry| entry.action == "assign" && entry.detail == "to eve (least loaded in drinks buyers)"),
        "{timeline:?}"
    );
}

#[test]
fn nobody_is_assigned_when_no_member_is_on_shift() {
    let rules = r#"
[teams."store S1"]
members = ["cat"]
assignment = "round_robin"
[shifts.cat]
days = ["sat"]
hours = "09:00-17:00"
"#;
    let (engine, _) = engine_with(rules);
    let (view, timeline) = engine.exception_detail(exception_of(&engine, "K0")).unwrap();
    assert_eq!(view.assignee, None);
    assert!(
        timeline
            .iter()
            .any(|entry| entry.detail == "nobody: no member of store S1 is on shift")
    );
}

#[test]
fn dues_use_the_type_and_severity_targets_in_business_hours_around_holidays() {
    let (engine, _) = engine_with(RULES);
    // Low (impact 10): acknowledge in 2 h, resolve in 10 business hours: 7 on Monday, none on Tuesday's
    // holiday, 3 on Wednesday.
    let (low, _) = engine.exception_detail(exception_of(&engine, "K0")).unwrap();
    assert_eq!(low.severity, "low");
    assert_eq!(low.ack_due, "2026-11-02T12:00:00Z");
    assert_eq!(low.resolve_due, "2026-11-04T12:00:00Z");
    // Medium (impact 200): count_variance's own medium targets, 30 min and 4 h.
    let (medium, _) = engine.exception_detail(exception_of(&engine, "K9")).unwrap();
    assert_eq!(medium.severity, "medium");
    assert_eq!(medium.ack_due, "2026-11-02T10:37:00Z");
    assert_eq!(medium.resolve_due, "2026-11-02T14:07:00Z");
}

#[test]
fn four_eyes_guard_resolutions_above_the_threshold() {
    let (mut engine, mut seq) = engine_with(RULES);
    let dear = exception_of(&engine, "K9");
    let resolve = || Action::Resolve {
        root_cause: RootCause::CountInaccuracy,
        note: "recounted".into(),
        resolution: None,
    };
    let mut run = |engine: &mut Engine, actor: &str, role: Option<&str>, action: Action| {
        let Input::Command(mut command) = command("2026-11-02T11:00:00Z", actor, dear, action) else {
            unreachable!()
        };
        command.role = role.map(str::to_owned);
        let checked = engine.check_command(&command);
        seq += 1;
        engine.apply(seq, &Input::Command(command));
        checked
    };
    let refused = run(&mut engine, "ann", Some("team_member"), resolve()).unwrap_err();
    assert_eq!(refused.kind, RefusalKind::Conflict);
    let refused = refused.message;
    assert!(
        refused.contains("above 100") && refused.contains("operations_lead"),
        "{refused}"
    );
    run(
        &mut engine,
        "ann",
        Some("team_member"),
        Action::RequestApproval {
            reason: "recount done".into(),
        },
    )
    .unwrap();
    let own = run(
        &mut engine,
        "ann",
        Some("operations_lead"),
        Action::Approve { note: String::new() },
    )
    .unwrap_err();
    assert_eq!(own.kind, RefusalKind::Conflict);
    let own = own.message;
    assert!(own.contains("four eyes"), "{own}");
    let role = run(
        &mut engine,
        "ben",
        Some("team_member"),
        Action::Approve { note: String::new() },
    )
    .unwrap_err();
    assert_eq!(role.kind, RefusalKind::Forbidden);
    let role = role.message;
    assert!(role.contains("needs role operations_lead"), "{role}");
    run(
        &mut engine,
        "lea",
        Some("operations_lead"),
        Action::Approve { note: "ok".into() },
    )
    .unwrap();
    run(&mut engine, "ann", Some("team_member"), resolve()).unwrap();
    let (view, _) = engine.exception_detail(dear).unwrap();
    assert_eq!(view.status, "resolved");
    let approval = view.approval.unwrap();
    assert_eq!((approval.state, approval.decided_by), ("approved", Some("lea")));
    // Below the threshold no approval is needed.
    let cheap = exception_of(&engine, "K0");
    let at = "2026-11-02T11:30:00Z";
    assert!(engine.check_command(&command_of(at, "ann", cheap, resolve())).is_ok());
}

#[test]
fn a_pending_approval_request_holds_every_resolution_until_it_is_decided() {
    let (mut engine, mut seq) = engine_with(RULES);
    let (dear, cheap) = (exception_of(&engine, "K9"), exception_of(&engine, "K0"));
    let resolve = || Action::Resolve {
        root_cause: RootCause::CountInaccuracy,
        note: "recounted".into(),
        resolution: None,
    };
    let at = "2026-11-02T11:00:00Z";
    let mut apply = |engine: &mut Engine, actor: &str, role: &str, exception: u64, action: Action| {
        let mut command = command_of(at, actor, exception, action);
        command.role = Some(role.to_owned());
        let checked = engine.check_command(&command);
        seq += 1;
        engine.apply(seq, &Input::Command(command));
        checked
    };
    let ask = || Action::RequestApproval {
        reason: "write-off".into(),
    };
    // Below the threshold nothing needs an approval, but once one is asked for, it holds the exception.
    apply(&mut engine, "ann", "team_member", cheap, ask()).unwrap();
    for (actor, role) in [("ann", "team_member"), ("lea", "operations_lead"), ("ada", "admin")] {
        let refused = apply(&mut engine, actor, role, cheap, resolve()).unwrap_err();
        assert_eq!(refused.kind, RefusalKind::Conflict, "{actor}");
        assert_eq!(
            refused.message,
            format!(
                "exception {cheap}: ann asked for approval, still pending: it must be approved or rejected before \
                 the exception is resolved"
            )
        );
    }
    let dismiss = Action::Dismiss {
        reason: "false alarm".into(),
    };
    let refused = apply(&mut engine, "lea", "operations_lead", cheap, dismiss).unwrap_err();
    assert!(
        refused.message.ends_with("before the exception is dismissed"),
        "{refused}"
    );
    assert!(
        !engine.may_decide_approval(cheap, "ann", "operations_lead"),
        "not the requester"
    );
    assert!(
        !engine.may_decide_approval(cheap, "ben", "team_member"),
        "not without the role"
    );
    assert!(engine.may_decide_approval(cheap, "lea", "operations_lead"));
    assert!(engine.may_decide_approval(cheap, "ada", "admin"));
    let reject = Action::Reject {
        note: "count again".into(),
    };
    apply(&mut engine, "lea", "operations_lead", cheap, reject).unwrap();
    assert!(!engine.may_decide_approval(cheap, "lea", "operations_lead"), "decided");
    apply(&mut engine, "ann", "team_member", cheap, resolve()).unwrap();
    assert_eq!(engine.exception_detail(cheap).unwrap().0.status, "resolved");

    // Above it, a rejection leaves the threshold rule standing.
    apply(&mut engine, "ann", "team_member", dear, ask()).unwrap();
    let reject = Action::Reject { note: "no".into() };
    apply(&mut engine, "lea", "operations_lead", dear, reject).unwrap();
    let refused = apply(&mut engine, "ann", "team_member", dear, resolve()).unwrap_err();
    assert_eq!(
        refused.message,
        format!(
            "exception {dear}: impact 200.00 EUR is above 100.00 EUR: request approval, and have another \
             operations_lead approve, first"
        )
    );
    let need = engine.exception_brief(dear).unwrap().approval;
    assert!(need.needed);
    assert_eq!(
        need.words,
        "Needs approval: impact 200.00 EUR above 100.00 EUR (rule for count_variance); approver role \
         operations_lead"
    );
    let need = engine.exception_brief(cheap).unwrap().approval;
    assert!(!need.needed);
    assert_eq!(
        need.words,
        "No approval needed: impact 10.00 EUR is not above 100.00 EUR (rule for count_variance)"
    );
}

fn command_of(at: &str, actor: &str, exception: u64, action: Action) -> retex_core::command::Command {
    match command(at, actor, exception, action) {
        Input::Command(command) => command,
        _ => unreachable!(),
    }
}

#[test]
fn evidence_can_be_required_before_resolving() {
    let (mut engine, seq) = engine_with("[types.count_variance]\nrequire_evidence = true\n");
    let id = exception_of(&engine, "K0");
    let resolve = Action::Resolve {
        root_cause: RootCause::CountInaccuracy,
        note: "recounted".into(),
        resolution: None,
    };
    let refused = engine.check_command(&command_of("2026-11-02T11:00:00Z", "ann", id, resolve.clone()));
    assert!(refused.unwrap_err().message.contains("needs evidence"));
    let attach = Action::AttachEvidence {
        sha256: "ab".repeat(32),
        name: "shelf.jpg".into(),
        media_type: "image/jpeg".into(),
        bytes: 1234,
    };
    engine.apply(seq + 1, &command("2026-11-02T11:00:00Z", "ann", id, attach));
    assert!(
        engine
            .check_command(&command_of("2026-11-02T11:01:00Z", "ann", id, resolve))
            .is_ok()
    );
    assert_eq!(engine.exception_detail(id).unwrap().0.evidence[0].name, "shelf.jpg");
}

#[test]
fn a_snooze_holds_escalation_back() {
    let (mut engine, seq) = engine_with(RULES);
    let snoozed = exception_of(&engine, "K0");
    let other = exception_of(&engine, "K1");
    let until = chrono::DateTime::parse_from_rfc3339("2026-11-02T15:00:00Z").unwrap();
    let snooze = command("2026-11-02T11:00:00Z", "ann", snoozed, Action::Snooze { until });
    engine.apply(seq + 1, &snooze);
    let tick = Input::Tick(Timestamp::parse_rfc3339("2026-11-02T13:00:00Z").unwrap());
    engine.apply(seq + 2, &tick);
    let escalated = |id: u64| engine.exception_detail(id).unwrap().0.escalation_level;
    assert_eq!(escalated(snoozed), 0, "ack_due 12:00 passed while snoozed");
    assert_eq!(escalated(other), 1);
    let (_, timeline) = engine.exception_detail(other).unwrap();
    assert!(
        timeline
            .iter()
            .any(|entry| entry.detail.contains("team lead lea of store S1")),
        "{timeline:?}"
    );
}

#[test]
fn workflow_sections_report_their_mistakes_by_line_and_key() {
    let text = r#"
[teams.buyers]
assignment = "round_robin"

[shifts.ann]
days = ["mon", "funday"]
hours = "09:00-17:00"

[[ownership]]
type = "stock_mystery"
team = "x"

[sla.high]
acknowledge_minutes = 600
resolve_minutes = 60

[calendar]
holidays = ["25/12/2026"]
"#;
    let errors = parse_rules(text).unwrap_err();
    let found: Vec<String> = errors
        .iter()
        .map(|error| format!("{} {}", error.line, error.key))
        .collect();
    for expected in [
        "2 teams.buyers",
        "6 shifts.ann.days",
        "10 ownership[0].type",
        "13 sla.high",
        "18 calendar.holidays",
    ] {
        assert!(
            found.iter().any(|line| line == expected),
            "missing {expected:?} in {found:?}"
        );
    }
}

#[test]
fn webhook_secrets_are_checked_and_kept_out_of_the_rules_identity() {
    let action = |target: &str, secret: &str| {
        format!("[[actions]]\ntype = \"po_late\"\ndo = \"notify_webhook\"\ntarget = \"{target}\"\n{secret}\n")
    };
    let mistakes = [
        action("https://hooks/a", "secret = \"x\"\nsecret_env = \"Y\""),
        action("hooks/b", ""),
        "[[actions]]\ntype = \"po_late\"\ndo = \"request_recount\"\nsecret = \"x\"\n".to_owned(),
        action("https://hooks/c", "secret = \"one\"") + &action("https://hooks/c", "secret = \"two\""),
    ];
    let expected = [
        "give secret or secret_env, not both",
        "a webhook target is an http:// or https:// URL",
        "only a notify_webhook action is signed with a secret",
        "one secret per target",
    ];
    for (text, problem) in mistakes.iter().zip(expected) {
        let errors = parse_rules(text).expect_err(problem);
        assert!(
            errors.iter().any(|error| error.to_string().contains(problem)),
            "{problem}: {errors:?}"
        );
    }
    let signed = parse_rules(&action("https://hooks/d", "secret = \"one\"")).unwrap();
    let rotated = parse_rules(&action("https://hooks/d", "secret_env = \"HOOK_KEY\"")).unwrap();
    assert_eq!(
        signed.version(),
        rotated.version(),
        "a secret is not part of what the engine decides"
    );
}

/// The notifications about an exception: to whom, and what.
fn notices(engine: &Engine, exception: u64) -> Vec<(String, String)> {
    engine
        .tasks()
        .iter()
        .filter(|task| task.exception == exception)
        .map(|task| {
            let view = engine.task_view(task);
            (view.target.unwrap().to_owned(), view.message.unwrap().to_owned())
        })
        .collect()
}

/// Three escalation levels: the assignee, the regional manager, the operations director.
const THREE_LEVELS: &str = r#"
[escalation]
levels = [
  { at = "30m", notify = "assignee" },
  { at = "50%", notify = "regional_manager" },
  { at = "resolve_due", notify = "operations_director" },
]
"#;

#[test]
fn with_notify_email_each_person_an_escalation_names_is_e_mailed() {
    let rules = &format!(
        "{THREE_LEVELS}{}",
        r#"
[teams."store S1"]
members = ["ann"]
assignment = "round_robin"

[notify]
email = true
roles = { "regional_manager.north" = "north@shop.example", operations_director = "dora" }
"#
    );
    let (mut engine, seq) = engine_with(rules);
    let id = exception_of(&engine, "K0");
    engine.apply(
        seq + 1,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap()),
    );
    let mails = notices(&engine, id);
    let recipients: Vec<&str> = mails.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(recipients, ["ann", "ann", "north@shop.example", "dora"], "{mails:?}");
    assert!(mails[0].1.starts_with("assigned to you: exception"), "{mails:?}");
    assert!(mails[1].1.starts_with("escalated, level 1: ann notified"), "{mails:?}");
    assert!(mails[3].1.contains("count_variance S1 K0"), "{mails:?}");

    // A person's assignment and an approval request reach the assignee and the approving role.
    let (mut asked, seq) = engine_with(
        &format!("{rules}\n[approvals.count_variance]\nabove = 1\nrole = \"operations_lead\"\n").replace(
            "operations_director = \"dora\"",
            "operations_director = \"dora\", operations_lead = \"olga\"",
        ),
    );
    let id = exception_of(&asked, "K1");
    let assign = Action::Assign { assignee: "bob".into() };
    asked.apply(seq + 1, &command("2026-11-02T11:00:00Z", "lea", id, assign));
    let ask = Action::RequestApproval {
        reason: "write it off".into(),
    };
    asked.apply(seq + 2, &command("2026-11-02T11:05:00Z", "bob", id, ask));
    let told = notices(&asked, id);
    let to = |name: &str| {
        told.iter()
            .find(|(to, _)| to == name)
            .map(|(_, message)| message.as_str())
    };
    assert!(
        to("bob").is_some_and(|message| message.starts_with("assigned to you by lea")),
        "{told:?}"
    );
    assert!(
        to("olga").is_some_and(|message| message.starts_with("bob asks for your approval: write it off")),
        "{told:?}"
    );

    // The people's webhook gets every notice as well, naming whom it is for.
    let (mut posted, seq) =
        engine_with(&rules.replace("email = true", "email = false\nwebhook = \"https://chat.shop/retex\""));
    let id = exception_of(&posted, "K0");
    posted.apply(
        seq + 1,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-02T10:31:00Z").unwrap()),
    );
    let posts: Vec<String> = posted
        .tasks()
        .iter()
        .filter(|task| task.exception == id)
        .map(|task| {
            let view = posted.task_view(task);
            assert_eq!(
                (view.kind, view.target),
                ("notify_webhook", Some("https://chat.shop/retex"))
            );
            view.message.unwrap().to_owned()
        })
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts[0].starts_with("for ann, assigned to you: exception"), "{posts:?}");
    assert!(posts[1].starts_with("for ann, escalated, level 1"), "{posts:?}");

    let (quiet, _) = engine_with(&rules.replace("email = true", "email = false"));
    assert!(quiet.tasks().is_empty(), "without [notify] email, nobody is e-mailed");
}

const ACTIONS: &str = r#"
[[actions]]
type = "count_variance"
on = "open"
do = "request_recount"

[[actions]]
type = "count_variance"
on = "open"
do = "propose_replenishment"

[[actions]]
type = "count_variance"
on = "breach"
do = "notify_webhook"
target = "http://127.0.0.1:9/hook"
"#;

/// A warehouse with stock and a store that sold the item twice a day for a week, then counted two left.
fn replenishment_world() -> Vec<retex_core::event::Event> {
    parse_all(include_str!("../data/replenishment_world.ndjson"))
}

#[test]
fn automated_actions_create_tasks_that_people_and_the_dispatcher_close() {
    let rules = parse_rules(ACTIONS).unwrap_or_else(|errors| panic!("{errors:?}"));
    let mut engine = Engine::new(EngineConfig {
        rules: Arc::new(rules),
        insight: None,
    });
    let mut seq = 0;
    let mut apply = |engine: &mut Engine, input: Input| {
        seq += 1;
        engine.apply(seq, &input);
    };
    for event in replenishment_world() {
        apply(&mut engine, Input::Event(event));
    }
    let id = exception_of(&engine, "K0");
    let views: Vec<(String, String, String)> = engine
        .tasks()
        .iter()
        .map(|task| {
            let view = engine.task_view(task);
            (view.kind.to_owned(), view.status.to_owned(), view.detail.to_owned())
        })
        .collect();
    // Two sold a day for a week, none the day before the count: 1.75 a day from the first sale. The median demand
    // over the lead time + 1 (4 days) is 6.67, so 7 are wanted; 2 are there.
    assert_eq!(
        views,
        [
            ("recount".into(), "open".into(), "count K0 at S1".into()),
            (
                "transfer".into(),
                "proposed".into(),
                "draft transfer of 5 x K0 from DC to S1".into()
            ),
        ]
    );
    let (_, timeline) = engine.exception_detail(id).unwrap();
    assert!(
        timeline
            .iter()
            .any(|entry| entry.action == "action" && entry.detail.starts_with("propose_replenishment: draft transfer"))
    );

    let decide = Action::DecideTask {
        task: 2,
        approve: true,
        note: "send it".into(),
    };
    assert!(
        engine
            .check_command(&command_of("2026-11-02T11:00:00Z", "lea", id, decide.clone()))
            .is_ok()
    );
    apply(&mut engine, command("2026-11-02T11:00:00Z", "lea", id, decide.clone()));
    assert_eq!(engine.task_view(&engine.tasks()[1]).status, "approved");
    let again = engine.check_command(&command_of("2026-11-02T11:01:00Z", "lea", id, decide));
    assert_eq!(again.unwrap_err().to_string(), "task 2 is approved");
    // Created in the ERP: its reference on the task and the timeline, once.
    let exported = Action::TaskExported {
        task: 2,
        reference: "Odoo purchase.order P00045".into(),
    };
    apply(
        &mut engine,
        command("2026-11-02T11:02:00Z", "retex-odoo", id, exported.clone()),
    );
    let view = engine.task_view(&engine.tasks()[1]);
    assert_eq!((view.status, view.detail), ("exported", "Odoo purchase.order P00045"));
    let twice = engine.check_command(&command_of("2026-11-02T11:03:00Z", "retex-odoo", id, exported));
    assert_eq!(twice.unwrap_err().to_string(), "task 2 is exported");

    let recount = r#"{"id":"c2","source":"t","type":"count","at":"2026-11-02T12:00:00Z","location":"S1","sku":"K0","counted":10}"#;
    apply(&mut engine, Input::Event(parse_all(recount).remove(0)));
    // The recount disagrees again: the exception stays open, one occurrence more.
    assert_eq!(engine.exception_detail(id).unwrap().0.occurrences, 2);
    assert_eq!(engine.task_view(&engine.tasks()[0]).status, "done");

    // Not acknowledged by its due time: a breach, and a notification in the outbox.
    apply(
        &mut engine,
        Input::Tick(Timestamp::parse_rfc3339("2026-11-03T17:00:00Z").unwrap()),
    );
    let notify = engine
        .tasks()
        .iter()
        .find(|task| task.kind.name() == "notify_webhook")
        .expect("a notification");
    let notify_id = notify.id;
    assert_eq!(engine.task_view(notify).status, "pending");
    assert!(
        engine
            .task_view(notify)
            .message
            .unwrap()
            .contains("count_variance S1 K0")
    );
    // A failure is retried when the dispatcher said; failures go on for a day from the first one, then the
    // notification is a dead letter that only a person's resend brings back.
    let deliver = |engine: &mut Engine, seq: u64, at: &str, ok: bool, retry_at: Option<&str>| {
        let delivered = Action::TaskDelivered {
            task: notify_id,
            ok,
            detail: "HTTP 503".into(),
            retry_at: retry_at.map(|at| chrono::DateTime::parse_from_rfc3339(at).unwrap()),
        };
        let command = command_of(at, "retex-dispatcher", id, delivered);
        engine.check_command(&command).map_err(|refusal| refusal.to_string())?;
        engine.apply(seq, &Input::Command(command));
        let view = engine.task_view(&engine.tasks()[(notify_id - 1) as usize]);
        Ok::<_, String>((view.status, view.attempts))
    };
    let mut failing = engine.clone();
    let first = deliver(
        &mut engine,
        1000,
        "2026-11-03T17:01:00Z",
        false,
        Some("2026-11-03T17:02:00Z"),
    );
    assert_eq!(first, Ok(("failed", 1)));
    let second = deliver(&mut engine, 1001, "2026-11-03T17:02:00Z", true, None);
    assert_eq!(second, Ok(("delivered", 2)));
    let resend = |engine: &mut Engine, seq: u64, at: &str| {
        let command = command_of(at, "lea", id, Action::ResendTask { task: notify_id });
        engine.check_command(&command).map_err(|refusal| refusal.to_string())?;
        engine.apply(seq, &Input::Command(command));
        Ok::<_, String>(engine.task_view(&engine.tasks()[(notify_id - 1) as usize]).status)
    };
    assert_eq!(
        resend(&mut engine, 1002, "2026-11-03T17:03:00Z"),
        Err(format!("task {notify_id} is delivered"))
    );

    let tries = [
        ("2026-11-03T17:01:00Z", Some("2026-11-03T18:01:00Z"), "failed"),
        ("2026-11-03T18:01:00Z", Some("2026-11-04T16:01:00Z"), "failed"),
        // The next try would fall more than a day after the first failure.
        ("2026-11-04T16:01:00Z", Some("2026-11-04T17:01:00Z"), "dead_letter"),
    ];
    for (index, (at, retry_at, status)) in tries.into_iter().enumerate() {
        let outcome = deliver(&mut failing, 1000 + index as u64, at, false, retry_at);
        assert_eq!(outcome, Ok((status, index as u32 + 1)), "attempt at {at}");
    }
    let late = deliver(&mut failing, 1010, "2026-11-04T18:00:00Z", true, None);
    assert_eq!(
        late,
        Err(format!("task {notify_id} is dead_letter")),
        "no attempt after giving up"
    );
    assert_eq!(resend(&mut failing, 1011, "2026-11-05T09:00:00Z"), Ok("pending"));
    let fresh = deliver(
        &mut failing,
        1012,
        "2026-11-05T09:00:05Z",
        false,
        Some("2026-11-05T10:00:05Z"),
    );
    assert_eq!(fresh, Ok(("failed", 4)), "a resend starts a new day of retries");
}

#[test]
fn an_escalation_policy_sets_levels_reminders_and_repeats() {
    let rules = &format!(
        "{THREE_LEVELS}{}",
        r#"renotify = { every_minutes = 60, times = 2 }
repeat = { every_minutes = 120, times = 1 }

[teams."store S1"]
members = ["ann"]
assignment = "round_robin"
"#
    );
    let (mut engine, seq) = engine_with(rules);
    let id = exception_of(&engine, "K0");
    engine.apply(
        seq + 1,
        &Input::Tick(Timestamp::parse_rfc3339("2026-11-20T00:00:00Z").unwrap()),
    );
    let (view, timeline) = engine.exception_detail(id).unwrap();
    let steps: Vec<String> = timeline
        .iter()
        .filter(|entry| {
            matches!(
                entry.action,
                "escalated" | "breached" | "renotified" | "escalation_repeated"
            )
        })
        .map(|entry| format!("{} {}: {}", entry.at, entry.action, entry.detail))
        .collect();
    // Opened Monday 10:00 at a store open 09:00-17:00; low: acknowledge in 8, resolve in 72 business hours.
    assert_eq!(
        steps,
        [
            "2026-11-02T10:30:00Z escalated: level 1: ann notified, unacknowledged 30 business minutes after opening",
            "2026-11-03T10:00:00Z breached: the acknowledgement target was missed",
            "2026-11-03T11:00:00Z renotified: ann reminded, still unacknowledged (1 of 2)",
            "2026-11-03T12:00:00Z renotified: ann reminded, still unacknowledged (2 of 2)",
            "2026-11-06T14:00:00Z escalated: level 2: regional manager of north notified, 50% of its resolve target has passed",
            "2026-11-11T10:00:00Z breached: the resolve target was missed",
            "2026-11-11T10:00:00Z escalated: level 3: operations director notified, not resolved by its due time",
            "2026-11-11T12:00:00Z escalation_repeated: operations director notified again, still unresolved (1 of 1)",
        ]
    );
    assert!(view.ack_breached && view.resolve_breached);
    assert_eq!(view.escalation_level, 3);

    let errors = parse_rules("[escalation]\nlevels = [{ at = \"soon\", notify = \"boss\" }]\n").unwrap_err();
    let keys: Vec<&str> = errors.iter().map(|error| error.key.as_str()).collect();
    assert!(
        keys.contains(&"escalation.levels[0].at") && keys.contains(&"escalation.levels[0].notify"),
        "{keys:?}"
    );
}

#[test]
fn the_smtp_server_named_in_the_rules_is_not_part_of_their_identity_and_its_password_is_never_echoed() {
    let named = parse_rules("[notify.email]\nurl_env = \"RETEX_SMTP\"\nfrom = \"alerts@shop.example\"\n").unwrap();
    assert!(named.workflow.notify.email, "naming a server turns e-mail on");
    let smtp = named.workflow.notify.smtp.as_ref().unwrap();
    assert_eq!(
        (&smtp.url, smtp.from.as_deref()),
        (&Secret::Env("RETEX_SMTP".into()), Some("alerts@shop.example"))
    );
    let plain = parse_rules("[notify]\nemail = true\n").unwrap();
    assert_eq!(named.version(), plain.version(), "where mail goes is not a rule");
    let wrong = parse_rules("[notify.email]\nurl = \"imap://ann:pa55@mail.shop\"\n").unwrap_err();
    let message = format!("{wrong:?}");
    assert!(message.contains("imap://ann:(hidden)@mail.shop"), "{message}");
    assert!(!message.contains("pa55"), "{message}");
    let missing = parse_rules("[notify.email]\nfrom = \"a@b\"\n").unwrap_err();
    assert!(format!("{missing:?}").contains("name the SMTP server with url or url_env"));
}
