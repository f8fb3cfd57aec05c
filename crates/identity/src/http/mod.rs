//! Identity's HTTP routes: thin handlers that extract, call a service and
//! shape the response.

mod account;
mod audit;
mod auth;
mod delivery;
mod keys;
mod people;
mod roles;

use kernel::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use account::*;
pub use audit::*;
pub use auth::*;
pub use delivery::Delivery;
pub use keys::*;
pub use people::*;
pub use roles::*;

/// The OpenAPI tag of these routes.
pub const TAG: &str = "identity";

/// Every identity route.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(refresh_cookie))
        .routes(routes!(logout))
        .routes(routes!(switch))
        .routes(routes!(change_password))
        .routes(routes!(request_reset))
        .routes(routes!(reset_password))
        .routes(routes!(accept_invitation))
        .routes(routes!(me, update_me))
        .routes(routes!(create_tenant))
        .routes(routes!(get_tenant, update_tenant))
        .routes(routes!(list_users))
        .routes(routes!(get_user, update_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(reactivate_user))
        .routes(routes!(list_invitations, create_invitation))
        .routes(routes!(revoke_invitation))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_permissions))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(revoke_api_key))
        .routes(routes!(list_audit))
        .routes(routes!(jwks))
}
