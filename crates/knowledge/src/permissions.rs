//! The permissions of the knowledge base (the seed's table: `business`
//! manages documents, `member` searches, chats and reads its own history,
//! owner and admin everything).

kernel::permission!(
    /// See the company's documents, their chunks and originals.
    pub DocumentsRead = "documents":"read", "See the company's documents, their text and originals", [Admin, Accountant, Sales, Business, Member]
);
kernel::permission!(
    /// Upload, replace, re-index and delete documents.
    pub DocumentsWrite = "documents":"write", "Upload, replace, re-index and delete documents", [Admin, Business]
);
kernel::permission!(
    /// Search the documents and ask questions of them.
    pub KnowledgeAsk = "knowledge":"ask", "Search the documents, ask questions and keep one's own chats", [Admin, Accountant, Sales, Business, Member]
);
kernel::permission!(
    /// Read and delete everyone's chats.
    pub ChatsAdmin = "chats":"admin", "Read, rename and delete everyone's chats", [Admin]
);
kernel::permission!(
    /// Change how documents are chunked, searched and answered.
    pub KnowledgeAdmin = "knowledge":"admin", "Change the knowledge base's settings: chunking, upload limit, relevance, answer mode", [Admin]
);
