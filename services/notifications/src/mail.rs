//! E-mail delivery: SMTP when a server is configured or answers on the local default port, else
//! `.eml` files in a local folder (so a developer's machine never loses a notice).
//!
//! Rules: `SMTP_URL` (lettre's URL form, e.g. `smtp://localhost:1025` or
//! `smtps://user:pass@mail.example.com`) always wins; without it, `localhost:1025` is tried once at
//! start; failing that, messages are written to `MAIL_DIR` (default `var/mail`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Where e-mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder.
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Mailer::Smtp"),
            Self::Files(_, dir) => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

/// The local SMTP port tried when nothing is configured.
pub const LOCAL_SMTP: (&str, u16) = ("localhost", 1025);

impl Mailer {
    /// The mailer chosen by the settings `SMTP_URL` and `MAIL_DIR` (see the module rules).
    pub fn from_settings(settings: &workout_runtime::MailSettings) -> anyhow::Result<Self> {
        Self::choose(
            settings.smtp_url.as_deref(),
            LOCAL_SMTP,
            settings.mail_dir.clone(),
        )
    }

    /// The mailer for `smtp_url` if given; else SMTP on `local` if it answers; else files in `dir`.
    pub fn choose(
        smtp_url: Option<&str>,
        local: (&str, u16),
        dir: PathBuf,
    ) -> anyhow::Result<Self> {
        if let Some(url) = smtp_url {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .context("SMTP_URL is not a valid SMTP URL")?
                .build();
            return Ok(Self::Smtp(transport));
        }
        let answers = std::net::ToSocketAddrs::to_socket_addrs(&local)
            .map(|mut addresses| {
                addresses.any(|address| {
                    std::net::TcpStream::connect_timeout(&address, Duration::from_millis(300))
                        .is_ok()
                })
            })
            .unwrap_or(false);
        if answers {
            tracing::info!(
                smtp.host = local.0,
                smtp.port = local.1,
                "e-mail goes to the local SMTP server"
            );
            return Ok(Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(local.0)
                    .port(local.1)
                    .build(),
            ));
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the mail folder {}", dir.display()))?;
        tracing::info!(mail.dir = %dir.display(), "no SMTP server: e-mail is written to files");
        Ok(Self::Files(AsyncFileTransport::new(&dir), dir))
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Self::Smtp(transport) => transport
                .send(message)
                .await
                .map(drop)
                .context("sending by SMTP"),
            Self::Files(transport, _) => transport
                .send(message)
                .await
                .map(drop)
                .context("writing the e-mail file"),
        }
    }
}
