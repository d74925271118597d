//! Hidden tests for the event bus itself (task audit-event-bus).

use rsauth::audit::{actions, AuditLog};
use rsauth::events::{AuthEvent, EventBus, EventRecorder, EventSink, LoginFailure};
use rsauth::sync::{thread, Arc, Mutex};
use rsauth::Role;

/// Appends its label to a shared journal, to observe delivery order across sinks.
struct Labelled {
    label: &'static str,
    journal: Arc<Mutex<Vec<String>>>,
}

impl EventSink for Labelled {
    fn on_event(&self, at: u64, event: &AuthEvent) {
        self.journal
            .lock()
            .unwrap()
            .push(format!("{}@{at}:{}", self.label, event.action()));
    }
}

fn logout(user: &str, sid: &str) -> AuthEvent {
    AuthEvent::LoggedOut {
        username: user.to_string(),
        session_id: sid.to_string(),
    }
}

fn every_variant() -> Vec<AuthEvent> {
    vec![
        AuthEvent::LoginSucceeded {
            username: "alice".into(),
            session_id: "sess_1".into(),
        },
        AuthEvent::LoginFailed {
            username: "alice".into(),
            reason: LoginFailure::BadPassword,
        },
        AuthEvent::LoginThrottled {
            username: "alice".into(),
            retry_after: 42,
        },
        logout("alice", "sess_1"),
        AuthEvent::PasswordChanged {
            username: "alice".into(),
            sessions_revoked: 3,
        },
        AuthEvent::TokenIssued {
            owner: "bob".into(),
            token_id: "tk_1".into(),
        },
        AuthEvent::TokenRevoked {
            owner: "bob".into(),
            token_id: "tk_1".into(),
        },
        AuthEvent::UserCreated {
            actor: "root".into(),
            username: "carol".into(),
            role: Role::Editor,
        },
        AuthEvent::UserDisabled {
            actor: "root".into(),
            username: "dave".into(),
            sessions_revoked: 2,
            tokens_revoked: 1,
        },
        AuthEvent::RoleChanged {
            actor: "root".into(),
            username: "erin".into(),
            role: Role::Admin,
        },
        AuthEvent::AccessDenied {
            actor: "frank".into(),
            resource: "/admin/users".into(),
        },
    ]
}

#[test]
fn publish_reaches_every_subscriber_in_subscription_order() {
    let bus = EventBus::new();
    let journal = Arc::new(Mutex::new(Vec::new()));
    for label in ["first", "second", "third"] {
        bus.subscribe(Arc::new(Labelled {
            label,
            journal: Arc::clone(&journal),
        }));
    }
    assert_eq!(bus.subscriber_count(), 3);
    assert_eq!(bus.publish(7, &logout("alice", "sess_a")), 3);
    assert_eq!(bus.publish(9, &logout("bob", "sess_b")), 3);
    assert_eq!(
        *journal.lock().unwrap(),
        vec![
            "first@7:logout",
            "second@7:logout",
            "third@7:logout",
            "first@9:logout",
            "second@9:logout",
            "third@9:logout",
        ]
    );
}

#[test]
fn publishing_without_subscribers_is_a_no_op() {
    let bus = EventBus::new();
    assert_eq!(bus.subscriber_count(), 0);
    assert_eq!(bus.publish(1, &logout("alice", "sess_a")), 0);
}

#[test]
fn unsubscribe_stops_delivery_to_that_sink_only() {
    let bus = EventBus::new();
    let kept = Arc::new(EventRecorder::new());
    let dropped = Arc::new(EventRecorder::new());
    let kept_id = bus.subscribe(kept.clone());
    let dropped_id = bus.subscribe(dropped.clone());
    assert_ne!(kept_id, dropped_id);
    bus.publish(1, &logout("alice", "sess_a"));
    assert!(bus.unsubscribe(dropped_id));
    assert!(bus.unsubscribe(dropped_id), "second unsubscribe must report true");
    assert_eq!(bus.subscriber_count(), 1);
    assert_eq!(bus.publish(2, &logout("bob", "sess_b")), 1);
    assert_eq!(kept.len(), 2);
    assert_eq!(dropped.events(), vec![(1, logout("alice", "sess_a"))]);
}

#[test]
fn recorder_keeps_events_oldest_first() {
    let recorder = EventRecorder::new();
    assert!(recorder.is_empty());
    for (i, event) in every_variant().into_iter().enumerate() {
        recorder.on_event(100 + i as u64, &event);
    }
    let events = recorder.events();
    assert_eq!(events.len(), every_variant().len());
    assert_eq!(events[0].0, 100);
    assert_eq!(events.last().unwrap().0, 100 + every_variant().len() as u64 - 1);
    let kinds: Vec<AuthEvent> = events.into_iter().map(|(_, e)| e).collect();
    assert_eq!(kinds, every_variant());
}

#[test]
fn actions_match_the_audit_vocabulary() {
    let got: Vec<&str> = every_variant().iter().map(|e| e.action()).collect();
    assert_eq!(
        got,
        vec![
            actions::LOGIN_OK,
            actions::LOGIN_FAILED,
            actions::LOGIN_THROTTLED,
            actions::LOGOUT,
            actions::PASSWORD_CHANGED,
            actions::TOKEN_ISSUED,
            actions::TOKEN_REVOKED,
            actions::USER_CREATED,
            actions::USER_DISABLED,
            actions::ROLE_CHANGED,
            actions::ACCESS_DENIED,
        ]
    );
}

#[test]
fn actors_and_details_keep_the_audit_formats() {
    let got: Vec<(String, String)> = every_variant()
        .iter()
        .map(|e| (e.actor().to_string(), e.detail()))
        .collect();
    let want: Vec<(&str, &str)> = vec![
        ("alice", "sess_1"),
        ("alice", "bad password"),
        ("alice", "too many attempts"),
        ("alice", "sess_1"),
        ("alice", "other sessions revoked: 3"),
        ("bob", "tk_1"),
        ("bob", "tk_1"),
        ("root", "carol as editor"),
        ("root", "dave (sessions: 2, tokens: 1)"),
        ("root", "erin -> admin"),
        ("frank", "/admin/users"),
    ];
    let want: Vec<(String, String)> = want
        .into_iter()
        .map(|(a, d)| (a.to_string(), d.to_string()))
        .collect();
    assert_eq!(got, want);
    let reasons: Vec<String> = [
        LoginFailure::UnknownUser,
        LoginFailure::BadPassword,
        LoginFailure::AccountDisabled,
        LoginFailure::BadCurrentPassword,
    ]
    .into_iter()
    .map(|reason| {
        AuthEvent::LoginFailed {
            username: "x".into(),
            reason,
        }
        .detail()
    })
    .collect();
    assert_eq!(
        reasons,
        vec!["unknown user", "bad password", "account disabled", "bad current password"]
    );
}

#[test]
fn audit_log_subscriber_writes_one_entry_per_event() {
    let bus = EventBus::new();
    let log = Arc::new(AuditLog::new(100));
    bus.subscribe(log.clone());
    for (i, event) in every_variant().iter().enumerate() {
        bus.publish(1_000 + i as u64, event);
    }
    let entries = log.entries();
    assert_eq!(entries.len(), every_variant().len());
    for (i, (entry, event)) in entries.iter().zip(every_variant()).enumerate() {
        assert_eq!(entry.at, 1_000 + i as u64);
        assert_eq!(entry.actor, event.actor());
        assert_eq!(entry.action, event.action());
        assert_eq!(entry.detail, event.detail());
    }
    let disabled = &entries[8];
    assert_eq!(disabled.action, "user.disabled");
    assert_eq!(disabled.detail, "dave (sessions: 2, tokens: 1)");
}

fn assert_send_sync<T: Send + Sync + ?Sized>() {}

#[test]
fn bus_and_recorder_are_send_and_sync() {
    assert_send_sync::<EventBus>();
    assert_send_sync::<EventRecorder>();
    assert_send_sync::<dyn EventSink>();
    let _default: EventBus = EventBus::default();
}

#[test]
fn bus_is_shared_between_threads() {
    let bus = Arc::new(EventBus::new());
    let recorder = Arc::new(EventRecorder::new());
    bus.subscribe(recorder.clone());
    let handles: Vec<_> = (0..4u64)
        .map(|i| {
            let bus = Arc::clone(&bus);
            thread::spawn(move || bus.publish(i, &logout("worker", &format!("sess_{i}"))))
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), 1);
    }
    let mut seen: Vec<u64> = recorder.events().into_iter().map(|(at, _)| at).collect();
    seen.sort_unstable();
    assert_eq!(seen, vec![0, 1, 2, 3]);
}
