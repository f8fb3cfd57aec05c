//! The committed copy of the OpenAPI document (docs/openapi.json) matches
//! what the server generates. Regenerate with
//! `UPDATE_OPENAPI=1 cargo test -p server --test it openapi::`.

use std::path::PathBuf;

#[test]
fn committed_openapi_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = serde_json::to_string_pretty(&server::openapi()).expect("serialize") + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date: run `UPDATE_OPENAPI=1 cargo test -p server --test it openapi::`"
    );
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(server::openapi()).expect("serialize");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} has no tag"
            );
        }
    }
}
