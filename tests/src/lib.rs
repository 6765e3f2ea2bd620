//! The end-to-end test harness: each test gets its own database, copied from a template migrated
//! once (see [`database`]; dropped afterwards; leftovers of crashed runs older than two hours are
//! swept), the whole platform running as a real HTTP server on
//! a random port, typed actors (a platform admin, bank users, an outsider) that call it over HTTP
//! with reqwest as any client would, a real SMTP listener for e-mail, and for tests of the store
//! kit itself: schemas with only the kit's tables, service tokens for relays, and [`EventSink`], a
//! real HTTP subscriber of outbox events that can be switched off.
//!
//! `TEST_DATABASE_SERVER` (default `postgres://localhost:5432`) names the PostgreSQL server.

#![expect(
    clippy::expect_used,
    reason = "test harness: a failed setup must stop the test at once"
)]

pub mod database;
pub mod endpoints;
pub mod smtp;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;
use workout_http::registry_client::{ServiceCredentials, ServiceTokens};
use workout_runtime::Settings;
use workout_store::migrate::ServiceMigrations;
use workout_store::outbox::{Event, EventBatch};

pub use database::fresh_database_url;

/// The password every test user gets.
pub const PASSWORD: &str = "a long test password 1";

/// A user signed in over HTTP.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh_token: String,
    /// User id.
    pub user_id: Uuid,
    /// Institution id.
    pub institution_id: Uuid,
    /// E-mail.
    pub email: String,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Raw body.
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// The `items` of a page (`Value::Null` if the body is not a page).
    pub fn items(&self) -> Value {
        self.json()["items"].clone()
    }

    /// The `Content-Type`.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json answer with `status` and `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "not problem+json: {} {}",
            self.content_type(),
            String::from_utf8_lossy(&self.bytes)
        );
        let body = self.json();
        assert_eq!(body["status"], status, "problem status field");
        assert_eq!(body["code"], code, "problem code; body: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "problem detail"
        );
    }
}

/// The platform under test.
pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The platform admin, signed in.
    pub admin: Actor,
    /// The running platform.
    pub platform: Option<workoutd::Platform>,
    /// This test's database URL.
    pub database_url: String,
}

impl TestApp {
    /// Starts the whole platform on a fresh database (a copy of the migrated template), with a
    /// platform admin signed in.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        let database_url = database::migrated_database_url()
            .await
            .expect("a test database from the template");
        let mut settings = Settings::local(&database_url);
        // The template holds every migration already; a test may still ask for the run at start.
        settings.migrate_on_start = false;
        adjust(&mut settings);
        let platform = workoutd::start(&settings, false)
            .await
            .expect("the platform starts");
        let url = platform.url();
        let admin_email = "admin@platform.test";
        let registry =
            workout_store::pool::connect(&database_url, "registry", 1).expect("a registry pool");
        workout_registry::identity::bootstrap::bootstrap_admin(
            &registry,
            admin_email,
            "Admin",
            PASSWORD.to_owned(),
        )
        .await
        .expect("the first admin is created");
        let client = reqwest::Client::new();
        let admin = sign_in(&client, &url, admin_email, PASSWORD).await;
        Self {
            url,
            client,
            admin,
            platform: Some(platform),
            database_url,
        }
    }

    /// A small pool of `service`'s schema, owned by the test (it outlives a stopped platform).
    pub fn pool(&self, service: &str) -> workout_store::Pool {
        workout_store::pool::connect(&self.database_url, service, 2).expect("a pool")
    }

    /// A schema of this test's database holding only the store kit's tables (no service works in
    /// it), migrated; returns a small pool on it. For tests of the kit itself.
    pub async fn kit_schema(&self, schema: &'static str) -> workout_store::Pool {
        workout_store::migrate::run(&self.database_url, ServiceMigrations { schema, own: None })
            .await
            .expect("the kit's migrations apply");
        self.pool(schema)
    }

    /// The registry's timed jobs, for a test that runs them itself as of instants it chooses. The
    /// hourly audit checkpoint job is taken out (its own test runs it), so that the jobs a run
    /// reports done are only the case's.
    pub async fn registry_jobs(&self) -> workout_store::scheduler::Scheduler {
        let pool = self.pool("registry");
        let mut conn = pool.get().await.expect("a registry connection");
        workout_store::scheduler::cancel(
            &mut conn,
            workout_registry::workouts::audit::CHECKPOINT_JOB,
            "all",
        )
        .await
        .expect("the checkpoint job is cancelled");
        workout_registry::register_jobs(workout_store::scheduler::Scheduler::new(
            pool.clone(),
            workout_store::scheduler::SchedulerConfig::new("registry"),
        ))
    }

    /// Service tokens of service client `name` (created, or its secret reset, in the registry), as
    /// a relay of that service uses them; share them between replicas of one service.
    pub async fn service_tokens(&self, name: &str) -> Arc<ServiceTokens> {
        let secret =
            workout_registry::identity::auth::set_service_client(&self.pool("registry"), name)
                .await
                .expect("a service client");
        Arc::new(ServiceTokens::new(
            reqwest::Client::new(),
            &self.url,
            ServiceCredentials {
                client_id: name.to_owned(),
                client_secret: secret,
            },
        ))
    }

    /// Sends a request; `token` is sent as a bearer token when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        self.call_with(method, path, token, body, &[]).await
    }

    /// Sends a request with extra headers.
    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        read(request.send().await.expect("the request is answered")).await
    }

    /// `GET path` as `actor`.
    pub async fn get(&self, path: &str, actor: &Actor) -> Answer {
        self.call(Method::GET, path, Some(&actor.token), None).await
    }

    /// `POST path` with a JSON body as `actor`.
    pub async fn post(&self, path: &str, actor: &Actor, body: &Value) -> Answer {
        self.call(Method::POST, path, Some(&actor.token), Some(body))
            .await
    }

    /// `PUT path` with a JSON body as `actor`.
    pub async fn put(&self, path: &str, actor: &Actor, body: &Value) -> Answer {
        self.call(Method::PUT, path, Some(&actor.token), Some(body))
            .await
    }

    /// `POST path` with a `text/csv` body as `actor`.
    pub async fn post_csv(&self, path: &str, actor: &Actor, csv: &str) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.url))
            .bearer_auth(&actor.token)
            .header("content-type", "text/csv")
            .body(csv.to_owned());
        read(request.send().await.expect("the request is answered")).await
    }

    /// A service token of service client `name` (created, or its secret reset, in the registry),
    /// obtained over HTTP as a service would.
    pub async fn service_token(&self, name: &str) -> String {
        let secret =
            workout_registry::identity::auth::set_service_client(&self.pool("registry"), name)
                .await
                .expect("a service client");
        let grant =
            json!({"grant_type": "client_credentials", "client_id": name, "client_secret": secret});
        let answer = self
            .call(Method::POST, "/registry/v1/auth/token", None, Some(&grant))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
        answer.json()["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// Registers an institution of `kind` as the platform admin; returns its id.
    pub async fn institution(&self, kind: &str, name: &str) -> Uuid {
        let answer = self
            .post(
                "/registry/v1/institutions",
                &self.admin,
                &json!({"kind": kind, "name": name, "country": "SA"}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
        id_of(&answer.json())
    }

    /// Creates a user with `role` in `institution` as the platform admin and signs them in.
    pub async fn user(&self, institution: Uuid, role: &str) -> Actor {
        let email = format!(
            "{}@{}.test",
            Uuid::new_v4().simple(),
            &institution.simple().to_string()[..8]
        );
        let answer = self
            .post(
                &format!("/registry/v1/institutions/{institution}/users"),
                &self.admin,
                &json!({"email": email, "display_name": "Test user", "role": role, "password": PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json());
        sign_in(&self.client, &self.url, &email, PASSWORD).await
    }

    /// A new bank with an institution admin, signed in.
    pub async fn bank_admin(&self, name: &str) -> Actor {
        let bank = self.institution("bank", name).await;
        self.user(bank, "institution_admin").await
    }

    /// An institution admin of a bank that takes part in nothing the test sets up.
    pub async fn outsider(&self) -> Actor {
        self.bank_admin("Outsider Bank").await
    }

    /// Signs in with a password.
    pub async fn sign_in(&self, email: &str, password: &str) -> Actor {
        sign_in(&self.client, &self.url, email, password).await
    }

    /// Stops the server gracefully; the database is dropped when the app is dropped.
    pub async fn stop(&mut self) {
        if let Some(platform) = self.platform.take() {
            platform
                .running
                .stop()
                .await
                .expect("the platform stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let url = self.database_url.clone();
        // The test's runtime may be the one dropping us: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                let _ = runtime.block_on(workout_store::pool::drop_database(&url));
            }
        })
        .join();
    }
}

/// Reads an answer whole.
pub async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("the body is read").to_vec();
    Answer {
        status,
        headers,
        bytes,
    }
}

/// The `id` field of a JSON object.
pub fn id_of(body: &Value) -> Uuid {
    body["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id field")
}

/// Signs in over HTTP.
pub async fn sign_in(client: &reqwest::Client, url: &str, email: &str, password: &str) -> Actor {
    let response = client
        .post(format!("{url}/registry/v1/auth/token"))
        .json(&json!({"grant_type": "password", "email": email, "password": password}))
        .send()
        .await
        .expect("the token endpoint answers");
    let answer = read(response).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "sign-in failed: {:?}",
        answer.json()
    );
    let tokens = answer.json();
    let token = tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned();
    let me = read(
        client
            .get(format!("{url}/registry/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me answers"),
    )
    .await
    .json();
    Actor {
        refresh_token: tokens["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned(),
        token,
        user_id: me["user"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("a user id"),
        institution_id: me["institution"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an institution id"),
        email: email.to_owned(),
    }
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Default)]
struct SinkState {
    down: AtomicBool,
    calls: AtomicUsize,
    refused: AtomicUsize,
    accepted: Mutex<Vec<Event>>,
}

impl SinkState {
    /// Answers a delivery of `events` after `delay`: keeps them, or refuses them while down.
    async fn take(&self, delay: Duration, events: Vec<Event>) -> HttpResponse {
        tokio::time::sleep(delay).await;
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return HttpResponse::ServiceUnavailable().finish();
        }
        self.accepted
            .lock()
            .expect("the sink's lock")
            .extend(events);
        HttpResponse::Accepted().finish()
    }
}

/// A subscriber of outbox events: a real HTTP server on a random port that accepts every event
/// posted to [`EventSink::url`] (one event) or to its `/batch` (several), after `delay`, and keeps
/// it, or answers 503 while switched off.
pub struct EventSink {
    /// Where to post events.
    pub url: String,
    state: Arc<SinkState>,
}

impl EventSink {
    /// Starts a sink that answers after `delay` (on the current Tokio runtime).
    pub fn start(delay: Duration) -> Self {
        let state = Arc::new(SinkState::default());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!(
            "http://{}/events",
            listener.local_addr().expect("an address")
        );
        let shared = state.clone();
        let server = HttpServer::new(move || {
            let one = shared.clone();
            let many = shared.clone();
            App::new()
                .route(
                    "/events",
                    web::post().to(move |event: web::Json<Event>| {
                        let state = one.clone();
                        async move { state.take(delay, vec![event.into_inner()]).await }
                    }),
                )
                .route(
                    "/events/batch",
                    web::post().to(move |batch: web::Json<EventBatch>| {
                        let state = many.clone();
                        async move { state.take(delay, batch.into_inner().events).await }
                    }),
                )
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .expect("the sink listens")
        .run();
        tokio::spawn(server);
        Self { url, state }
    }

    /// Switches the sink off (it answers 503) or on again.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Events accepted so far, in the order they arrived (a redelivered event appears again).
    pub fn accepted(&self) -> Vec<Event> {
        self.state.accepted.lock().expect("the sink's lock").clone()
    }

    /// How many copies of each event were accepted.
    pub fn copies(&self) -> BTreeMap<Uuid, usize> {
        let mut copies = BTreeMap::new();
        for event in self.accepted() {
            *copies.entry(event.id).or_default() += 1;
        }
        copies
    }

    /// How many deliveries (of one event or of a batch) it answered.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// How many deliveries it refused while switched off.
    pub fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }
}
