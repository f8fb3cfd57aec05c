//! The ledger's permissions, one per action: the seed's Accountant keeps
//! the books (issues, cancels, records payments, locks periods), the Sales
//! Rep works with customers and quotations and drafts invoices for the
//! accountant to issue; owners and admins hold everything.

kernel::permission!(
    /// See customers and suppliers.
    pub PartiesRead = "parties":"read", "See customers and suppliers, their balances and context", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Add customers and suppliers.
    pub PartiesCreate = "parties":"create", "Add customers and suppliers", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Change, archive and restore customers and suppliers.
    pub PartiesUpdate = "parties":"update", "Change, archive and restore customers and suppliers", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// See items and their GST rates.
    pub ItemsRead = "items":"read", "See items, their GST rates and stock", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Add items.
    pub ItemsCreate = "items":"create", "Add goods and services with their HSN/SAC and GST rates", [Admin, Accountant]
);
kernel::permission!(
    /// Change and archive items and their GST rates.
    pub ItemsUpdate = "items":"update", "Change and archive items and their GST rates", [Admin, Accountant]
);
kernel::permission!(
    /// See quotations.
    pub QuotationsRead = "quotations":"read", "See quotations", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Draft, change and delete quotations.
    pub QuotationsCreate = "quotations":"create", "Draft, change and delete quotations", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Issue, send and cancel quotations.
    pub QuotationsIssue = "quotations":"issue", "Issue, e-mail and cancel quotations", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// See invoices and notes.
    pub InvoicesRead = "invoices":"read", "See invoices, bills of supply, credit and debit notes", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Draft invoices, including from a quotation.
    pub InvoicesCreate = "invoices":"create", "Draft, change and delete invoices and notes, convert quotations", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Issue invoices: numbered, posted, immutable.
    pub InvoicesIssue = "invoices":"issue", "Issue invoices, bills of supply and debit notes, and e-mail them", [Admin, Accountant]
);
kernel::permission!(
    /// Issue credit notes.
    pub InvoicesCredit = "invoices":"credit", "Issue credit notes against invoices", [Admin, Accountant]
);
kernel::permission!(
    /// Cancel issued invoices and notes.
    pub InvoicesCancel = "invoices":"cancel", "Cancel issued invoices and notes, reversing their postings", [Admin, Accountant]
);
kernel::permission!(
    /// See purchase bills.
    pub BillsRead = "bills":"read", "See suppliers' bills", [Admin, Accountant]
);
kernel::permission!(
    /// Enter, issue and cancel purchase bills.
    pub BillsWrite = "bills":"write", "Enter, book and cancel suppliers' bills", [Admin, Accountant]
);
kernel::permission!(
    /// See receipts and payments.
    pub PaymentsRead = "payments":"read", "See receipts and payments and what they settled", [Admin, Accountant, Sales]
);
kernel::permission!(
    /// Record receipts and payments.
    pub PaymentsCreate = "payments":"create", "Record receipts and supplier payments, TDS and allocations", [Admin, Accountant]
);
kernel::permission!(
    /// See the books.
    pub BooksRead = "books":"read", "See the chart of accounts, journals and financial reports", [Admin, Accountant]
);
kernel::permission!(
    /// Edit the chart of accounts.
    pub AccountsWrite = "accounts":"write", "Add and rename accounts in the chart of accounts", [Admin, Accountant]
);
kernel::permission!(
    /// Post manual journals.
    pub JournalsCreate = "journals":"create", "Post manual journals", [Admin, Accountant]
);
kernel::permission!(
    /// Lock the books up to a date.
    pub BooksLock = "books":"lock", "Lock the books up to a date, or move the lock", [Admin, Accountant]
);
kernel::permission!(
    /// The ledger's settings.
    pub BooksSettings = "books":"settings", "Change the ledger's settings, number series and the company's logo", [Admin, Accountant]
);
kernel::permission!(
    /// Register invoices and notes with the IRP.
    pub EinvoicesGenerate = "einvoices":"generate", "Register invoices and notes with the IRP (IRN and signed QR code)", [Admin, Accountant]
);
kernel::permission!(
    /// Cancel an IRN (within 24 hours), cancelling its document.
    pub EinvoicesCancel = "einvoices":"cancel", "Cancel an e-invoice's IRN within 24 hours, cancelling the document with it", [Admin, Accountant]
);
kernel::permission!(
    /// Configure e-invoicing.
    pub GstSettings = "gst":"settings", "Configure e-invoicing: the IRP's URL, API credentials and public keys", [Admin]
);
kernel::permission!(
    /// Prepare GST returns.
    pub GstReturns = "gst":"returns", "Prepare GSTR-1 and GSTR-3B for a month and download them for the GST portal", [Admin, Accountant]
);
