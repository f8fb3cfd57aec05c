//! What `tessera doctor` reads about the database as the application role.

use sqlx::PgConnection;

/// The application role's view of its database.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// `server_version`.
    pub server_version: String,
    /// The role connected.
    pub role: String,
    /// Whether it is a superuser.
    pub superuser: bool,
    /// Whether it bypasses row-level security.
    pub bypass_rls: bool,
    /// pgvector's version, when installed.
    pub pgvector: Option<String>,
    /// Tables of `public` the role owns.
    pub owned_tables: i64,
    /// Privileged functions (queue, audit retention) the role may run.
    pub privileged_functions: Vec<String>,
    /// Whether the text-search match is leakproof, so full-text search
    /// uses its index under row-level security.
    pub text_match_leakproof: bool,
}

/// Reads the [`Inspection`] through `conn` (the application role's).
pub async fn inspect(conn: &mut PgConnection) -> Result<Inspection, sqlx::Error> {
    let (server_version, role, superuser, bypass_rls): (String, String, bool, bool) =
        sqlx::query_as(crate::sql!(
            "SELECT current_setting('server_version'), current_user::text, rolsuper, rolbypassrls
               FROM pg_roles WHERE rolname = current_user"
        ))
        .fetch_one(&mut *conn)
        .await?;
    let pgvector: Option<(String,)> =
        sqlx::query_as(crate::sql!("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
            .fetch_optional(&mut *conn)
            .await?;
    let (owned_tables,): (i64,) = sqlx::query_as(crate::sql!(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user"
    ))
    .fetch_one(&mut *conn)
    .await?;
    let privileged: Vec<(String,)> = sqlx::query_as(crate::sql!(
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public'
            AND (p.prosecdef OR p.proname IN (SELECT name FROM privileged_functions))
            AND has_function_privilege(current_user, p.oid, 'EXECUTE')
          ORDER BY 1"
    ))
    .fetch_all(&mut *conn)
    .await?;
    let (text_match_leakproof,): (bool,) = sqlx::query_as(crate::sql!(
        "SELECT proleakproof FROM pg_proc WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok(Inspection {
        server_version,
        role,
        superuser,
        bypass_rls,
        pgvector: pgvector.map(|v| v.0),
        owned_tables,
        privileged_functions: privileged.into_iter().map(|p| p.0).collect(),
        text_match_leakproof,
    })
}
