//! The notifications fan-out of one event to 500 recipients into a local SMTP listener, next to a
//! bare `lettre` loop sending 500 equivalent messages to the same listener in the same run; and
//! the API's latency while the fan-out runs, next to the same API idle. It prints its figures and
//! asserts none but that every message arrived once (a timing is reported, never asserted), and
//! `cargo test` does not build it (a bench target without `test = true`).
//!
//! `cargo bench -p workout-tests --bench notifications_fanout` (the bench profile: an optimized
//! build).
//!
//! It drives the platform only through HTTP and SMTP, as a client and a mail server would (the
//! notifications service's insides may change under it):
//! 1. Starts the whole platform in this process on a fresh database (the test harness, with a
//!    deployment's polls: the relays every 500 ms, the schedulers and the e-mail sender every
//!    second when idle) sending e-mail to the harness's SMTP listener ([`SmtpSink`]), and seeds a
//!    workout whose coordinator and 9 creditor banks have 50 notice contacts each: 500 addresses
//!    told of a `voting.ballot_opened` (the creditors and the coordinator). It waits until the
//!    notifications service has received the registry's events of the last participant (its
//!    `GET /notifications/v1/events` counts), so that the fan-out finds every participant, and
//!    until the messages of the seeding's own events (told to the coordinator's contacts) are out.
//! 2. Idle: one client reads `GET /registry/v1/workouts/{id}` as the coordinator every 10 ms for
//!    `FANOUT_IDLE_SECONDS` (default 5): p50 and p99.
//! 3. The fan-out: one `voting.ballot_opened` event posted to `POST /notifications/v1/events` with
//!    the voting service's token, timed until the listener holds all 500 messages (each address
//!    once), while the same client keeps reading the workout every 10 ms: messages per second
//!    from the post to the last message (end to end: intake, fan-out and the sender's first poll
//!    included) and from the first message to the last (the sending alone); the API's p50 and p99
//!    meanwhile.
//! 4. The bare loop: one `AsyncSmtpTransport` (lettre's pool, as the platform's mailer builds it)
//!    sends 500 messages of the same shape (the same sender, subject and multipart plain/HTML
//!    body, a `Message-ID` each) one after the other to the same listener: messages per second.
//! 5. The ratios, next to the targets: fan-out / bare at least 0.8, and the API's p99 during the
//!    fan-out at most 1.2 × idle.
//!
//! Settings (environment): `FANOUT_IDLE_SECONDS` (default 5), `WORKERS` (the HTTP worker threads,
//! as for `workoutd`; default one per core).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use workout_tests::smtp::{Received, SmtpSink};
use workout_tests::{Actor, TestApp, id_of};

/// Creditor banks besides the coordinator.
const BANKS: usize = 9;
/// Notice contacts of each of them and of the coordinator.
const CONTACTS: usize = 50;
/// Addresses told: `(BANKS + 1) * CONTACTS`.
const RECIPIENTS: usize = (BANKS + 1) * CONTACTS;
/// The API sampler's pace.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);
/// How long the messages may take before the run gives up.
const LIMIT: Duration = Duration::from_secs(300);
/// The targets, printed next to the figures.
const TARGET_RATIO: f64 = 0.8;
const TARGET_P99_RATIO: f64 = 1.2;
/// The platform's sender, as its messages show it.
const FROM: &str = "Workout platform <notices@workout-platform.invalid>";

/// Latencies of the API sampler.
struct Sampled {
    latencies_us: Vec<u64>,
    errors: usize,
    first_error: Option<String>,
}

impl Sampled {
    fn p(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let idle_for = env_seconds("FANOUT_IDLE_SECONDS", 5)?;
    let workers: Option<usize> = match std::env::var("WORKERS") {
        Ok(text) => Some(
            text.trim()
                .parse()
                .context("WORKERS must be a number of threads")?,
        ),
        Err(_) => None,
    };
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let sink = SmtpSink::start().await;
    let smtp_url = format!("smtp://127.0.0.1:{}", sink.port);
    let mut app = TestApp::spawn_with(|settings| {
        // A deployment's polls (`Settings::local` polls every 100 ms so that tests run fast).
        settings.outbox_poll = Duration::from_millis(500);
        settings.scheduler_poll = Duration::from_millis(1000);
        settings.workers = workers;
        settings.mail.smtp_url = Some(smtp_url.clone());
    })
    .await;

    println!(
        "notifications_fanout: seeding a coordinator and {BANKS} creditor banks, {CONTACTS} notice contacts each"
    );
    let (workout, coordinator) = seed(&app).await?;
    settle(&sink).await?;
    let reader = format!("{}/registry/v1/workouts/{workout}", app.url);

    println!(
        "notifications_fanout: API idle, GET /registry/v1/workouts/{{id}} every {} ms for {}s",
        SAMPLE_EVERY.as_millis(),
        idle_for.as_secs()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let idle_sampler = tokio::spawn(sample(
        reader.clone(),
        coordinator.token.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(idle_for).await;
    stop.store(true, Ordering::Relaxed);
    let idle = idle_sampler.await.context("the idle sampler")??;

    println!("notifications_fanout: one voting.ballot_opened to {RECIPIENTS} addresses");
    let token = app.service_token("voting").await;
    let event_id = Uuid::now_v7();
    let event = json!({
        "id": event_id, "topic": "voting.ballot_opened", "source": "voting",
        "workout_id": workout, "occurred_at": chrono::Utc::now(), "payload": {"id": Uuid::now_v7()}
    });
    let stop = Arc::new(AtomicBool::new(false));
    let busy_sampler = tokio::spawn(sample(
        reader.clone(),
        coordinator.token.clone(),
        stop.clone(),
    ));
    let posted = Instant::now();
    let answer = app
        .call(
            Method::POST,
            "/notifications/v1/events",
            Some(&token),
            Some(&event),
        )
        .await;
    ensure!(answer.status == 202, "posting the event: {}", answer.json());
    let accepted = posted.elapsed();
    let (first, last) = arrivals(&sink, posted, RECIPIENTS).await?;
    stop.store(true, Ordering::Relaxed);
    let busy = busy_sampler.await.context("the busy sampler")??;
    let prefix = format!("<{event_id}.");
    let messages: Vec<Received> = sink
        .messages()
        .into_iter()
        .filter(|m| header(&m.data, "Message-ID").is_some_and(|id| id.starts_with(&prefix)))
        .collect();
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for message in &messages {
        for to in &message.to {
            *per_address.entry(to.clone()).or_default() += 1;
        }
    }
    ensure!(
        per_address.len() == RECIPIENTS && per_address.values().all(|n| *n == 1),
        "each address once: {} addresses, {} messages",
        per_address.len(),
        messages.len()
    );
    let template = messages.first().context("a message")?;
    let subject = header(&template.data, "Subject").unwrap_or_default();
    let fan_out_rate = RECIPIENTS as f64 / last.as_secs_f64();
    let sending_rate = (RECIPIENTS - 1) as f64 / (last - first).as_secs_f64();

    println!(
        "notifications_fanout: a bare lettre loop, {RECIPIENTS} messages, one pooled transport"
    );
    let addresses: Vec<String> = per_address.keys().cloned().collect();
    let bare = bare_loop(&sink, &addresses, workout).await?;
    let bare_rate = RECIPIENTS as f64 / bare.as_secs_f64();
    app.stop().await;

    println!();
    println!(
        "notifications_fanout: {RECIPIENTS} recipients ({} contacts x {} participants), {cores} cores",
        CONTACTS,
        BANKS + 1
    );
    println!("  the platform's subject: {subject:?}");
    println!(
        "  fan-out     {:>8.1} msg/s end to end ({RECIPIENTS} in {:.3} s; intake answered in {:.1} ms, first message after {:.3} s)",
        fan_out_rate,
        last.as_secs_f64(),
        accepted.as_secs_f64() * 1000.0,
        first.as_secs_f64()
    );
    println!(
        "              {:>8.1} msg/s first to last message ({:.3} s)",
        sending_rate,
        (last - first).as_secs_f64()
    );
    println!(
        "  bare lettre {:>8.1} msg/s ({RECIPIENTS} in {:.3} s)",
        bare_rate,
        bare.as_secs_f64()
    );
    let ratio = fan_out_rate / bare_rate;
    println!(
        "  fan-out / bare = {ratio:.2} end to end, {:.2} first to last (target at least {TARGET_RATIO}: {})",
        sending_rate / bare_rate,
        verdict(ratio >= TARGET_RATIO)
    );
    for (name, run) in [("idle", &idle), ("fan-out", &busy)] {
        println!(
            "  API {name:<8} p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} errors{})",
            run.p(50.0),
            run.p(99.0),
            run.latencies_us.len(),
            run.errors,
            run.first_error
                .as_ref()
                .map(|e| format!("; first: {e}"))
                .unwrap_or_default()
        );
    }
    let p99_ratio = busy.p(99.0) / idle.p(99.0);
    println!(
        "  API p99 fan-out / idle = {p99_ratio:.2} (target at most {TARGET_P99_RATIO}: {})",
        verdict(p99_ratio <= TARGET_P99_RATIO)
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// A whole number of seconds from the environment variable `name`, or `default`.
fn env_seconds(name: &str, default: u64) -> anyhow::Result<Duration> {
    match std::env::var(name) {
        Ok(text) => {
            let seconds: u64 = text
                .trim()
                .parse()
                .with_context(|| format!("{name} must be a whole number of seconds"))?;
            ensure!(seconds > 0, "{name} must be at least 1");
            Ok(Duration::from_secs(seconds))
        }
        Err(_) => Ok(Duration::from_secs(default)),
    }
}

/// `CONTACTS` notice contacts at `domain`, in English and Arabic alternately.
fn contacts(domain: &str) -> Value {
    (0..CONTACTS)
        .map(|n| {
            json!({"name": format!("Desk {n}"), "email": format!("desk{n}@{domain}"),
                   "language": if n % 2 == 0 { "en" } else { "ar" }})
        })
        .collect()
}

/// A workout whose coordinator and [`BANKS`] creditor banks have [`CONTACTS`] notice contacts
/// each, once the notifications service has heard of every participant; and its coordinator.
async fn seed(app: &TestApp) -> anyhow::Result<(Uuid, Actor)> {
    let coordinator = app.bank_admin("Coordinator Bank").await;
    let borrower = app.institution("borrower", "Distressed Co").await;
    let opened = app
        .open_workout(
            &coordinator,
            &json!({"reference": "WO-FANOUT", "borrower_id": borrower, "base_currency": "SAR",
                    "governing_law": "Kingdom of Saudi Arabia", "opened_on": "2026-11-02",
                    "contacts": contacts("coordinator.test"),
                    "borrower_contacts": [{"name": "CFO", "email": "cfo@borrower.test", "language": "en"}]}),
        )
        .await;
    ensure!(
        opened.status == 201,
        "opening the workout: {}",
        opened.json()
    );
    let workout = id_of(&opened.json());
    for n in 0..BANKS {
        let bank = app.bank_admin(&format!("Creditor Bank {n}")).await;
        let added = app
            .add_participant(
                &coordinator,
                workout,
                &json!({"institution_id": bank.institution_id, "role": "creditor",
                        "contacts": contacts(&format!("creditor{n}.test"))}),
            )
            .await;
        ensure!(added.status == 201, "adding bank {n}: {}", added.json());
    }
    // The notifications service forgets a workout's cached participants when the registry's event
    // of a new participant reaches it: wait for the last one (the admin's counts per topic).
    let heard = Instant::now();
    loop {
        let events = app
            .get("/notifications/v1/events?limit=1", &app.admin)
            .await;
        ensure!(
            events.status == 200,
            "the received events: {}",
            events.json()
        );
        let added: i64 = events.json()["received"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["topic"] == "registry.participant_added")
            .filter_map(|row| row["count"].as_i64())
            .sum();
        if added >= i64::try_from(BANKS)? {
            break;
        }
        ensure!(
            heard.elapsed() < LIMIT,
            "the notifications service heard of {added} of {BANKS} participants"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((workout, coordinator))
}

/// Waits until the listener's count has not moved for three seconds: the registry's own events
/// of the seeding are told too (the workout's opening, each participant's arrival to the
/// coordinator's 50 contacts), and their messages must be out before the fan-out is timed.
async fn settle(sink: &SmtpSink) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut last = sink.count();
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let now = sink.count();
        if now == last {
            println!(
                "notifications_fanout: the seeding's {now} messages are out after {:.1} s",
                started.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        ensure!(
            started.elapsed() < LIMIT,
            "the seeding's messages keep coming"
        );
        last = now;
    }
}

/// One client reading `url` with `token` every [`SAMPLE_EVERY`] (the next at once when one is
/// late) until `stop`.
async fn sample(url: String, token: String, stop: Arc<AtomicBool>) -> anyhow::Result<Sampled> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .context("an HTTP client")?;
    let mut run = Sampled {
        latencies_us: Vec::new(),
        errors: 0,
        first_error: None,
    };
    let mut ticks = tokio::time::interval(SAMPLE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::Relaxed) {
        ticks.tick().await;
        let sent = Instant::now();
        let outcome = match client.get(&url).bearer_auth(&token).send().await {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(_) if status == 200 => Ok(()),
                    Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                    Err(error) => Err(format!("{status}, reading the body: {error}")),
                }
            }
            Err(error) => Err(error.to_string()),
        };
        match outcome {
            Ok(()) => run
                .latencies_us
                .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX)),
            Err(error) => {
                run.errors += 1;
                run.first_error.get_or_insert(error);
            }
        }
    }
    run.latencies_us.sort_unstable();
    Ok(run)
}

/// When the first and the `expected`-th message arrived at `sink`, after `since`.
async fn arrivals(
    sink: &SmtpSink,
    since: Instant,
    expected: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let before = sink.count();
    let mut first = None;
    loop {
        let count = sink.count() - before;
        if count > 0 && first.is_none() {
            first = Some(since.elapsed());
        }
        if count >= expected {
            let last = since.elapsed();
            return Ok((first.unwrap_or(last), last));
        }
        ensure!(
            since.elapsed() < LIMIT,
            "{count} of {expected} messages arrived in {}s",
            LIMIT.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// The value of header `name` in a received message's `data`.
fn header(data: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}: ");
    data.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
}

/// 500 messages of the platform's shape (sender, subject, multipart plain/HTML, a `Message-ID`
/// each) sent one after the other through one pooled lettre transport to `sink`; how long they
/// took, once the listener holds them all.
async fn bare_loop(
    sink: &SmtpSink,
    addresses: &[String],
    workout: Uuid,
) -> anyhow::Result<Duration> {
    let from: Mailbox = FROM.parse()?;
    let before = sink.count();
    let transport =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&format!("smtp://127.0.0.1:{}", sink.port))?
            .build();
    let event = Uuid::now_v7();
    let started = Instant::now();
    for (n, address) in addresses.iter().enumerate() {
        let name = format!("Desk {n}");
        let text = format!(
            "Dear {name},\n\nThere is news in workout {workout}: ballot opened (voting.ballot_opened).\n\
             Please sign in to the platform to read the details.\n"
        );
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"en\" dir=\"ltr\"><body>\
             <p>Dear {name},</p><p>There is news in workout {workout}: ballot opened (voting.ballot_opened).</p>\
             <p>Please sign in to the platform to read the details.</p></body></html>\n"
        );
        let message = Message::builder()
            .from(from.clone())
            .to(Mailbox::new(Some(name), address.parse()?))
            .subject("Workout platform: ballot opened")
            .message_id(Some(format!("<{event}.{n}@workout-platform>")))
            .multipart(MultiPart::alternative_plain_html(text, html))?;
        transport.send(message).await?;
    }
    let took = started.elapsed();
    ensure!(
        sink.count() - before == addresses.len(),
        "the bare loop's messages all arrived"
    );
    Ok(took)
}

/// The `p`-th percentile (nearest rank) of `sorted` microseconds, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}
