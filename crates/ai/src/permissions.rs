//! The permissions of the AI runtime.

kernel::permission!(
    /// Call models (chat, embeddings) through the gateway.
    pub AiUse = "ai":"use", "Use AI models (chat and embeddings), including through the /v1 gateway",
    [Admin, Accountant, Sales, Business, Member]
);
kernel::permission!(
    /// Configure providers, routing and budgets.
    pub AiAdmin = "ai":"admin", "Configure AI providers, routing and the monthly budget", [Admin]
);
kernel::permission!(
    /// See AI usage and cost.
    pub AiUsageRead = "ai_usage":"read", "See AI usage and cost", [Admin, Accountant]
);
