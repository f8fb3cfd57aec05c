//! All of the ledger's SQL: parties, items and the rate schedule,
//! documents and numbering, payments and allocations, the books, and the
//! reports' queries. Every function takes the tenant's transaction and
//! reads the tenant from it (the rate schedule is the one table every
//! company shares).

pub mod books;
pub mod documents;
pub mod einvoice;
pub mod hsn;
pub mod items;
pub mod parties;
pub mod payments;
pub mod reports;
pub mod returns;
