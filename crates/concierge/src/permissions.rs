//! The concierge's permissions: agents read and answer conversations;
//! managers set up channels and the bot.

kernel::permission!(
    /// See conversations, contacts and analytics.
    pub ConversationsRead = "conversations":"read", "See the inbox: conversations, contacts, messages and analytics", [Admin, Business, Sales]
);
kernel::permission!(
    /// Reply, note, assign, resolve and snooze conversations.
    pub ConversationsReply = "conversations":"reply", "Reply to customers, add private notes, assign, resolve, reopen and snooze conversations, edit contacts", [Admin, Business, Sales]
);
kernel::permission!(
    /// Set up channels, the bot, intents and templates.
    pub ChannelsManage = "channels":"manage", "Connect WhatsApp, Instagram and the web widget; set the bot's persona, hours, handoff rules, intents and templates", [Admin, Business]
);
