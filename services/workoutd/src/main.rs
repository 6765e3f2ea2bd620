//! `workoutd`: the whole platform in one process.
//!
//! ```text
//! workoutd [serve]                      run every service (migrating first, unless MIGRATE_ON_START=false)
//! workoutd migrate                      create the database if missing and apply all migrations
//! workoutd create-admin EMAIL [NAME]    create a platform admin (password from WORKOUT_ADMIN_PASSWORD,
//!                                       or a generated one, printed once)
//! workoutd audit-verify FILE [--keys FILE|URL] [--since FILE]
//!                                       verify an exported audit chain (JSON lines) offline
//! workoutd verify-certificate FILE      recompute a ballot's result certificate (JSON) offline
//! ```

use anyhow::Context as _;
use workout_runtime::Settings;

const USAGE: &str = "usage: workoutd [serve | migrate | create-admin EMAIL [NAME] | audit-verify FILE [--keys FILE|URL] [--since FILE] | verify-certificate FILE | --help]";

const HELP: &str = "workoutd: the workout platform, all five services in one process.

usage: workoutd [COMMAND]

commands:
  serve                    run every service (the default; migrates first unless MIGRATE_ON_START=false)
  migrate                  create the database if missing and apply every migration
  create-admin EMAIL [NAME]
                           create a platform admin; the password is WORKOUT_ADMIN_PASSWORD,
                           or a generated one printed once
  audit-verify FILE [--keys FILE|URL] [--since FILE]
                           verify an exported audit chain (JSON lines): every link, that it
                           reaches its head and, with --keys (the registry's document keys,
                           /registry/v1/.well-known/document-keys.json, as a file or URL), the
                           signatures of the head and of every checkpoint; with --since (an
                           earlier export or its head line), that the chain still contains that
                           head, so no entry up to it was removed since
  verify-certificate FILE  recompute a ballot's result certificate (the JSON of
                           GET /voting/v1/workouts/{id}/ballots/{id}/certificate) from itself alone:
                           the tally under its rule, voters and votes, and its SHA-256
  --help                   this text

Configuration comes from environment variables (DATABASE_URL, BIND_ADDR, ...); see the README.";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("serve");
    match command {
        "-h" | "--help" | "help" => {
            println!("{HELP}");
            return Ok(());
        }
        "audit-verify" => return audit_verify(&args[1..]).await,
        "verify-certificate" => return verify_certificate(args.get(1).context(USAGE)?),
        _ => {}
    }
    let settings = Settings::from_env(8080, true)?;
    workout_http::ops::init_tracing(settings.log_json);
    match command {
        "serve" => workoutd::start(&settings, true).await?.running.wait().await,
        "migrate" => workoutd::migrate_all(&settings.database_url).await,
        "create-admin" => create_admin(&settings, &args[1..]).await,
        other => anyhow::bail!("unknown command {other:?}\n{USAGE}"),
    }
}

async fn create_admin(settings: &Settings, args: &[String]) -> anyhow::Result<()> {
    let email = args
        .first()
        .context("create-admin needs the admin's e-mail: workoutd create-admin EMAIL [NAME]")?;
    let name = args.get(1).map_or("Platform admin", String::as_str);
    workoutd::migrate_all(&settings.database_url).await?;
    let (password, generated) = match settings.admin_password.clone() {
        Some(password) => (password, false),
        None => (
            workout_registry::identity::auth::random_secret()
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            true,
        ),
    };
    let pool = workout_store::pool::connect(&settings.database_url, "registry", 1)?;
    let user = workout_registry::identity::bootstrap::bootstrap_admin(
        &pool,
        email,
        name,
        password.clone(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot create the admin: {}", e.for_command_line()))?;
    println!(
        "platform admin {} created (user {}, institution {})",
        user.email, user.id, user.institution_id
    );
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

fn verify_certificate(path: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let certificate: workout_domain::voting::Certificate =
        serde_json::from_str(&text).with_context(|| format!("{path} is not a certificate"))?;
    let check = workout_voting::certificates::check(&certificate);
    if check.holds {
        println!(
            "ok: the certificate holds: ballot {} {} under its rule, hash {}",
            certificate.ballot_id,
            if certificate.outcome.passed {
                "passed"
            } else {
                "failed"
            },
            certificate.hash
        );
        return Ok(());
    }
    let mut reasons: Vec<String> = check
        .discrepancies
        .iter()
        .map(ToString::to_string)
        .collect();
    reasons.extend(check.untallied);
    anyhow::bail!("the certificate does not hold: {}", reasons.join("; "))
}

async fn audit_verify(args: &[String]) -> anyhow::Result<()> {
    use workout_store::audit::{ChainHead, ExportLine, Trust, verify};
    let (mut file, mut keys_from, mut since_from) = (None, None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--keys" => keys_from = Some(rest.next().context(USAGE)?),
            "--since" => since_from = Some(rest.next().context(USAGE)?),
            _ if file.is_none() && !arg.starts_with("--") => file = Some(arg),
            other => anyhow::bail!("unexpected argument {other:?}\n{USAGE}"),
        }
    }
    let path = file.context(USAGE)?;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    let keys: Option<jsonwebtoken::jwk::JwkSet> = match keys_from {
        Some(from) if from.starts_with("http://") || from.starts_with("https://") => Some(
            reqwest::get(from.as_str())
                .await
                .and_then(reqwest::Response::error_for_status)
                .with_context(|| format!("fetching the keys from {from}"))?
                .json()
                .await
                .with_context(|| format!("reading the keys from {from}"))?,
        ),
        Some(from) => Some(
            serde_json::from_str(
                &std::fs::read_to_string(from).with_context(|| format!("reading {from}"))?,
            )
            .with_context(|| format!("{from} is not a JWKS"))?,
        ),
        None => None,
    };
    // The head saved earlier: its own file, or the head line of an earlier export.
    let since: Option<ChainHead> = match since_from {
        Some(from) => {
            let saved = std::fs::read_to_string(from).with_context(|| format!("reading {from}"))?;
            let head = saved.lines().rev().find_map(|line| {
                match serde_json::from_str::<ExportLine>(line) {
                    Ok(ExportLine::Head(head)) => Some(head),
                    _ => serde_json::from_str::<ChainHead>(line).ok(),
                }
            });
            Some(head.with_context(|| format!("{from} holds no chain head"))?)
        }
        None => None,
    };
    let trust = Trust {
        keys: keys.as_ref(),
        since: since.as_ref(),
    };
    let verified =
        verify(&text, trust).map_err(|broken| anyhow::anyhow!("broken chain: {broken}"))?;
    println!(
        "ok: {} entries, head {} {}",
        verified.entries, verified.head.seq, verified.head.hash
    );
    match &verified.head_signed_by {
        Some(kid) => println!(
            "signed: the head by key {kid}, and {} checkpoints in the chain",
            verified.checkpoints
        ),
        None => println!(
            "not authenticated: give --keys to check the head's signature (without it, a cut tail with a rewritten head cannot be told from a complete chain)"
        ),
    }
    if let Some(since) = &since {
        println!("contains the earlier head {} {}", since.seq, since.hash);
    }
    if verified.withheld > 0 {
        println!(
            "withheld: the details of {} entries are not in this export; their hashes are verified",
            verified.withheld
        );
    }
    if verified.unchecked > 0 {
        println!(
            "unchecked: {} entries written before details were stored apart are withheld; only their place in the chain is verified",
            verified.unchecked
        );
    }
    Ok(())
}
