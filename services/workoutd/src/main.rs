//! `workoutd`: the whole platform in one process.
//!
//! ```text
//! workoutd [serve]                      run every service (migrating first, unless MIGRATE_ON_START=false)
//! workoutd migrate                      create the database if missing and apply all migrations
//! workoutd create-admin EMAIL [NAME]    create a platform admin (password from WORKOUT_ADMIN_PASSWORD,
//!                                       or a generated one, printed once)
//! workoutd audit-verify FILE            verify an exported audit chain (JSON lines) offline
//! ```

use anyhow::Context as _;
use workout_runtime::Settings;

const USAGE: &str =
    "usage: workoutd [serve | migrate | create-admin EMAIL [NAME] | audit-verify FILE | --help]";

const HELP: &str = "workoutd: the workout platform, all five services in one process.

usage: workoutd [COMMAND]

commands:
  serve                    run every service (the default; migrates first unless MIGRATE_ON_START=false)
  migrate                  create the database if missing and apply every migration
  create-admin EMAIL [NAME]
                           create a platform admin; the password is WORKOUT_ADMIN_PASSWORD,
                           or a generated one printed once
  audit-verify FILE        verify an exported audit chain (JSON lines) offline
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
        "audit-verify" => return audit_verify(args.get(1).context(USAGE)?),
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

fn audit_verify(path: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    match workout_store::audit::verify(&text, None) {
        Ok(verified) => {
            println!(
                "ok: {} entries, head {} {}",
                verified.entries, verified.head.seq, verified.head.hash
            );
            Ok(())
        }
        Err(broken) => anyhow::bail!("broken chain: {broken}"),
    }
}
