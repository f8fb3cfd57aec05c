//! The permissions of jobs and webhooks.

kernel::permission!(
    /// See the company's background jobs.
    pub JobsRead = "jobs":"read", "See the company's background jobs and their errors", [Admin]
);
kernel::permission!(
    /// Retry and cancel the company's background jobs.
    pub JobsWrite = "jobs":"write", "Retry and cancel background jobs", [Admin]
);
kernel::permission!(
    /// See webhook subscriptions, deliveries and events.
    pub WebhooksRead = "webhooks":"read", "See webhook subscriptions, their deliveries and the event log", [Admin]
);
kernel::permission!(
    /// Create, change and delete webhook subscriptions.
    pub WebhooksWrite = "webhooks":"write", "Create, change, test and delete webhook subscriptions", [Admin]
);
