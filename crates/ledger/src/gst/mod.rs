//! GST compliance, pure where it can be: the NIC e-invoice JSON and its
//! validation (`einvoice`), the e-way bill (`ewaybill`), the IRP client (`irp`), the IRP's signed
//! tokens (`jws`), the QR code printed from them (`qr`), and GSTR-1 and
//! GSTR-3B with the tax set-off (`returns`).

pub mod einvoice;
pub mod ewaybill;
pub mod irp;
pub mod jws;
pub mod qr;
pub mod returns;
