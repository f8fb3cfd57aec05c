//! E-way bills: the transport of an invoice's goods is checked and its
//! NIC JSON prepared (for upload on the e-way bill portal); for an
//! e-invoiced invoice the e-way bill is generated through the IRP with
//! the same credentials, and its number and validity kept.

use chrono::{DateTime, Utc};
use kernel::audit::Changes;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::einvoice::{
    Who, client, irp_problem, source, violations_error, with_company, with_session,
};
use crate::error::{LedgerError, Result};
use crate::gst::einvoice::Violation;
use crate::gst::ewaybill::{self, Transport};
use crate::gst::irp::{self, IrpCode, IrpError};
use crate::model::DocStatus;
use crate::{Ledger, repo};

/// An e-way bill's number, when, and valid until.
type Generated = (String, DateTime<Utc>, Option<DateTime<Utc>>);

/// A document's e-way bill.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EwayBillStatus {
    /// The document.
    pub document_id: Uuid,
    /// Whether its goods need an e-way bill.
    pub applicable: bool,
    /// Why not, when they do not.
    pub not_applicable_reason: Option<String>,
    /// `prepared` (JSON ready for the portal), `generated` (it has a
    /// number) or `failed`; none before the transport is given.
    pub status: Option<String>,
    /// Whether it can be generated through the IRP (the invoice has an IRN).
    pub via_irp: bool,
    /// The e-way bill number.
    pub ewb_no: Option<String>,
    /// When it was generated.
    pub ewb_date: Option<DateTime<Utc>>,
    /// It is valid until then.
    pub valid_until: Option<DateTime<Utc>>,
    /// The transport given.
    pub transport: Option<Transport>,
    /// Rules the e-way bill breaks, as it would be made now.
    pub violations: Vec<Violation>,
    /// The IRP's reasons for refusing the last attempt.
    pub irp_errors: Vec<IrpCode>,
}

fn view(
    id: Uuid,
    reason: Option<String>,
    irn: bool,
    row: Option<repo::einvoice::EwbRow>,
) -> EwayBillStatus {
    let mut out = EwayBillStatus {
        document_id: id,
        applicable: reason.is_none(),
        not_applicable_reason: reason,
        status: None,
        via_irp: irn,
        ewb_no: None,
        ewb_date: None,
        valid_until: None,
        transport: None,
        violations: Vec::new(),
        irp_errors: Vec::new(),
    };
    if let Some(r) = row {
        out.status = Some(r.status);
        out.ewb_no = r.ewb_no;
        out.ewb_date = r.ewb_at;
        out.valid_until = r.valid_until;
        out.transport = serde_json::from_value(r.transport).ok();
        out.irp_errors = serde_json::from_value(r.errors).unwrap_or_default();
    }
    out
}

/// A document's e-way bill as it stands.
pub async fn status(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<EwayBillStatus> {
    let mut tx = g.read_tx(ledger.db()).await?;
    let mut s = source(&mut tx, id).await?;
    with_company(ledger, Who::Caller(g), &mut tx, &mut s).await?;
    let irn = repo::einvoice::get(&mut tx, id).await?.filter(|e| e.status == "generated").is_some();
    let row = repo::einvoice::ewb(&mut tx, id).await?;
    drop(tx);
    let mut out = view(id, ewaybill::not_applicable(&s.doc), irn, row);
    if let (Some(t), Some("prepared" | "failed")) = (&out.transport, out.status.as_deref()) {
        let (payload, lines) = ewaybill::build(&s.doc, &s.company, &s.party, t);
        out.violations = ewaybill::validate(&payload, &lines);
    }
    Ok(out)
}

/// Gives an invoice's transport: the e-way bill JSON is checked (422
/// names every violation) and kept; for an e-invoiced invoice it is
/// generated through the IRP at once.
pub async fn put(
    ledger: &Ledger,
    g: &identity::Caller,
    id: Uuid,
    t: Transport,
) -> Result<EwayBillStatus> {
    let mut tx = g.tx(ledger.db()).await?;
    let mut s = source(&mut tx, id).await?;
    with_company(ledger, Who::Caller(g), &mut tx, &mut s).await?;
    if let Some(why) = ewaybill::not_applicable(&s.doc) {
        return Err(LedgerError::state("not_applicable", why));
    }
    if matches!(s.doc.status, DocStatus::Draft | DocStatus::Cancelled) {
        return Err(LedgerError::state(
            "not_issued",
            "an e-way bill is made for an issued invoice",
        ));
    }
    if let Some(old) = repo::einvoice::ewb(&mut tx, id).await?
        && old.status == "generated"
    {
        return Err(LedgerError::state(
            "already_generated",
            format!("e-way bill {} is already generated", old.ewb_no.unwrap_or_default()),
        ));
    }
    let (payload, lines) = ewaybill::build(&s.doc, &s.company, &s.party, &t);
    let violations = ewaybill::validate(&payload, &lines);
    if !violations.is_empty() {
        return Err(violations_error(&violations));
    }
    let transport = serde_json::to_value(&t).unwrap_or_default();
    let einvoice = repo::einvoice::get(&mut tx, id).await?.filter(|e| e.status == "generated");
    let Some(irn) = einvoice.and_then(|e| e.irn) else {
        let row = repo::einvoice::EwbRow {
            status: "prepared".into(),
            transport,
            payload,
            ewb_no: None,
            ewb_at: None,
            valid_until: None,
            errors: json!([]),
        };
        repo::einvoice::put_ewb(&mut tx, id, &row).await?;
        g.audit(
            &mut tx,
            "ewaybill.prepared",
            "document",
            Some(id.to_string()),
            Changes::new().set("distance_km", t.distance_km),
        );
        tx.commit().await?;
        return Ok(view(id, None, false, Some(row)));
    };
    let gstin = s.company["gstin"].as_str().unwrap_or_default().to_owned();
    let (c, _, _) = client(ledger, &mut tx, &gstin).await?;
    drop(tx);
    let request = ewaybill::by_irn(&irn, &t);
    let tenant = g.tenant();
    let sent = with_session(ledger, tenant, &c, |session| {
        let (c, request) = (&c, &request);
        async move { c.generate_ewb(&session, request).await }
    })
    .await;
    let sent = match sent {
        Err(e) if e.has("4002") => {
            with_session(ledger, tenant, &c, |session| {
                let (c, irn) = (&c, &irn);
                async move { c.get_ewb(&session, irn).await }
            })
            .await
        }
        other => other,
    };
    let read = |v: &Value| -> std::result::Result<Generated, IrpError> {
        let no = match &v["EwbNo"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(IrpError::Protocol("no EwbNo in the answer".into())),
        };
        let at = v["EwbDt"]
            .as_str()
            .and_then(irp::parse_time)
            .ok_or_else(|| IrpError::Protocol("no EwbDt".into()))?;
        Ok((no, at, v["EwbValidTill"].as_str().and_then(irp::parse_time)))
    };
    let mut tx = g.tx(ledger.db()).await?;
    let mut row = repo::einvoice::EwbRow {
        status: "generated".into(),
        transport,
        payload: request,
        ewb_no: None,
        ewb_at: None,
        valid_until: None,
        errors: json!([]),
    };
    match sent.and_then(|v| read(&v)) {
        Ok((no, at, till)) => {
            row.ewb_no = Some(no.clone());
            row.ewb_at = Some(at);
            row.valid_until = till;
            repo::einvoice::put_ewb(&mut tx, id, &row).await?;
            g.audit(
                &mut tx,
                "ewaybill.generated",
                "document",
                Some(id.to_string()),
                Changes::new().set("ewb_no", &no),
            );
            tx.commit().await?;
            Ok(view(id, None, true, Some(row)))
        }
        Err(e) => {
            row.status = "failed".into();
            row.errors = json!(e.codes());
            repo::einvoice::put_ewb(&mut tx, id, &row).await?;
            tx.commit().await?;
            Err(irp_problem(&e))
        }
    }
}

/// The e-way bill's JSON as prepared (for upload on the e-way bill
/// portal) or as sent to the IRP.
pub async fn payload(ledger: &Ledger, g: &identity::Caller, id: Uuid) -> Result<Value> {
    let mut tx = g.read_tx(ledger.db()).await?;
    source(&mut tx, id).await?;
    repo::einvoice::ewb(&mut tx, id).await?.map(|r| r.payload).ok_or_else(|| {
        LedgerError::state(
            "no_transport",
            "give the transport first: the e-way bill is made from it",
        )
    })
}
