//! Two relays over one outbox (two replicas of a service) never deliver the same event to a
//! subscriber at the same time: each claims its deliveries under a lease with
//! `FOR UPDATE SKIP LOCKED`.

use std::time::Duration;

use serde_json::json;
use workout_domain::{Disclosure, Topic};
use workout_store::audit::Actor;
use workout_store::outbox::{Relay, RelayConfig, Subscriber};
use workout_store::{Chain, record};
use workout_tests::{EventSink, TestApp};

/// The test's own event.
#[derive(Debug, Clone, Copy)]
struct Replicated;

impl Topic for Replicated {
    fn name(self) -> &'static str {
        "test.replicated"
    }
}

#[tokio::test]
async fn two_relays_on_one_outbox_deliver_each_event_once() {
    let app = TestApp::spawn_with(|s| s.outbox_poll = Duration::from_secs(3600)).await;
    let pool = app.pool("registry");
    let mut conn = pool.get().await.unwrap();
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(
            record(
                &mut conn,
                Chain::Platform,
                &Actor::service("test"),
                Replicated,
                Disclosure::Participants,
                None,
                &json!({"n": n}),
            )
            .await
            .unwrap(),
        );
    }
    drop(conn);

    // A subscriber that takes its time, so that the two relays' batches overlap.
    let sink = EventSink::start(Duration::from_millis(20));
    let tokens = app.service_tokens("registry-replica").await;
    let relay = || {
        let mut config = RelayConfig::new("registry", vec![Subscriber::all(&sink.url)]);
        config.batch_size = 5;
        config.idle = Duration::from_millis(10);
        Relay::new(
            app.pool("registry"),
            reqwest::Client::new(),
            tokens.clone(),
            config,
        )
    };
    let (a, b) = (relay(), relay());
    let drain = |relay: Relay| async move {
        let mut delivered = 0;
        loop {
            match relay.deliver_batch().await.unwrap() {
                0 => return delivered,
                n => delivered += n,
            }
        }
    };
    let (from_a, from_b) = tokio::join!(drain(a), drain(b));

    let copies = sink.copies();
    for id in &ids {
        assert_eq!(
            copies.get(id),
            Some(&1),
            "event {id} delivered exactly once"
        );
    }
    assert!(
        from_a > 0 && from_b > 0,
        "both replicas worked ({from_a} and {from_b})"
    );
}
