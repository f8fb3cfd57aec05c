//! GST compliance, pure where it can be: the NIC e-invoice JSON and its
//! validation (`einvoice`), the IRP client (`irp`), the IRP's signed
//! tokens (`jws`) and the QR code printed from them (`qr`).

pub mod einvoice;
pub mod irp;
pub mod jws;
pub mod qr;
