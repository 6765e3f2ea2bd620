//! Running services: settings from the environment, the HTTP server every service is mounted in
//! (alone in its own binary, or all five in `workoutd`), each service's scope with its OpenAPI
//! document, the outbox relays and job schedulers beside it, and a graceful stop.
//!
//! Rules: every setting has a local default, so nothing needs configuring to run on a developer's
//! machine (one listener; with `INTERNAL_BIND_ADDR` the internal surfaces move to a listener of
//! their own, see [`listeners`]); every service's scope serves its health, readiness and delivery
//! health ([`deliveries`]); the same middleware stack (request context, problem+json for every error, extractor
//! limits) wraps every service; a service's document is made from the handlers its scope routes
//! ([`api_scope`], [`mount_api`]), so a path is written once; on stop the server finishes in-flight
//! requests, then the relays finish the call in progress and the schedulers the job in progress,
//! and they exit.

pub mod deliveries;
pub mod listeners;
pub mod settings;

use std::sync::Arc;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;
use tokio::sync::watch;
use workout_http::TokenVerifier;
use workout_http::boundary::{extractor_configs, problem_for_plain_errors, request_context};
use workout_http::ops::process_endpoints;
use workout_http::registry_client::{
    HttpKeySource, HttpSessionCheck, RegistryClient, ServiceCredentials, ServiceTokens, http_client,
};

pub use listeners::{Listeners, bind};
pub use settings::{MailSettings, RegistrySettings, Settings};
use workout_store::outbox::{Relay, RelayConfig, Subscriber};
use workout_store::pool::{self, Pool};
use workout_store::scheduler::{Scheduler, SchedulerConfig};

/// What a service needs from the process it runs in.
#[derive(Clone)]
pub struct ServiceContext {
    /// The process's settings.
    pub settings: Settings,
    /// Where the registry answers.
    pub registry_url: String,
    /// The shared HTTP client.
    pub client: reqwest::Client,
}

impl ServiceContext {
    /// A pool on `schema`.
    pub fn pool(&self, schema: &str) -> anyhow::Result<Pool> {
        pool::connect(&self.settings.database_url, schema, self.settings.pool_size)
    }

    /// This service's service tokens, from `credentials`.
    pub fn tokens(&self, credentials: ServiceCredentials) -> Arc<ServiceTokens> {
        Arc::new(ServiceTokens::new(
            self.client.clone(),
            &self.registry_url,
            credentials,
        ))
    }

    /// A verifier that gets keys and session status from the registry over HTTP.
    pub fn remote_verifier(&self, tokens: Arc<ServiceTokens>) -> TokenVerifier {
        TokenVerifier::new(
            self.settings.issuer.clone(),
            Arc::new(HttpKeySource::new(self.client.clone(), &self.registry_url)),
            Arc::new(HttpSessionCheck::new(
                self.client.clone(),
                &self.registry_url,
                tokens,
            )),
        )
    }

    /// The outbox relay of a service.
    pub fn relay(&self, source: &str, pool: Pool, tokens: Arc<ServiceTokens>) -> Relay {
        let subscribers = self.settings.subscribers.clone().unwrap_or_else(|| {
            vec![
                Subscriber::all(format!("{}/notifications/v1/events", self.registry_url)),
                // The mandates service keeps a workout's mandate from its opening and appoints
                // its agent when it is effective.
                Subscriber::with_prefixes(
                    format!("{}/mandates/v1/events", self.registry_url),
                    ["registry.workout_opened", "registry.workout_status_changed"],
                ),
            ]
        });
        let mut config = RelayConfig::new(source, subscribers);
        config.idle = self.settings.outbox_poll;
        Relay::new(pool, self.client.clone(), tokens, config)
    }

    /// The job scheduler of a service, without handlers (the service registers its own).
    pub fn scheduler(&self, service: &str, pool: Pool) -> Scheduler {
        let mut config = SchedulerConfig::new(service);
        config.idle = self.settings.scheduler_poll;
        Scheduler::new(pool, config)
    }
}

/// Mounts a service's routes into an app.
pub type Mount = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// Work a service runs beside its HTTP server (its outbox relay, watchers): started with the
/// server, told to stop (the receiver turns true) after the server has stopped, and awaited.
pub type BackgroundTask =
    Box<dyn FnOnce(watch::Receiver<bool>) -> futures_util::future::BoxFuture<'static, ()> + Send>;

/// A worker that runs beside the server until told to stop.
pub trait IntoTask {
    /// The worker as a background task.
    fn into_task(self) -> BackgroundTask;
}

impl IntoTask for Relay {
    fn into_task(self) -> BackgroundTask {
        Box::new(|stop| Box::pin(self.run(stop)))
    }
}

impl IntoTask for Scheduler {
    fn into_task(self) -> BackgroundTask {
        Box::new(|stop| Box::pin(self.run(stop)))
    }
}

/// A service ready to be served.
pub struct Service {
    /// Its name (and URL prefix).
    pub name: &'static str,
    /// Its routes.
    pub mount: Mount,
    /// Its background work: the outbox relay and its job scheduler, if it has jobs.
    pub tasks: Vec<BackgroundTask>,
}

/// A running server and its background tasks.
pub struct Running {
    /// The address of the public listener.
    pub address: std::net::SocketAddr,
    /// The address of the internal listener, when there is one (`INTERNAL_BIND_ADDR`).
    pub internal_address: Option<std::net::SocketAddr>,
    server: actix_web::dev::ServerHandle,
    stop_tasks: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops gracefully: in-flight requests finish, then background tasks finish the work in
    /// progress.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.server.stop(true).await;
        let _ = self.stop_tasks.send(true);
        self.task.await.context("the server task")?
    }

    /// Waits until the server stops by itself (SIGTERM or SIGINT), then stops the background tasks.
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("the server task")?
    }
}

/// The context for services served on `listeners`: unless `REGISTRY_URL` says otherwise, they
/// reach the registry (and, by default, the notifications intake) at this process's own address,
/// the internal listener's when there is one.
pub fn context(settings: &Settings, listeners: &Listeners) -> anyhow::Result<ServiceContext> {
    let address = listeners.services_address()?;
    Ok(ServiceContext {
        registry_url: settings
            .registry_url
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned(),
        settings: settings.clone(),
        client: http_client()?,
    })
}

/// Serves `services` on `listeners` and starts their background tasks. With `handle_signals`,
/// SIGTERM and SIGINT stop everything gracefully. With an internal listener, the public one answers
/// 404 for the internal surfaces ([`listeners::keep_internal_apart`]).
pub fn serve(
    settings: &Settings,
    listeners: Listeners,
    services: Vec<Service>,
    handle_signals: bool,
) -> anyhow::Result<Running> {
    let address = listeners.public_address()?;
    let internal_address = listeners.internal_address()?;
    let mounts: Vec<Mount> = services.iter().map(|s| s.mount.clone()).collect();
    let mut server = HttpServer::new(move || {
        // Innermost of the three: its 404 is made problem+json like any unknown route's.
        let apart =
            from_fn(move |req, next| listeners::keep_internal_apart(internal_address, req, next));
        let mut app = App::new()
            .wrap(apart)
            .wrap(ErrorHandlers::new().default_handler(problem_for_plain_errors))
            .wrap(from_fn(request_context))
            .configure(extractor_configs)
            .configure(process_endpoints);
        for mount in &mounts {
            let mount = mount.clone();
            app = app.configure(move |cfg| mount(cfg));
        }
        app
    })
    .shutdown_timeout(30)
    .listen(listeners.public)
    .context("listening")?;
    if let Some(internal) = listeners.internal {
        server = server.listen(internal).context("listening (internal)")?;
    }
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    if !handle_signals {
        server = server.disable_signals();
    }
    let server = server.run();
    let handle = server.handle();
    let (stop_tasks, stopped) = watch::channel(false);
    let tasks: Vec<_> = services
        .into_iter()
        .flat_map(|service| service.tasks)
        .map(|task| tokio::spawn(task(stopped.clone())))
        .collect();
    let stop_after_server = stop_tasks.clone();
    let task = tokio::spawn(async move {
        let served = server.await.context("the HTTP server");
        let _ = stop_after_server.send(true);
        for task in tasks {
            let _ = task.await;
        }
        served
    });
    match internal_address {
        Some(internal) => {
            tracing::info!(%address, %internal, "listening (internal surfaces apart)")
        }
        None => tracing::info!(%address, "listening"),
    }
    Ok(Running {
        address,
        internal_address,
        server: handle,
        stop_tasks,
        task,
    })
}

/// Where a service adds its handlers: `cfg.service(handler)` for each handler annotated with its
/// actix route macro (`#[get("/v1/...")]`) under `#[utoipa::path(...)]`, so that a path is written
/// once and documented as it is routed.
pub type Routes<'a> = utoipa_actix_web::service_config::ServiceConfig<'a>;

/// What a service's scope serves requests with (actix's scope endpoint, whose type is not public).
pub trait ScopeService:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    > + 'static
{
}

impl<T> ScopeService for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        > + 'static
{
}

/// The scope every service lives in: `/<name>` with its pool, its token verifier, `/healthz` and
/// `/readyz` (which checks its database), undocumented, and its delivery health
/// (`GET /<name>/v1/deliveries`, documented; see [`deliveries`]). Handlers added with `.service(handler)` or
/// `.configure(routes)` (see [`Routes`]) are documented as they are routed; [`mount_api`] mounts
/// the scope with its document.
pub fn api_scope(
    name: &str,
    pool: &Pool,
    verifier: web::Data<TokenVerifier>,
) -> utoipa_actix_web::scope::Scope<impl ScopeService> {
    let health = web::resource("/healthz").route(web::get().to(workout_http::ops::healthz));
    let ready = web::resource("/readyz").route(web::get().to(pool::readyz));
    utoipa_actix_web::scope(format!("/{name}").as_str())
        .app_data(web::Data::new(pool.clone()))
        .app_data(verifier)
        .service(deliveries::deliveries)
        .map(|scope| scope.service(health).service(ready))
}

/// Mounts service `name`'s `scope` (from [`api_scope`]) and its OpenAPI document: `openapi` (title,
/// description, tags) with the paths and schemas of the handlers the scope routes, served by
/// [`api_docs`](workout_http::ops::api_docs). A routed path answers 405 to the methods no handler
/// serves (each handler's resource only matches its own method).
pub fn mount_api<T: ScopeService>(
    cfg: &mut web::ServiceConfig,
    name: &str,
    mut openapi: utoipa::openapi::OpenApi,
    scope: utoipa_actix_web::scope::Scope<T>,
) {
    use utoipa_actix_web::OpenApiFactory as _;
    let paths = scope.paths();
    let mut schemas = Vec::new();
    scope.schemas(&mut schemas);
    let prefix = format!("/{name}");
    let routed: Vec<String> = paths
        .paths
        .keys()
        .filter_map(|path| path.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect();
    openapi.paths.merge(paths);
    openapi
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    workout_http::ops::api_docs(cfg, name, openapi);
    // After every handler: a resource without routes answers 405 to whatever reaches it.
    let scope = routed.into_iter().fold(scope, |scope, path| {
        scope.map(|scope| scope.service(web::resource(path)))
    });
    cfg.service(scope);
}

/// A service that authenticates users through the registry and emits events through its outbox:
/// its scope with `routes` inside (where handlers find the typed [`RegistryClient`] as
/// `web::Data<RegistryClient>`), its OpenAPI document (`openapi` with the routes' paths) and docs
/// page, and its relay.
pub fn remote_service(
    ctx: &ServiceContext,
    name: &'static str,
    credentials: ServiceCredentials,
    openapi: utoipa::openapi::OpenApi,
    routes: impl Fn(&mut Routes<'_>) + Send + Sync + 'static,
) -> anyhow::Result<Service> {
    let routes = Arc::new(routes);
    let pool = ctx.pool(name)?;
    let tokens = ctx.tokens(credentials);
    let verifier = web::Data::new(ctx.remote_verifier(tokens.clone()));
    let registry = web::Data::new(RegistryClient::new(
        ctx.client.clone(),
        &ctx.registry_url,
        tokens.clone(),
    ));
    let relay = ctx.relay(name, pool.clone(), tokens);
    let mount: Mount = Arc::new(move |cfg: &mut web::ServiceConfig| {
        let routes = routes.clone();
        let scope = api_scope(name, &pool, verifier.clone())
            .app_data(registry.clone())
            .configure(move |scope| routes(scope));
        mount_api(cfg, name, openapi.clone(), scope);
    });
    Ok(Service {
        name,
        mount,
        tasks: vec![relay.into_task()],
    })
}

/// The `main` of a service running alone: `<binary> migrate` applies its migrations; `<binary>`
/// (or `serve`) runs it on `BIND_ADDR` (default port `default_port`) with the credentials from
/// `SERVICE_CLIENT_ID` / `SERVICE_CLIENT_SECRET`, until SIGTERM.
pub async fn run_alone(
    default_port: u16,
    migrations: workout_store::migrate::ServiceMigrations,
    build: fn(&ServiceContext, ServiceCredentials) -> anyhow::Result<Service>,
) -> anyhow::Result<()> {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "serve".to_owned());
    if matches!(command.as_str(), "-h" | "--help" | "help") {
        println!(
            "workout-{name}: the {name} service alone.\n\n\
             usage: workout-{name} [serve | migrate | --help]\n\n\
             serve    the service on BIND_ADDR (default 127.0.0.1:{default_port}; its /internal\n\
             \x20        routes and /metrics on INTERNAL_BIND_ADDR alone when that is set); needs\n\
             \x20        SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET from `workout-registry service-client {name}`\n\
             migrate  create the database if missing and apply the service's migrations\n\n\
             Configuration comes from environment variables; see the README.",
            name = migrations.schema
        );
        return Ok(());
    }
    let settings = Settings::from_env(default_port, false)?;
    workout_http::ops::init_tracing(settings.log_json);
    if command == "migrate" || settings.migrate_on_start {
        pool::ensure_database(&settings.database_url).await?;
        workout_store::migrate::run(&settings.database_url, migrations).await?;
        if command == "migrate" {
            return Ok(());
        }
    }
    anyhow::ensure!(
        command == "serve",
        "unknown command {command:?}: use `serve` or `migrate`"
    );
    let credentials = settings.credentials.clone().with_context(|| {
        format!(
            "SERVICE_CLIENT_ID and SERVICE_CLIENT_SECRET must be set to run {} alone \
             (create them with `workout-registry service-client {}`)",
            migrations.schema, migrations.schema
        )
    })?;
    let listeners = bind(&settings)?;
    let ctx = context(&settings, &listeners)?;
    let service = build(&ctx, credentials)?;
    serve(&settings, listeners, vec![service], true)?
        .wait()
        .await
}
