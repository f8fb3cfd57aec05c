//! All of identity's SQL. Tenant functions take the tenant first and run
//! inside a tenant transaction (row-level security applies); global
//! functions (tenants, users, resets) say so.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;
use sqlx::types::Json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{RoleId, TenantId, TenantSettings, UserId};

/// A tenant (global table).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Tenant {
    /// Id.
    pub id: TenantId,
    /// Company name.
    pub name: String,
    /// URL name, unique.
    pub slug: String,
    /// Industry.
    pub industry: Option<String>,
    /// GSTIN.
    pub gstin: Option<String>,
    /// GST state code.
    pub state: Option<String>,
    /// ISO 4217 currency.
    pub currency: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Settings.
    #[schema(value_type = TenantSettings)]
    pub settings: Json<TenantSettings>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Fields of a new tenant.
#[derive(Debug, Clone)]
pub struct NewTenant<'a> {
    /// Id.
    pub id: TenantId,
    /// Name.
    pub name: &'a str,
    /// Slug.
    pub slug: &'a str,
    /// Industry.
    pub industry: Option<&'a str>,
    /// GSTIN.
    pub gstin: Option<&'a str>,
    /// State code.
    pub state: Option<&'a str>,
    /// Currency.
    pub currency: &'a str,
    /// Time zone.
    pub time_zone: &'a str,
}

/// Global: inserts a tenant.
pub async fn insert_tenant(
    conn: &mut PgConnection,
    t: &NewTenant<'_>,
) -> Result<Tenant, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO tenants (id, name, slug, industry, gstin, state, currency, time_zone, settings)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
    )
    .bind(t.id)
    .bind(t.name)
    .bind(t.slug)
    .bind(t.industry)
    .bind(t.gstin)
    .bind(t.state)
    .bind(t.currency)
    .bind(t.time_zone)
    .bind(Json(TenantSettings::default()))
    .fetch_one(conn)
    .await
}

/// Global: the slugs in use that start with `base`.
pub async fn slugs_like(conn: &mut PgConnection, base: &str) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT slug FROM tenants WHERE slug = $1 OR slug LIKE $1 || '-%'")
            .bind(base)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Global: a tenant by id.
pub async fn tenant(conn: &mut PgConnection, id: TenantId) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tenants WHERE id = $1").bind(id).fetch_optional(conn).await
}

/// Global: a tenant by slug.
pub async fn tenant_by_slug(
    conn: &mut PgConnection,
    slug: &str,
) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as("SELECT * FROM tenants WHERE slug = $1").bind(slug).fetch_optional(conn).await
}

/// Global: writes a tenant's editable fields.
pub async fn update_tenant(conn: &mut PgConnection, t: &Tenant) -> Result<Tenant, sqlx::Error> {
    sqlx::query_as(
        "UPDATE tenants SET name = $2, industry = $3, gstin = $4, state = $5, currency = $6,
                time_zone = $7, settings = $8, updated_at = now()
          WHERE id = $1 RETURNING *",
    )
    .bind(t.id)
    .bind(&t.name)
    .bind(&t.industry)
    .bind(&t.gstin)
    .bind(&t.state)
    .bind(&t.currency)
    .bind(&t.time_zone)
    .bind(&t.settings)
    .fetch_one(conn)
    .await
}

/// A person (global table).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// Global: a person by e-mail.
pub async fn user_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, name, password_hash, created_at FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// Global: a person by id.
pub async fn user(conn: &mut PgConnection, id: UserId) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as("SELECT id, email, name, password_hash, created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Global: inserts a person.
pub async fn insert_user(
    conn: &mut PgConnection,
    id: UserId,
    email: &str,
    name: &str,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(password_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Global: sets a person's password.
pub async fn set_password(
    conn: &mut PgConnection,
    id: UserId,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Global: sets a person's display name.
pub async fn set_user_name(
    conn: &mut PgConnection,
    id: UserId,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET name = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// One of a person's memberships, with its tenant.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct MembershipSummary {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Its name.
    pub name: String,
    /// Its URL name.
    pub slug: String,
    /// `active` or `deactivated`.
    pub status: String,
    /// Last sign-in there.
    pub last_login_at: Option<DateTime<Utc>>,
}

/// A person's memberships across tenants. Runs in a transaction where
/// `app.user_id` is set to the (authenticated) person.
pub async fn memberships_of(
    conn: &mut PgConnection,
    user: UserId,
) -> Result<Vec<MembershipSummary>, sqlx::Error> {
    sqlx::query("SELECT set_config('app.user_id', $1, true)")
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(
        "SELECT m.tenant_id, t.name, t.slug, m.status, m.last_login_at
           FROM memberships m JOIN tenants t ON t.id = m.tenant_id
          WHERE m.user_id = $1
          ORDER BY m.last_login_at DESC NULLS LAST, m.created_at",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

/// Inserts an active membership.
pub async fn insert_membership(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (tenant_id, user_id) VALUES ($1, $2)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET status = 'active', updated_at = now()",
    )
    .bind(tenant)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// What authentication needs to know about a member.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberAuth {
    /// `active` or `deactivated`.
    pub status: String,
    /// Tokens issued before this are void.
    pub sessions_valid_after: Option<DateTime<Utc>>,
    /// Role ids.
    pub role_ids: Vec<Uuid>,
    /// System keys of the roles (None for custom roles).
    pub role_keys: Vec<Option<String>>,
    /// Role names.
    pub role_names: Vec<String>,
    /// Permissions of the custom roles.
    pub custom_permissions: Vec<String>,
}

/// A member's status, roles and custom permissions.
pub async fn member_auth(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<MemberAuth>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.status, m.sessions_valid_after,
                coalesce(array_agg(r.id ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_ids,
                coalesce(array_agg(r.key ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_keys,
                coalesce(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.id IS NOT NULL), '{}') AS role_names,
                coalesce((SELECT array_agg(DISTINCT rp.permission) FROM member_roles mr2
                            JOIN role_permissions rp ON rp.tenant_id = mr2.tenant_id AND rp.role_id = mr2.role_id
                           WHERE mr2.tenant_id = $1 AND mr2.user_id = $2), '{}') AS custom_permissions
           FROM memberships m
           LEFT JOIN member_roles mr ON mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id
           LEFT JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
          WHERE m.tenant_id = $1 AND m.user_id = $2
          GROUP BY m.status, m.sessions_valid_after",
    )
    .bind(tenant)
    .bind(user)
    .fetch_optional(conn)
    .await
}

/// Records a sign-in.
pub async fn touch_login(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE memberships SET last_login_at = now() WHERE tenant_id = $1 AND user_id = $2",
    )
    .bind(tenant)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets a member's status; returns false if there is no such member.
pub async fn set_member_status(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    status: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE memberships SET status = $3, updated_at = now(),
                sessions_valid_after = CASE WHEN $3 = 'deactivated' THEN now() ELSE sessions_valid_after END
          WHERE tenant_id = $1 AND user_id = $2",
    )
    .bind(tenant)
    .bind(user)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Voids every token issued to the member so far.
pub async fn void_sessions(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE memberships SET sessions_valid_after = now() WHERE tenant_id = $1 AND user_id = $2",
    )
    .bind(tenant)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// A member as listed.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Member {
    /// The person's id.
    pub id: UserId,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `active` or `deactivated`.
    pub status: String,
    /// Their roles.
    #[schema(value_type = Vec<RoleRef>)]
    pub roles: Json<Vec<RoleRef>>,
    /// Last sign-in in this company.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Member since.
    pub created_at: DateTime<Utc>,
}

/// A role as referenced from a member.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq, Eq)]
pub struct RoleRef {
    /// Role id.
    pub id: RoleId,
    /// System key (`owner`, …) or null for custom roles.
    pub key: Option<String>,
    /// Name.
    pub name: String,
}

const MEMBER_SELECT: &str = "
    SELECT u.id, u.email, u.name, m.status, m.last_login_at, m.created_at,
           coalesce((SELECT json_agg(json_build_object('id', r.id, 'key', r.key, 'name', r.name) ORDER BY r.name)
                       FROM member_roles mr JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id
                      WHERE mr.tenant_id = m.tenant_id AND mr.user_id = m.user_id), '[]')::jsonb AS roles
      FROM memberships m JOIN users u ON u.id = m.user_id";

/// One member.
pub async fn member(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<Member>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBER_SELECT} WHERE m.tenant_id = $1 AND m.user_id = $2"
    )))
    .bind(tenant)
    .bind(user)
    .fetch_optional(conn)
    .await
}

/// Members after a (created_at, id) key, oldest first.
pub async fn members(
    conn: &mut PgConnection,
    tenant: TenantId,
    after: Option<(DateTime<Utc>, UserId)>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let (at, id) = after.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEMBER_SELECT} WHERE m.tenant_id = $1
            AND ($2::timestamptz IS NULL OR (m.created_at, m.user_id) > ($2, $3))
            AND ($4::text IS NULL OR m.status = $4)
          ORDER BY m.created_at, m.user_id LIMIT $5"
    )))
    .bind(tenant)
    .bind(at)
    .bind(id)
    .bind(status)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Active members holding the owner role.
pub async fn active_owner_count(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM member_roles mr
           JOIN roles r ON r.tenant_id = mr.tenant_id AND r.id = mr.role_id AND r.key = 'owner'
           JOIN memberships m ON m.tenant_id = mr.tenant_id AND m.user_id = mr.user_id AND m.status = 'active'
          WHERE mr.tenant_id = $1",
    )
    .bind(tenant)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Locks the tenant's owner assignments (serialises last-owner checks).
pub async fn lock_owners(conn: &mut PgConnection, tenant: TenantId) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM roles WHERE tenant_id = $1 AND key = 'owner' FOR UPDATE")
        .bind(tenant)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces a member's roles.
pub async fn set_member_roles(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    roles: &[RoleId],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM member_roles WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant)
        .bind(user)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<Uuid> = roles.iter().map(RoleId::as_uuid).collect();
    sqlx::query(
        "INSERT INTO member_roles (tenant_id, user_id, role_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(tenant)
    .bind(user)
    .bind(&ids)
    .execute(conn)
    .await?;
    Ok(())
}

/// A role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoleRow {
    /// Id.
    pub id: RoleId,
    /// System key.
    pub key: Option<String>,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Custom permissions (empty for system roles).
    pub permissions: Vec<String>,
    /// People holding it.
    pub members: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Changed.
    pub updated_at: DateTime<Utc>,
}

const ROLE_SELECT: &str = "
    SELECT r.id, r.key, r.name, r.description, r.created_at, r.updated_at,
           coalesce((SELECT array_agg(p.permission ORDER BY p.permission) FROM role_permissions p
                      WHERE p.tenant_id = r.tenant_id AND p.role_id = r.id), '{}') AS permissions,
           (SELECT count(*) FROM member_roles mr WHERE mr.tenant_id = r.tenant_id AND mr.role_id = r.id) AS members
      FROM roles r";

/// Every role of the tenant, system roles first.
pub async fn roles(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<RoleRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ROLE_SELECT} WHERE r.tenant_id = $1
          ORDER BY array_position(ARRAY['owner', 'admin', 'accountant', 'sales', 'business', 'member'], r.key) NULLS LAST,
                   r.created_at, r.name"
    )))
    .bind(tenant)
    .fetch_all(conn)
    .await
}

/// One role.
pub async fn role(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: RoleId,
) -> Result<Option<RoleRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ROLE_SELECT} WHERE r.tenant_id = $1 AND r.id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Inserts a role with its permissions.
pub async fn insert_role(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: RoleId,
    key: Option<&str>,
    name: &str,
    description: &str,
    permissions: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO roles (tenant_id, id, key, name, description) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant)
    .bind(id)
    .bind(key)
    .bind(name)
    .bind(description)
    .execute(&mut *conn)
    .await?;
    set_role_permissions(conn, tenant, id, permissions).await
}

/// Replaces a custom role's permissions.
pub async fn set_role_permissions(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: RoleId,
    permissions: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO role_permissions (tenant_id, role_id, permission) SELECT $1, $2, unnest($3::text[])")
        .bind(tenant)
        .bind(id)
        .bind(permissions)
        .execute(conn)
        .await?;
    Ok(())
}

/// Renames / re-describes a role.
pub async fn update_role(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: RoleId,
    name: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE roles SET name = $3, description = $4, updated_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(name)
        .bind(description)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a role.
pub async fn delete_role(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: RoleId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM roles WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A stored refresh token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    /// Session (family).
    pub family_id: Uuid,
    /// The person.
    pub user_id: UserId,
    /// SHA-256 of the secret.
    pub token_hash: Vec<u8>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a refresh token.
#[allow(clippy::too_many_arguments)]
pub async fn insert_refresh(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    family: Uuid,
    user: UserId,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    ip: Option<String>,
    user_agent: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (tenant_id, id, family_id, user_id, token_hash, expires_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $5, $6, $7::inet, $8)",
    )
    .bind(tenant)
    .bind(id)
    .bind(family)
    .bind(user)
    .bind(hash)
    .bind(expires_at)
    .bind(ip)
    .bind(user_agent)
    .execute(conn)
    .await?;
    Ok(())
}

/// A refresh token, locked for exchange.
pub async fn refresh_for_update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<RefreshRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT family_id, user_id, token_hash, expires_at, used_at, revoked_at
           FROM refresh_tokens WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks a refresh token exchanged.
pub async fn mark_refresh_used(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes every token of a session; returns how many were live.
pub async fn revoke_family(
    conn: &mut PgConnection,
    tenant: TenantId,
    family: Uuid,
    reason: &str,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
          WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL",
    )
    .bind(tenant)
    .bind(family)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Revokes every session of a member; returns the sessions' ids.
pub async fn revoke_member_sessions(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    reason: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows: Vec<(Uuid,)> = sqlx::query_as(
        "UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = $3
          WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL
          RETURNING family_id",
    )
    .bind(tenant)
    .bind(user)
    .bind(reason)
    .fetch_all(conn)
    .await?;
    let mut ids: Vec<Uuid> = rows.into_iter().map(|r| r.0).collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// An invitation.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Invitation {
    /// Id.
    pub id: Uuid,
    /// Invitee's e-mail.
    pub email: String,
    /// Roles they will get.
    pub role_ids: Vec<Uuid>,
    /// Who invited.
    pub invited_by: Option<Uuid>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When accepted.
    pub accepted_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    /// SHA-256 of the token's secret.
    pub token_hash: Vec<u8>,
}

/// Stores an invitation.
#[allow(clippy::too_many_arguments)]
pub async fn insert_invitation(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    email: &str,
    roles: &[Uuid],
    hash: &[u8],
    invited_by: Option<Uuid>,
    expires_at: DateTime<Utc>,
) -> Result<Invitation, sqlx::Error> {
    sqlx::query_as(
        "INSERT INTO invitations (tenant_id, id, email, role_ids, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, email, role_ids, invited_by, expires_at, accepted_at, revoked_at, created_at, token_hash",
    )
    .bind(tenant)
    .bind(id)
    .bind(email)
    .bind(roles)
    .bind(hash)
    .bind(invited_by)
    .bind(expires_at)
    .fetch_one(conn)
    .await
}

const INVITATION_COLUMNS: &str =
    "id, email, role_ids, invited_by, expires_at, accepted_at, revoked_at, created_at, token_hash";

/// One invitation (locked when `for_update`).
pub async fn invitation(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    for_update: bool,
) -> Result<Option<Invitation>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE tenant_id = $1 AND id = $2{lock}"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Pending invitations after an id, oldest first.
pub async fn pending_invitations(
    conn: &mut PgConnection,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Invitation>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations
          WHERE tenant_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
            AND ($2::uuid IS NULL OR id > $2)
          ORDER BY id LIMIT $3"
    )))
    .bind(tenant)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks an invitation accepted.
pub async fn accept_invitation(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    by: UserId,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invitations SET accepted_at = now(), accepted_by = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Revokes a pending invitation; false when none was pending.
pub async fn revoke_invitation(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE invitations SET revoked_at = now()
          WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(tenant)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// An API key as listed (never its secret).
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct ApiKey {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The key's visible beginning.
    pub prefix: String,
    /// Permissions it carries.
    pub permissions: Vec<String>,
    /// Who made it.
    pub created_by: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    /// SHA-256 of the secret.
    pub secret_hash: Vec<u8>,
}

const KEY_COLUMNS: &str = "id, name, prefix, permissions, created_by, created_at, expires_at, last_used_at, revoked_at, secret_hash";

/// Stores an API key.
#[allow(clippy::too_many_arguments)]
pub async fn insert_api_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &str,
    prefix: &str,
    hash: &[u8],
    permissions: &[String],
    created_by: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<ApiKey, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO api_keys (tenant_id, id, name, prefix, secret_hash, permissions, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {KEY_COLUMNS}"
    )))
    .bind(tenant)
    .bind(id)
    .bind(name)
    .bind(prefix)
    .bind(hash)
    .bind(permissions)
    .bind(created_by)
    .bind(expires_at)
    .fetch_one(conn)
    .await
}

/// One API key.
pub async fn api_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ApiKey>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// API keys after an id (newest last).
pub async fn api_keys(
    conn: &mut PgConnection,
    tenant: TenantId,
    after: Option<Uuid>,
    include_revoked: bool,
    limit: i64,
) -> Result<Vec<ApiKey>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
          WHERE tenant_id = $1 AND ($2::uuid IS NULL OR id > $2) AND ($3 OR revoked_at IS NULL)
          ORDER BY id LIMIT $4"
    )))
    .bind(tenant)
    .bind(after)
    .bind(include_revoked)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Revokes an API key; false when it was not live.
pub async fn revoke_api_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that a key was used.
pub async fn touch_api_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE api_keys SET last_used_at = now() WHERE tenant_id = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Global: stores a password reset.
pub async fn insert_reset(
    conn: &mut PgConnection,
    id: Uuid,
    user: UserId,
    hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(user)
    .bind(hash)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: whether a reset was requested for the person in the last minute.
pub async fn recent_reset(conn: &mut PgConnection, user: UserId) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM password_resets WHERE user_id = $1 AND created_at > now() - interval '1 minute'",
    )
    .bind(user)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Global: a reset, locked; (user, hash, expired or used).
pub async fn reset_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<(UserId, Vec<u8>, bool)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT user_id, token_hash, (used_at IS NOT NULL OR expires_at < now()) AS spent
           FROM password_resets WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Global: marks a reset used (and any other open reset of the person).
pub async fn spend_resets(conn: &mut PgConnection, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: remembers a session as ended (checked on every request).
pub async fn end_sessions(conn: &mut PgConnection, sessions: &[Uuid]) -> Result<(), sqlx::Error> {
    if sessions.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ended_sessions (session_id, ended_at) SELECT unnest($1::uuid[]), now()
         ON CONFLICT (session_id) DO NOTHING",
    )
    .bind(sessions)
    .execute(conn)
    .await?;
    Ok(())
}

/// Global: sessions ended recently enough that their access tokens may
/// still be live.
pub async fn recently_ended_sessions(
    conn: &mut PgConnection,
    within_secs: f64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT session_id FROM ended_sessions WHERE ended_at > now() - make_interval(secs => $1)",
    )
    .bind(within_secs)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
