//! Every SQL statement of the build, recorded where it is written.
//!
//! Statements are written with [`sql!`](crate::sql): it returns the text
//! unchanged and records it (with its file and line) in the build's list,
//! so a test prepares every one of them against the migrated schema as
//! the application role — a misspelt column, a missing table or a
//! parameter of the wrong type fails the build's tests, not a request.
//! Domain crates write them only in their `repo` modules (a test checks
//! that too).
//!
//! ```ignore
//! sqlx::query_as(kernel::sql!("SELECT id, name FROM roles WHERE tenant_id = $1"))
//! ```

/// A statement as the build's list records it.
#[derive(Debug)]
pub struct Statement {
    /// The SQL text.
    pub sql: &'static str,
    /// Where it is written.
    pub file: &'static str,
    /// The line it is written on.
    pub line: u32,
}

inventory::collect!(Statement);

/// Every statement written with [`sql!`](crate::sql) in this build.
pub fn statements() -> impl Iterator<Item = &'static Statement> {
    inventory::iter::<Statement>.into_iter()
}

/// A SQL statement (a string literal, or `concat!` of literals), recorded
/// in the build's list of statements.
#[macro_export]
macro_rules! sql {
    ($text:expr) => {{
        $crate::inventory::submit! {
            $crate::sql::Statement { sql: $text, file: ::core::file!(), line: ::core::line!() }
        }
        $text
    }};
}
