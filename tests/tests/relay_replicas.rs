//! Two relays over one outbox (two replicas of a service) never deliver the same event at the same
//! time: each locks its batch with `FOR UPDATE SKIP LOCKED`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::json;
use workout_domain::Topic;
use workout_http::registry_client::{ServiceCredentials, ServiceTokens};
use workout_store::audit::Actor;
use workout_store::outbox::{Event, Relay, RelayConfig};
use workout_store::{Chain, record};
use workout_tests::TestApp;

/// The test's own event.
#[derive(Debug, Clone, Copy)]
struct Replicated;

impl Topic for Replicated {
    fn name(self) -> &'static str {
        "test.replicated"
    }
}

type Seen = Arc<Mutex<HashMap<uuid::Uuid, usize>>>;

/// A subscriber that takes its time, so that the two relays' batches overlap.
async fn slow_subscriber(seen: Seen) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/events", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let seen = seen.clone();
        App::new().route(
            "/events",
            web::post().to(move |event: web::Json<Event>| {
                let seen = seen.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    *seen.lock().unwrap().entry(event.id).or_default() += 1;
                    HttpResponse::Accepted().finish()
                }
            }),
        )
    })
    .workers(2)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    url
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
                None,
                &json!({"n": n}),
            )
            .await
            .unwrap(),
        );
    }
    drop(conn);

    let seen: Seen = Arc::default();
    let url = slow_subscriber(seen.clone()).await;
    let secret =
        workout_registry::auth::set_service_client(&app.pool("registry"), "registry-replica")
            .await
            .unwrap();
    let relay = || {
        let client = reqwest::Client::new();
        let tokens = Arc::new(ServiceTokens::new(
            client.clone(),
            &app.url,
            ServiceCredentials {
                client_id: "registry-replica".to_owned(),
                client_secret: secret.clone(),
            },
        ));
        Relay::new(
            app.pool("registry"),
            client,
            tokens,
            RelayConfig {
                source: "registry".to_owned(),
                subscribers: vec![url.clone()],
                batch_size: 5,
                idle: Duration::from_millis(10),
            },
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

    let seen = seen.lock().unwrap().clone();
    for id in &ids {
        assert_eq!(seen.get(id), Some(&1), "event {id} delivered exactly once");
    }
    assert!(
        from_a > 0 && from_b > 0,
        "both replicas worked ({from_a} and {from_b})"
    );
}
