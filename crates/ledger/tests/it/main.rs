//! Integration tests, one module per area, in one binary: the server and
//! its dependencies are linked once for all of them, not once per file.
#![allow(clippy::unwrap_used)]

mod books;
mod common;
mod einvoice;
mod hsn;
mod invoices;
mod payments;
mod returns;
