//! The one configuration of a process: every environment variable the platform reads, typed, read
//! once at start and validated there.
//!
//! Rules: every setting has a local default, so nothing needs configuring on a developer's machine;
//! a value that does not parse is refused at start with an error that names the variable and says
//! what it expects (all bad variables at once, not one per restart); nothing else in the platform
//! reads the environment (`RUST_LOG` is read by the log filter itself, by its convention).

use std::path::PathBuf;
use std::time::Duration;

use workout_http::registry_client::ServiceCredentials;
use workout_store::outbox::Subscriber;

/// The settings of a process (see the README for each variable).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL`: default `postgres://localhost:5432/workout`.
    pub database_url: String,
    /// `BIND_ADDR`: default `127.0.0.1:<the binary's port>`.
    pub bind: String,
    /// `INTERNAL_BIND_ADDR`: when set, a second listener that alone serves `/<service>/v1/internal/…`
    /// and `/metrics` (the public one answers 404 for them); absent: one listener serves all.
    pub internal_bind: Option<String>,
    /// `REGISTRY_URL`: where the registry answers; default this process's own address.
    pub registry_url: Option<String>,
    /// `TOKEN_ISSUER`: default `workout-registry`.
    pub issuer: String,
    /// `DB_POOL_SIZE`: connections per service; default 5.
    pub pool_size: usize,
    /// `MIGRATE_ON_START`: apply migrations at start; default true in `workoutd`, false alone.
    pub migrate_on_start: bool,
    /// `OUTBOX_SUBSCRIBERS`: comma-separated `URL` (every topic) or `URL#prefix,prefix` entries
    /// (see [`Subscriber::parse_list`]); default the notifications intake at the registry URL's
    /// host, for every topic.
    pub subscribers: Option<Vec<Subscriber>>,
    /// `OUTBOX_POLL_MS`: relay poll interval; default 500.
    pub outbox_poll: Duration,
    /// `SCHEDULER_POLL_MS`: how often schedulers look for due jobs when idle; default 1000.
    pub scheduler_poll: Duration,
    /// `WORKERS`: HTTP worker threads; default the number of cores.
    pub workers: Option<usize>,
    /// `TRUSTED_PROXIES`: comma-separated addresses or networks (`10.0.0.0/8`) of the reverse
    /// proxies in front of the platform, whose `X-Forwarded-For` names the client; default none:
    /// the client is the peer of the connection and `X-Forwarded-For` is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `SERVICE_CLIENT_ID` / `SERVICE_CLIENT_SECRET`: this service's credentials at the registry
    /// (a service running alone; `workoutd` makes its own).
    pub credentials: Option<ServiceCredentials>,
    /// The registry's token settings.
    pub registry: RegistrySettings,
    /// Where e-mail goes.
    pub mail: MailSettings,
    /// `LOG_FORMAT=json`: JSON lines instead of text.
    pub log_json: bool,
    /// `WORKOUT_ADMIN_PASSWORD`: the password `workoutd create-admin` gives; generated when absent.
    pub admin_password: Option<String>,
}

/// The registry's settings.
#[derive(Debug, Clone)]
pub struct RegistrySettings {
    /// `ACCESS_TOKEN_TTL_SECS`: access token lifetime; default 900.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_SECS`: session (refresh) lifetime; default 2592000 (30 days).
    pub refresh_token_ttl: Duration,
    /// `SERVICE_TOKEN_TTL_SECS`: service token lifetime; default 600.
    pub service_token_ttl: Duration,
    /// `SERVICE_SECRETS_KEY`: the key service clients' secrets are derived from, so that replicas
    /// agree; absent: random secrets at every start.
    pub service_secrets_key: Option<String>,
    /// `SIGN_IN_WINDOW_SECS`: how long a failed sign-in counts; default 900.
    pub sign_in_window: Duration,
    /// `SIGN_IN_FAILURES_PER_EMAIL`: failed sign-ins for one e-mail within the window before each
    /// further attempt waits; default 5.
    pub sign_in_failures_per_email: u32,
    /// `SIGN_IN_FAILURES_PER_ADDRESS`: failed sign-ins from one client address within the window
    /// before each further attempt from it waits; default 20.
    pub sign_in_failures_per_address: u32,
    /// `SIGN_IN_FIRST_DELAY_SECS`: the first wait; each further failure doubles it; default 1.
    pub sign_in_first_delay: Duration,
    /// `SIGN_IN_MAX_DELAY_SECS`: the longest wait; default 60.
    pub sign_in_max_delay: Duration,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            service_token_ttl: Duration::from_secs(600),
            service_secrets_key: None,
            sign_in_window: Duration::from_secs(900),
            sign_in_failures_per_email: 5,
            sign_in_failures_per_address: 20,
            sign_in_first_delay: Duration::from_secs(1),
            sign_in_max_delay: Duration::from_secs(60),
        }
    }
}

/// Where e-mail goes.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `SMTP_URL`, e.g. `smtp://localhost:1025`; absent: `localhost:1025` if it answers, else files.
    pub smtp_url: Option<String>,
    /// `MAIL_DIR`: where `.eml` files go without SMTP; default `var/mail`.
    pub mail_dir: PathBuf,
    /// `MAIL_FROM`: the sender of notices, e.g. `Workout desk <workout@bank.example>`; default
    /// `Workout platform <notices@workout-platform.invalid>`.
    pub from: String,
    /// `PUBLIC_URL`: the platform's address as e-mail recipients reach it (acknowledgement links),
    /// e.g. `https://workout.bank.example`; default `http://` and `BIND_ADDR`.
    pub public_url: Option<String>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_dir: PathBuf::from("var/mail"),
            from: "Workout platform <notices@workout-platform.invalid>".to_owned(),
            public_url: None,
        }
    }
}

/// Reads variables and collects every problem, so that one start names them all.
struct Env {
    problems: Vec<String>,
}

impl Env {
    fn text(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }

    fn parsed<T: std::str::FromStr>(&mut self, name: &str, expected: &str) -> Option<T> {
        let text = Self::text(name)?;
        match text.trim().parse() {
            Ok(value) => Some(value),
            Err(_) => {
                self.problems
                    .push(format!("{name}={text:?} is not valid: expected {expected}"));
                None
            }
        }
    }

    fn seconds(&mut self, name: &str, default: Duration) -> Duration {
        match self.parsed::<u64>(name, "a whole number of seconds, 1 or more") {
            Some(0) => {
                self.problems
                    .push(format!("{name}=0 is not valid: expected 1 second or more"));
                default
            }
            Some(n) => Duration::from_secs(n),
            None => default,
        }
    }

    fn count(&mut self, name: &str, default: u32) -> u32 {
        match self.parsed::<u32>(name, "a whole number, 1 or more") {
            Some(0) => {
                self.problems
                    .push(format!("{name}=0 is not valid: expected 1 or more"));
                default
            }
            Some(n) => n,
            None => default,
        }
    }

    fn millis(&mut self, name: &str, default: u64) -> Duration {
        Duration::from_millis(
            self.parsed(name, "a whole number of milliseconds")
                .unwrap_or(default),
        )
    }
}

impl Settings {
    /// The settings of a process from its environment, with `default_port` for `BIND_ADDR` and
    /// `migrate_by_default` for `MIGRATE_ON_START`; an error names every variable that is wrong.
    pub fn from_env(default_port: u16, migrate_by_default: bool) -> anyhow::Result<Self> {
        let mut env = Env {
            problems: Vec::new(),
        };
        let credentials = match (
            Env::text("SERVICE_CLIENT_ID"),
            Env::text("SERVICE_CLIENT_SECRET"),
        ) {
            (Some(client_id), Some(client_secret)) => Some(ServiceCredentials {
                client_id,
                client_secret,
            }),
            (None, None) => None,
            _ => {
                env.problems.push(
                    "SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET go together: set both or neither"
                        .to_owned(),
                );
                None
            }
        };
        let subscribers = Env::text("OUTBOX_SUBSCRIBERS").and_then(|v| {
            Subscriber::parse_list(&v)
                .map_err(|e| env.problems.push(format!("OUTBOX_SUBSCRIBERS: {e:#}")))
                .ok()
        });
        let log_json = match Env::text("LOG_FORMAT").as_deref() {
            None => false,
            Some(format) if format.eq_ignore_ascii_case("json") => true,
            Some(format) if format.eq_ignore_ascii_case("text") => false,
            Some(format) => {
                env.problems.push(format!(
                    "LOG_FORMAT={format:?} is not valid: expected json or text"
                ));
                false
            }
        };
        let defaults = RegistrySettings::default();
        let settings = Self {
            database_url: Env::text("DATABASE_URL")
                .unwrap_or_else(|| "postgres://localhost:5432/workout".to_owned()),
            bind: Env::text("BIND_ADDR").unwrap_or_else(|| format!("127.0.0.1:{default_port}")),
            internal_bind: Env::text("INTERNAL_BIND_ADDR"),
            registry_url: Env::text("REGISTRY_URL"),
            issuer: Env::text("TOKEN_ISSUER").unwrap_or_else(|| "workout-registry".to_owned()),
            pool_size: env
                .parsed("DB_POOL_SIZE", "a number of connections")
                .unwrap_or(5),
            migrate_on_start: env
                .parsed("MIGRATE_ON_START", "true or false")
                .unwrap_or(migrate_by_default),
            subscribers,
            outbox_poll: env.millis("OUTBOX_POLL_MS", 500),
            scheduler_poll: env.millis("SCHEDULER_POLL_MS", 1000),
            workers: env.parsed("WORKERS", "a number of threads"),
            trusted_proxies: Env::text("TRUSTED_PROXIES").map_or_else(Vec::new, |list| {
                parse_networks(&list).unwrap_or_else(|problem| {
                    env.problems.push(format!("TRUSTED_PROXIES: {problem}"));
                    Vec::new()
                })
            }),
            credentials,
            registry: RegistrySettings {
                access_token_ttl: env.seconds("ACCESS_TOKEN_TTL_SECS", defaults.access_token_ttl),
                refresh_token_ttl: env
                    .seconds("REFRESH_TOKEN_TTL_SECS", defaults.refresh_token_ttl),
                service_token_ttl: env
                    .seconds("SERVICE_TOKEN_TTL_SECS", defaults.service_token_ttl),
                service_secrets_key: Env::text("SERVICE_SECRETS_KEY"),
                sign_in_window: env.seconds("SIGN_IN_WINDOW_SECS", defaults.sign_in_window),
                sign_in_failures_per_email: env.count(
                    "SIGN_IN_FAILURES_PER_EMAIL",
                    defaults.sign_in_failures_per_email,
                ),
                sign_in_failures_per_address: env.count(
                    "SIGN_IN_FAILURES_PER_ADDRESS",
                    defaults.sign_in_failures_per_address,
                ),
                sign_in_first_delay: env
                    .seconds("SIGN_IN_FIRST_DELAY_SECS", defaults.sign_in_first_delay),
                sign_in_max_delay: env
                    .seconds("SIGN_IN_MAX_DELAY_SECS", defaults.sign_in_max_delay),
            },
            mail: MailSettings {
                smtp_url: Env::text("SMTP_URL"),
                mail_dir: Env::text("MAIL_DIR")
                    .map_or_else(|| MailSettings::default().mail_dir, PathBuf::from),
                from: Env::text("MAIL_FROM").unwrap_or_else(|| MailSettings::default().from),
                public_url: Env::text("PUBLIC_URL"),
            },
            log_json,
            admin_password: Env::text("WORKOUT_ADMIN_PASSWORD"),
        };
        if let Some(internal) = &settings.internal_bind
            && *internal == settings.bind
            && !internal.ends_with(":0")
        {
            env.problems.push(format!(
                "INTERNAL_BIND_ADDR={internal:?} is not valid: expected an address other than BIND_ADDR"
            ));
        }
        if settings.registry.sign_in_max_delay < settings.registry.sign_in_first_delay {
            env.problems.push(
                "SIGN_IN_MAX_DELAY_SECS is less than SIGN_IN_FIRST_DELAY_SECS: the longest wait \
                 cannot be shorter than the first"
                    .to_owned(),
            );
        }
        if settings.pool_size == 0 {
            env.problems
                .push("DB_POOL_SIZE=0 is not valid: expected 1 connection or more".to_owned());
        }
        anyhow::ensure!(
            env.problems.is_empty(),
            "the configuration is not valid:\n  {}",
            env.problems.join("\n  ")
        );
        Ok(settings)
    }

    /// Local defaults with `database_url` (tests).
    pub fn local(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            bind: "127.0.0.1:0".to_owned(),
            internal_bind: None,
            registry_url: None,
            issuer: "workout-registry".to_owned(),
            pool_size: 5,
            migrate_on_start: true,
            subscribers: None,
            outbox_poll: Duration::from_millis(100),
            scheduler_poll: Duration::from_millis(100),
            workers: Some(2),
            trusted_proxies: Vec::new(),
            credentials: None,
            registry: RegistrySettings::default(),
            mail: MailSettings::default(),
            log_json: false,
            admin_password: None,
        }
    }
}

/// A comma-separated list of addresses (`192.0.2.7`, `2001:db8::1`) and networks (`10.0.0.0/8`,
/// `fd00::/8`); an address is the network of itself alone.
///
/// # Errors
/// Names the first entry that is neither.
pub fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .map(|network| network.trunc())
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("{entry:?} is not valid: expected an IP address or a network such as 10.0.0.0/8")
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let networks = parse_networks(" 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,").unwrap();
        let shown: Vec<String> = networks.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]);
        assert_eq!(
            parse_networks("10.1.2.3/8").unwrap()[0].to_string(),
            "10.0.0.0/8"
        );
        assert!(
            parse_networks("10.0.0.0/8, proxy.internal")
                .unwrap_err()
                .contains("proxy.internal")
        );
        assert!(parse_networks("10.0.0.0/33").is_err());
    }
}
