//! Outgoing e-mail: SMTP when `mail.smtp_url` is set, otherwise an outbox
//! directory of `.eml` files in the data directory (so a self-hosted
//! instance without SMTP still shows what it would have sent). Tests use
//! [`MemoryMailer`] and read what was sent.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

use crate::config::{Config, MailConfig};

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Files attached (an invoice's PDF).
    #[serde(skip)]
    pub attachments: Vec<Attachment>,
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name.
    pub name: String,
    /// Its media type (`application/pdf`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Sends e-mail.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + std::fmt::Debug {
    /// Sends one message.
    async fn send(&self, mail: Mail) -> Result<()>;
}

/// The mailer a configuration asks for.
pub fn from_config(config: &Config) -> Result<Arc<dyn Mailer>> {
    match &config.mail.smtp_url {
        Some(url) => Ok(Arc::new(SmtpMailer::new(&config.mail, url.expose())?)),
        None => Ok(Arc::new(OutboxMailer {
            dir: config.data_dir.join("outbox"),
            from: config.mail.from.clone(),
        })),
    }
}

/// Sends through an SMTP server (`smtp://`, `smtps://`; STARTTLS with
/// `?tls=required`).
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish()
    }
}

impl SmtpMailer {
    /// A mailer for an SMTP URL.
    pub fn new(config: &MailConfig, url: &str) -> Result<SmtpMailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| {
                format!(
                    "mail.smtp_url ({}) is not a valid SMTP URL",
                    crate::config::redact_url(url).unwrap_or_default()
                )
            })?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from: Mailbox = config
            .from
            .parse()
            .with_context(|| format!("mail.from ({}) is not an address", config.from))?;
        Ok(SmtpMailer { transport, from })
    }
}

fn message(from: &Mailbox, mail: &Mail) -> Result<Message> {
    let builder = Message::builder()
        .from(from.clone())
        .to(mail.to.parse().with_context(|| format!("{} is not an address", mail.to))?)
        .subject(&mail.subject);
    if mail.attachments.is_empty() {
        return builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .context("building the message");
    }
    let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.body.clone()));
    for a in &mail.attachments {
        let ct = ContentType::parse(&a.content_type)
            .with_context(|| format!("{} is not a media type", a.content_type))?;
        parts = parts
            .singlepart(lettre::message::Attachment::new(a.name.clone()).body(a.bytes.clone(), ct));
    }
    builder.multipart(parts).context("building the message")
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> Result<()> {
        let msg = message(&self.from, &mail)?;
        self.transport.send(msg).await.context("sending through SMTP")?;
        Ok(())
    }
}

/// Writes each message as an `.eml` file into a directory.
#[derive(Debug, Clone)]
pub struct OutboxMailer {
    /// The directory.
    pub dir: PathBuf,
    /// The sender.
    pub from: String,
}

#[async_trait::async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail) -> Result<()> {
        let from: Mailbox = self.from.parse().context("mail.from is not an address")?;
        let bytes = message(&from, &mail)?.formatted();
        tokio::fs::create_dir_all(&self.dir).await?;
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            sanitize(&mail.to)
        );
        let path = self.dir.join(name);
        tokio::fs::write(&path, bytes).await?;
        tracing::info!(to = %mail.to, subject = %mail.subject, path = %path.display(), "mail written to the outbox (no SMTP configured)");
        Ok(())
    }
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '@' || c == '.' { c } else { '_' })
        .collect()
}

/// Keeps messages in memory (tests read them).
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
}

impl MemoryMailer {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Mail> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The last message sent to `to`.
    pub fn last_to(&self, to: &str) -> Option<Mail> {
        self.sent().into_iter().rev().find(|m| m.to == to)
    }
}

#[async_trait::async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: Mail) -> Result<()> {
        if let Ok(mut s) = self.sent.lock() {
            s.push(mail);
        }
        Ok(())
    }
}
