//! The ledger's permissions: the seed's Accountant keeps the books, the
//! Sales Rep works with customers, quotations and invoices; owners and
//! admins hold everything.

kernel::permission!(
    /// See customers and suppliers.
    pub PartiesRead = "parties":"read", "See customers and suppliers, their balances and context", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Create, change and archive customers and suppliers.
    pub PartiesWrite = "parties":"write", "Create, change and archive customers and suppliers", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// See items and their GST rates.
    pub ItemsRead = "items":"read", "See items, their GST rates and stock", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Create and change items and their GST rates.
    pub ItemsWrite = "items":"write", "Create and change items and their GST rates", [Admin, Accountant]
);
kernel::permission!(
    /// See quotations.
    pub QuotationsRead = "quotations":"read", "See quotations", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Create, issue and convert quotations.
    pub QuotationsWrite = "quotations":"write", "Create, issue and convert quotations to invoices", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// See invoices, notes and purchase bills.
    pub InvoicesRead = "invoices":"read", "See invoices, credit and debit notes and purchase bills", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Draft and issue sales invoices.
    pub InvoicesWrite = "invoices":"write", "Draft and issue invoices, bills of supply and debit notes", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Credit notes, purchase bills, cancellations.
    pub InvoicesAdjust = "invoices":"adjust", "Issue credit notes and purchase bills, cancel documents", [Admin, Accountant]
);
kernel::permission!(
    /// See receipts and payments.
    pub PaymentsRead = "payments":"read", "See receipts and payments and what they settled", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Record receipts and payments.
    pub PaymentsWrite = "payments":"write", "Record receipts and supplier payments, TDS and allocations", [Admin, Accountant]
);
kernel::permission!(
    /// See the books.
    pub BooksRead = "books":"read", "See the chart of accounts, journals and financial reports", [Admin, Accountant]
);
kernel::permission!(
    /// Keep the books.
    pub BooksWrite = "books":"write", "Edit the chart of accounts, post manual journals, number series and lock the books", [Admin, Accountant]
);
