//! The ledger's isolation fixture: the company's GSTIN, a customer and a
//! supplier, an item, an issued invoice settled in part by a receipt, a
//! quotation, a recorded purchase bill, a manual journal and a numbering
//! series — a row in every ledger table.

use kernel::domain::Fixture;
use serde_json::{Value, json};

fn id(v: &Value, what: &str) -> String {
    let id = v["id"].as_str().unwrap_or_default().to_string();
    assert!(!id.is_empty(), "the ledger fixture could not make {what}: {v}");
    id
}

pub(crate) async fn fixture(fx: &Fixture) {
    let name = fx.name.clone();
    fx.call("PATCH", "/api/v1/tenant", Some(json!({ "gstin": "27AAPFU0939F1ZV" }))).await;
    // The address documents print (and e-invoices need).
    fx.call(
        "PUT",
        "/api/v1/ledger/settings",
        Some(json!({ "default_due_days": 30, "company_address": { "line1": "1 MG Road", "city": "Mumbai", "state_code": "27", "pincode": "400001" } })),
    )
    .await;
    let address = json!({ "line1": format!("{name} House"), "city": "Bengaluru", "state_code": "29", "pincode": "560001" });
    let party = json!({
        "is_customer": true, "legal_name": format!("{name} Retail Private Limited"), "gstin": "29AABCT1332L1ZA",
        "registration": "regular", "billing_address": address, "opening_balance": "1500.00",
        "contacts": [{ "name": format!("{name} buyer"), "email": format!("buyer@{name}.example") }],
    });
    let customer = id(&fx.post("/api/v1/parties", party.clone()).await, "a customer");
    fx.object("/api/v1/parties/{id}", &customer);
    fx.object("/api/v1/customers/{id}", &customer);
    fx.mark(&format!("{name} Retail Private Limited"));
    fx.body("PUT /api/v1/parties/{id}", party);
    let supplier = json!({
        "is_supplier": true, "legal_name": format!("{name} Supplies LLP"), "gstin": "07AAACI1681G1ZR",
        "registration": "regular",
        "billing_address": { "line1": "1 Nehru Place", "city": "New Delhi", "state_code": "07", "pincode": "110019" },
    });
    let supplier = id(&fx.post("/api/v1/parties", supplier).await, "a supplier");

    let item = json!({ "name": format!("{name} laptop"), "hsn_sac": "84713010", "unit": "NOS", "price": "50000" });
    let item_id = id(&fx.post("/api/v1/items", item.clone()).await, "an item");
    fx.object("/api/v1/items/{id}", &item_id);
    fx.mark(&format!("{name} laptop"));
    fx.body("PUT /api/v1/items/{id}", item);

    let lines = json!([{ "item_id": item_id, "quantity": "2" }]);
    let draft = json!({ "party_id": customer, "lines": lines });
    let invoice = id(&fx.post("/api/v1/invoices", draft.clone()).await, "an invoice");
    fx.body("PUT /api/v1/invoices/{id}", draft.clone());
    let issued = fx.post(&format!("/api/v1/invoices/{invoice}/issue"), json!(null)).await;
    assert_eq!(issued["status"], "issued", "{name}'s invoice: {issued}");
    fx.object("/api/v1/invoices/{id}", &invoice);
    fx.body("POST /api/v1/invoices/{id}/cancel", json!({ "reason": "entered twice" }));
    fx.body(
        "POST /api/v1/invoices/{id}/e-invoice/cancel",
        json!({ "reason": "data_entry_mistake", "remark": "entered twice" }),
    );

    let receipt = fx
        .post(
            "/api/v1/payments",
            json!({ "kind": "receipt", "party_id": customer, "mode": "upi", "amount": "50000",
                    "reference": format!("{name}-UTR-1"), "allocations": [{ "document_id": invoice, "amount": "50000" }] }),
        )
        .await;
    let receipt = id(&receipt, "a receipt");
    fx.object("/api/v1/payments/{id}", &receipt);
    fx.mark(&format!("{name}-UTR-1"));
    fx.body(
        "POST /api/v1/payments/{id}/allocations",
        json!({ "allocations": [{ "document_id": invoice, "amount": "1" }] }),
    );

    let quote = id(&fx.post("/api/v1/quotations", draft.clone()).await, "a quotation");
    fx.post(&format!("/api/v1/quotations/{quote}/issue"), json!(null)).await;
    fx.object("/api/v1/quotations/{id}", &quote);
    fx.body("PUT /api/v1/quotations/{id}", draft);
    fx.body("POST /api/v1/quotations/{id}/cancel", json!({ "reason": "withdrawn" }));

    let bill = json!({ "party_id": supplier, "supplier_number": format!("{name}-S-77"), "lines": [{ "item_id": item_id, "quantity": "3", "unit_price": "40000" }] });
    let bill_id = id(&fx.post("/api/v1/bills", bill.clone()).await, "a purchase bill");
    fx.post(&format!("/api/v1/bills/{bill_id}/issue"), json!(null)).await;
    fx.object("/api/v1/bills/{id}", &bill_id);
    fx.mark(&format!("{name}-S-77"));
    fx.body("PUT /api/v1/bills/{id}", bill);
    fx.body("POST /api/v1/bills/{id}/cancel", json!({ "reason": "duplicate" }));

    let accounts = fx.get("/api/v1/accounts").await;
    let find = |code: &str| -> String {
        accounts
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["code"] == code)
            .map(|a| id(a, "an account"))
            .unwrap_or_default()
    };
    let (cash, capital) = (find("1000"), find("3000"));
    fx.object("/api/v1/accounts/{id}", &cash);
    fx.body(
        "PUT /api/v1/accounts/{id}",
        json!({ "code": "1000", "name": "Cash in hand", "kind": "asset" }),
    );
    let journal = fx
        .post(
            "/api/v1/journals",
            json!({ "date": chrono::Utc::now().date_naive(), "narration": format!("{name} capital brought in"),
                    "lines": [{ "account_id": cash, "debit": "25000" }, { "account_id": capital, "credit": "25000" }] }),
        )
        .await;
    let journal = id(&journal, "a journal");
    fx.object("/api/v1/journals/{id}", &journal);
    fx.mark(&format!("{name} capital brought in"));
    fx.post("/api/v1/number-series", json!({ "kind": "invoice", "name": format!("{name} export"), "template": "EXP/{FY}/{SEQ}" }))
        .await;
    fx.mark(&format!("{name} export"));
    // E-invoicing set up (the stand-in IRP's public keys), and the
    // invoice registered: the IRP is not reached from here, so its
    // registration row is made directly.
    fx.call(
        "PUT",
        "/api/v1/gst/e-invoice/settings",
        Some(json!({
            "enabled": true, "auto_generate": false, "base_url": "https://einvoice.example.com",
            "client_id": format!("{name}-irp-client"), "client_secret": "secret", "username": "api_user",
            "password": "secret", "encryption_key": STANDIN_KEY, "signing_key": STANDIN_KEY,
        })),
    )
    .await;
    fx.mark(&format!("{name}-irp-client"));
    let transport = json!({ "mode": "road", "distance_km": 350, "vehicle_no": "KA01AB1234", "transporter_name": format!("{name} Roadways") });
    let ewb = fx
        .call("PUT", &format!("/api/v1/invoices/{invoice}/e-way-bill"), Some(transport.clone()))
        .await;
    assert_eq!(ewb["status"], "prepared", "{name}'s e-way bill: {ewb}");
    fx.body("PUT /api/v1/invoices/{id}/e-way-bill", transport);
    // The logo's route takes an image body, which the fixture does not
    // send; its row is made directly.
    let mut su = fx.superuser().await;
    let logo = sqlx::query(
        "INSERT INTO company_logos (tenant_id, content_type, bytes) VALUES ($1::uuid, 'image/png', $2)",
    )
    .bind(fx.tenant_id())
    .bind(include_bytes!("../tests/data/logo.png").as_slice())
    .execute(&mut su)
    .await;
    assert!(logo.is_ok(), "{logo:?}");
    let own_code = sqlx::query(
        "INSERT INTO hsn_custom (tenant_id, code, description) VALUES ($1::uuid, '12345678', $2)",
    )
    .bind(fx.tenant_id())
    .bind(format!("{name} special widgets"))
    .execute(&mut su)
    .await;
    assert!(own_code.is_ok(), "{own_code:?}");
    fx.mark(&format!("{name} special widgets"));
    let irn = format!("{:0>64}", fx.tenant_id().replace('-', ""));
    let registered = sqlx::query(
        "INSERT INTO einvoices (tenant_id, document_id, status, irn, ack_no, ack_at, signed_invoice, signed_qr)
         VALUES ($1::uuid, $2::uuid, 'generated', $3, '112610000000001', now(), 'e.e.e', 'q.q.q')",
    )
    .bind(fx.tenant_id())
    .bind(&invoice)
    .bind(&irn)
    .execute(&mut su)
    .await;
    assert!(registered.is_ok(), "{registered:?}");
}

/// A public key in the form the e-invoicing settings take.
const STANDIN_KEY: &str = include_str!("../../standin/src/keys/signing.pub.pem");
