//! A real SMTP listener for tests: it speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) for any client to deliver to it, and keeps every message it receives.

#![expect(
    clippy::expect_used,
    reason = "test harness: a failed setup must stop the test at once"
)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One message received.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// `MAIL FROM` address.
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// The message as sent after `DATA` (headers and body).
    pub data: String,
}

/// A running SMTP listener.
pub struct SmtpSink {
    /// Its port on 127.0.0.1.
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts listening on a free port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// Starts listening on `port` of 127.0.0.1 (`0`: a free one), e.g. a port a platform was
    /// told to send to while nothing listened there.
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("an SMTP port");
        let port = listener.local_addr().expect("an address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(socket, store).await;
                });
            }
        });
        Self { port, received }
    }

    /// How many messages were received so far (cheap: nothing is copied).
    pub fn count(&self) -> usize {
        self.received.lock().map(|m| m.len()).unwrap_or_default()
    }

    /// The messages received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

fn address(argument: &str) -> String {
    argument
        .split_once(':')
        .map(|(_, a)| {
            a.trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_owned()
        })
        .unwrap_or_default()
}

async fn session(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    // Replies go out at once (no Nagle delay on the listener's side).
    socket.set_nodelay(true)?;
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 localhost test SMTP\r\n").await?;
    let mut current = Received::default();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-localhost\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM") {
            current = Received {
                from: address(&line),
                ..Received::default()
            };
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO") {
            current.to.push(address(&line));
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            write.write_all(b"354 end with .\r\n").await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            current.data = data;
            store
                .lock()
                .expect("the store")
                .push(std::mem::take(&mut current));
            b"250 queued\r\n"
        } else if upper.starts_with("RSET") {
            current = Received::default();
            b"250 ok\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
