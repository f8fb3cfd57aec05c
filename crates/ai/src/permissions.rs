//! The permissions of the AI runtime.

use identity::Permission as _;

identity::permission!(
    /// Call models (chat, embeddings) through the gateway.
    AiUse = "ai":"use", "Use AI models (chat and embeddings), including through the /v1 gateway",
    [Admin, Accountant, Sales, Business, Member]
);
identity::permission!(
    /// Configure providers, routing and budgets.
    AiAdmin = "ai":"admin", "Configure AI providers, routing and the monthly budget", [Admin]
);
identity::permission!(
    /// See AI usage and cost.
    AiUsageRead = "ai_usage":"read", "See AI usage and cost", [Admin, Accountant]
);

/// The permissions this crate declares.
pub const PERMISSIONS: &[identity::PermissionDef] = &[AiUse::DEF, AiAdmin::DEF, AiUsageRead::DEF];
