//! How SQL is kept correct: every statement of the build is written with
//! `kernel::sql!`, which records it, and this test prepares each one
//! against the migrated schema — a misspelt column, a missing table, a
//! function that does not exist or a parameter whose type cannot be worked
//! out fails here, not in a request. A second test keeps statements where
//! they belong: in the kernel and in the domains' `repo` modules, never as
//! bare literals.

use std::path::{Path, PathBuf};

use sqlx::Executor;
use testkit::TestApp;

#[tokio::test]
async fn every_statement_prepares_against_the_migrated_schema() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.owner().await;
    let statements: Vec<_> = kernel::sql::statements().collect();
    let mut problems = Vec::new();
    for s in &statements {
        if let Err(e) = (&mut conn).prepare(sqlx::SqlSafeStr::into_sql_str(s.sql)).await {
            problems.push(format!("{}:{}: {e}\n    {}", s.file, s.line, s.sql.trim()));
        }
    }
    assert!(
        problems.is_empty(),
        "{} statements do not prepare:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Every crate's statements are in the list (a crate not linked into
    // this binary would silently drop out).
    for dir in
        ["crates/kernel/", "crates/identity/", "crates/jobs/", "crates/ai/", "crates/server/"]
    {
        let n = statements.iter().filter(|s| s.file.contains(dir)).count();
        assert!(n > 0, "no statements recorded from {dir}");
    }
    assert!(statements.len() > 100, "only {} statements recorded", statements.len());
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn sql_is_written_only_in_repos_and_the_kernel() {
    let root = workspace();
    let mut problems = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        let name = krate.file_name().to_string_lossy().into_owned();
        // The test harness speaks to the database as a tool does.
        if name == "testkit" {
            continue;
        }
        let mut files = Vec::new();
        rust_files(&krate.path().join("src"), &mut files);
        for file in files {
            let rel = file.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&file).unwrap();
            let in_repo = rel.contains("/src/repo/") || rel.ends_with("/src/repo.rs");
            let is_fixture = rel.ends_with("/src/isolation.rs");
            let kernel = name == "kernel";
            for (i, line) in text.lines().enumerate() {
                let at = format!("{rel}:{}", i + 1);
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let literal_query =
                    ["sqlx::query(\"", "sqlx::query_as(\"", "sqlx::query_scalar(\""]
                        .iter()
                        .any(|p| line.contains(p));
                if literal_query && !is_fixture {
                    problems.push(format!("{at}: write the statement with kernel::sql!"));
                }
                if line.contains("sql!(") && !(in_repo || kernel || name == "server") {
                    problems.push(format!(
                        "{at}: SQL belongs in the crate's repo module (handlers and services call it)"
                    ));
                }
                if line.contains("raw_sql(") && !rel.starts_with("crates/kernel/src/db/") {
                    problems
                        .push(format!("{at}: raw SQL is for the kernel's database bootstrap only"));
                }
                if line.contains("AssertSqlSafe(") && !rel.starts_with("crates/kernel/src/db/") {
                    problems.push(format!("{at}: SQL built at run time is for the kernel only"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
