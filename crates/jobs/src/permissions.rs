//! The permissions of jobs and webhooks.

use identity::Permission as _;

identity::permission!(
    /// See the company's background jobs.
    JobsRead = "jobs":"read", "See the company's background jobs and their errors", [Admin]
);
identity::permission!(
    /// Retry and cancel the company's background jobs.
    JobsWrite = "jobs":"write", "Retry and cancel background jobs", [Admin]
);
identity::permission!(
    /// See webhook subscriptions, deliveries and events.
    WebhooksRead = "webhooks":"read", "See webhook subscriptions, their deliveries and the event log", [Admin]
);
identity::permission!(
    /// Create, change and delete webhook subscriptions.
    WebhooksWrite = "webhooks":"write", "Create, change, test and delete webhook subscriptions", [Admin]
);

/// The permissions this crate declares.
pub const PERMISSIONS: &[identity::PermissionDef] =
    &[JobsRead::DEF, JobsWrite::DEF, WebhooksRead::DEF, WebhooksWrite::DEF];
