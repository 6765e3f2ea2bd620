//! The registry alone: `workout-registry [serve|migrate|service-client NAME]`.
//!
//! `service-client NAME` creates (or resets) a service client and prints its secret, for running
//! another service alone with `SERVICE_CLIENT_ID=NAME SERVICE_CLIENT_SECRET=...`.

use workout_runtime::{Settings, bind, context, serve};
use workout_store::{migrate, pool};

const HELP: &str =
    "workout-registry: the registry service alone (institutions, users, tokens, workouts).

usage: workout-registry [COMMAND]

commands:
  serve                the service on BIND_ADDR (default 127.0.0.1:8081; the default command);
                       its /internal routes and /metrics on INTERNAL_BIND_ADDR alone when set
  migrate              create the database if missing and apply the registry's migrations
  service-client NAME  create (or reset) a service client and print its credentials
  --help               this text

Configuration comes from environment variables; see the README.";

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args()
        .nth(1)
        .is_some_and(|a| matches!(a.as_str(), "-h" | "--help" | "help"))
    {
        println!("{HELP}");
        return Ok(());
    }
    let settings = Settings::from_env(8081, false)?;
    workout_http::ops::init_tracing(settings.log_json);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str).unwrap_or("serve") {
        "migrate" => {
            pool::ensure_database(&settings.database_url).await?;
            migrate::run(&settings.database_url, workout_registry::MIGRATIONS).await?;
            Ok(())
        }
        "service-client" => {
            let name = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: workout-registry service-client NAME"))?;
            let pool = pool::connect(&settings.database_url, "registry", 1)?;
            let key = settings.registry.service_secrets_key.as_deref();
            let secret =
                workout_registry::identity::auth::set_keyed_service_client(&pool, name, key)
                    .await?;
            println!("SERVICE_CLIENT_ID={name}\nSERVICE_CLIENT_SECRET={secret}");
            Ok(())
        }
        "serve" => {
            if settings.migrate_on_start {
                pool::ensure_database(&settings.database_url).await?;
                migrate::run(&settings.database_url, workout_registry::MIGRATIONS).await?;
            }
            let listeners = bind(&settings)?;
            let ctx = context(&settings, &listeners)?;
            let config = workout_registry::RegistryConfig::from_settings(&settings);
            let (service, _) = workout_registry::service(&ctx, config).await?;
            serve(&settings, listeners, vec![service], true)?
                .wait()
                .await
        }
        other => {
            anyhow::bail!("unknown command {other:?}: use serve, migrate or service-client NAME")
        }
    }
}
