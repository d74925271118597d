mod common;

use common::*;
use rsqueue::admin::{execute, handle};
use rsqueue::command::{AdminCommand, DEFAULT_TAIL};
use rsqueue::janitor::{self, SweepReport};
use rsqueue::{JobId, JobSpec, JobState, QueueError};

fn kill(broker: &rsqueue::Broker, clock: &rsqueue::ManualClock, kind: &str) -> JobId {
    let id = broker
        .submit(JobSpec::new(kind).max_attempts(broker.config().max_attempts))
        .unwrap();
    while broker.status(id) != Some(JobState::Dead) {
        broker.run_until_idle();
        clock.advance(120_000);
    }
    id
}

fn every_command() -> Vec<(AdminCommand, &'static str)> {
    vec![
        (AdminCommand::Stats, "stats"),
        (AdminCommand::Queue, "queue"),
        (AdminCommand::Handlers, "handlers"),
        (AdminCommand::Job(JobId(42)), "job job-000042"),
        (AdminCommand::Cancel(JobId(7)), "cancel job-000007"),
        (AdminCommand::DeadList { kind: None }, "dead list"),
        (
            AdminCommand::DeadList {
                kind: Some("email".into()),
            },
            "dead list email",
        ),
        (AdminCommand::DeadKinds, "dead kinds"),
        (
            AdminCommand::DeadRequeue(JobId(3)),
            "dead requeue job-000003",
        ),
        (
            AdminCommand::DeadRequeueKind("billing.invoice".into()),
            "dead requeue-kind billing.invoice",
        ),
        (
            AdminCommand::DeadPurge { age_ms: 900_000 },
            "dead purge 900000",
        ),
        (AdminCommand::JournalTail { lines: 5 }, "journal tail 5"),
        (AdminCommand::Sweep, "sweep"),
    ]
}

#[test]
fn every_command_parses_and_displays_canonically() {
    for (command, line) in every_command() {
        assert_eq!(AdminCommand::parse(line), Ok(command.clone()), "{line}");
        assert_eq!(command.to_string(), line);
        assert_eq!(line.parse::<AdminCommand>(), Ok(command.clone()));
        assert_eq!(AdminCommand::parse(&command.to_string()), Ok(command));
    }
}

#[test]
fn parse_accepts_the_short_id_forms_and_extra_spaces() {
    assert_eq!(
        AdminCommand::parse("job 7"),
        Ok(AdminCommand::Job(JobId(7)))
    );
    assert_eq!(
        AdminCommand::parse("  cancel   job-7\t"),
        Ok(AdminCommand::Cancel(JobId(7)))
    );
    assert_eq!(
        AdminCommand::parse("journal tail"),
        Ok(AdminCommand::JournalTail {
            lines: DEFAULT_TAIL
        })
    );
    assert_eq!(DEFAULT_TAIL, 20);
    assert_eq!(
        AdminCommand::parse("journal   tail").unwrap().to_string(),
        "journal tail 20"
    );
}

#[test]
fn parse_rejects_broken_commands_with_the_right_error() {
    for line in [
        "",
        "   ",
        "frobnicate",
        "dead",
        "journal",
        "job",
        "cancel",
        "dead requeue",
        "dead requeue-kind",
        "dead purge",
        "dead purge soon",
        "dead purge -5",
        "journal tail x",
        "stats now",
        "queue 1",
        "sweep all",
        "job 1 2",
        "dead list email sms",
        "dead kinds email",
        "journal tail 5 6",
    ] {
        match AdminCommand::parse(line) {
            Err(QueueError::BadCommand(_)) => {}
            other => panic!("`{line}` gave {other:?}"),
        }
    }
    for line in ["job abc", "cancel job-x", "dead requeue 1x"] {
        match AdminCommand::parse(line) {
            Err(QueueError::Malformed(_)) => {}
            other => panic!("`{line}` gave {other:?}"),
        }
    }
    for line in ["dead list bad/kind", "dead requeue-kind a$b"] {
        match AdminCommand::parse(line) {
            Err(QueueError::InvalidKind(_)) => {}
            other => panic!("`{line}` gave {other:?}"),
        }
    }
}

#[test]
fn extra_arguments_are_errors_on_the_socket_too() {
    let (broker, _) = broker();
    broker.register("email", echo);
    broker.submit(JobSpec::new("email")).unwrap();
    let resp = handle(&broker, "cancel 1 2");
    assert!(resp.ok, "{}", resp.body);
    assert_eq!(resp.body, "cancelled job-000001");
    assert_eq!(broker.status(JobId(1)), Some(JobState::Cancelled));
    assert!(handle(&broker, "dead list a b")
        .body
        .starts_with("error=bad_command "));
    assert!(handle(&broker, "dead list a/b")
        .body
        .starts_with("error=invalid_kind "));
}

#[test]
fn only_state_changing_commands_are_mutating() {
    let mutating: Vec<String> = every_command()
        .into_iter()
        .filter(|(command, _)| command.is_mutating())
        .map(|(_, line)| line.to_string())
        .collect();
    assert_eq!(
        mutating,
        vec![
            "cancel job-000007",
            "dead requeue job-000003",
            "dead requeue-kind billing.invoice",
            "dead purge 900000",
            "sweep",
        ]
    );
}

#[test]
fn execute_gives_the_same_response_as_handle() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    broker.register("email", echo);
    let dead = kill(&broker, &clock, "webhook");
    let done = broker.submit(JobSpec::new("email")).unwrap();
    broker.run_until_idle();
    broker.submit(JobSpec::new("email")).unwrap();
    for line in [
        "stats",
        "queue",
        "handlers",
        "dead list",
        "dead list webhook",
        "dead kinds",
        "journal tail 3",
    ] {
        let command = AdminCommand::parse(line).unwrap();
        assert_eq!(execute(&broker, &command), handle(&broker, line), "{line}");
    }
    assert_eq!(
        execute(&broker, &AdminCommand::Job(done)).body,
        format!("{done} state=succeeded attempts=1 output=ok%20email%20{done}")
    );
    let resp = execute(&broker, &AdminCommand::DeadRequeue(dead));
    assert_eq!(resp.body, format!("requeued {dead}"));
    assert_eq!(broker.status(dead), Some(JobState::Queued));
    let missing = execute(&broker, &AdminCommand::Job(JobId(999)));
    assert!(!missing.ok);
    assert_eq!(
        missing.body,
        "error=unknown_job message=unknown%20job%20job-000999"
    );
}

#[test]
fn sweep_command_reports_what_it_removed() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    broker.register("email", echo);
    kill(&broker, &clock, "webhook");
    broker.submit(JobSpec::new("email")).unwrap();
    broker.run_until_idle();
    assert_eq!(
        handle(&broker, "sweep").body,
        "results_removed=0 dead_letters_removed=0"
    );
    clock.advance(broker.config().result_ttl_ms + 1);
    let resp = execute(&broker, &AdminCommand::Sweep);
    assert!(resp.ok);
    assert_eq!(resp.body, "results_removed=2 dead_letters_removed=1");
    assert!(broker.dead_letters().is_empty());
    assert_eq!(
        SweepReport {
            results_removed: 4,
            dead_letters_removed: 2
        }
        .render(),
        "results_removed=4 dead_letters_removed=2"
    );
}

#[test]
fn dead_purge_and_the_janitor_share_the_horizon() {
    let (broker, clock) = broker();
    broker.register("webhook", always_down);
    kill(&broker, &clock, "webhook");
    clock.advance(1_000_000);
    kill(&broker, &clock, "webhook");
    assert_eq!(janitor::purge_dead_letters(&broker, u64::MAX), 0);
    assert_eq!(janitor::purge_dead_letters(&broker, 900_000), 1);
    assert_eq!(broker.dead_letters().len(), 1);
    // The letter left died 120 s before the broker's current time.
    assert_eq!(
        execute(&broker, &AdminCommand::DeadPurge { age_ms: 120_000 }).body,
        "purged 0"
    );
    assert_eq!(handle(&broker, "dead purge 119999").body, "purged 1");
    assert!(broker.dead_letters().is_empty());
}
