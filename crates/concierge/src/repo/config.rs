//! The bot's settings, intents and templates.

use chrono::NaiveDate;
use kernel::db::TenantTx;
use uuid::Uuid;

use crate::model::{BotSettings, MessageTemplate};

#[derive(sqlx::FromRow)]
struct SettingsRow {
    bot_enabled: bool,
    persona: String,
    prompt: String,
    language: String,
    greeting: String,
    history_turns: i32,
    sentiment_threshold: f32,
    max_unanswered: i32,
    hours: sqlx::types::Json<Vec<crate::hours::OpeningPeriod>>,
    holidays: Vec<NaiveDate>,
    csat_enabled: bool,
    rate_limit_per_minute: i32,
    retention_days: i32,
}

/// The company's settings (the defaults until changed).
pub async fn settings(tx: &mut TenantTx) -> Result<BotSettings, sqlx::Error> {
    let tenant = tx.tenant();
    let row: Option<SettingsRow> = sqlx::query_as(kernel::sql!(
        "SELECT bot_enabled, persona, prompt, language, greeting, history_turns, sentiment_threshold,
                max_unanswered, hours, holidays, csat_enabled, rate_limit_per_minute, retention_days
           FROM concierge_settings WHERE tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        None => BotSettings::default(),
        Some(r) => BotSettings {
            bot_enabled: r.bot_enabled,
            persona: r.persona,
            prompt: r.prompt,
            language: r.language,
            greeting: r.greeting,
            history_turns: r.history_turns,
            sentiment_threshold: r.sentiment_threshold,
            max_unanswered: r.max_unanswered,
            hours: r.hours.0,
            holidays: r.holidays,
            csat_enabled: r.csat_enabled,
            rate_limit_per_minute: r.rate_limit_per_minute,
            retention_days: r.retention_days,
        },
    })
}

/// Saves the company's settings.
pub async fn put_settings(tx: &mut TenantTx, s: &BotSettings) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query(kernel::sql!(
        "INSERT INTO concierge_settings (tenant_id, bot_enabled, persona, prompt, language, greeting, history_turns,
                sentiment_threshold, max_unanswered, hours, holidays, csat_enabled, rate_limit_per_minute,
                retention_days)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (tenant_id) DO UPDATE SET bot_enabled = $2, persona = $3, prompt = $4, language = $5,
                greeting = $6, history_turns = $7, sentiment_threshold = $8, max_unanswered = $9, hours = $10,
                holidays = $11, csat_enabled = $12, rate_limit_per_minute = $13, retention_days = $14,
                updated_at = now()"
    ))
    .bind(tenant)
    .bind(s.bot_enabled)
    .bind(&s.persona)
    .bind(&s.prompt)
    .bind(&s.language)
    .bind(&s.greeting)
    .bind(s.history_turns)
    .bind(s.sentiment_threshold)
    .bind(s.max_unanswered)
    .bind(sqlx::types::Json(&s.hours))
    .bind(&s.holidays)
    .bind(s.csat_enabled)
    .bind(s.rate_limit_per_minute)
    .bind(s.retention_days)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A company's intent as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntentRow {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Examples.
    pub examples: Vec<String>,
    /// Action.
    pub action: String,
    /// Reply.
    pub reply: String,
}

/// The company's intents, by name.
pub async fn intents(tx: &mut TenantTx) -> Result<Vec<IntentRow>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, name, examples, action, reply FROM concierge_intents WHERE tenant_id = $1 ORDER BY name"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// Inserts or replaces an intent by id; false when another has the name.
pub async fn put_intent(tx: &mut TenantTx, i: &IntentRow) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "INSERT INTO concierge_intents (tenant_id, id, name, examples, action, reply)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, id) DO UPDATE SET name = $3, examples = $4, action = $5, reply = $6,
                updated_at = now()"
    ))
    .bind(tenant)
    .bind(i.id)
    .bind(&i.name)
    .bind(&i.examples)
    .bind(&i.action)
    .bind(&i.reply)
    .execute(&mut **tx)
    .await;
    match r {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e))
            if e.constraint() == Some("concierge_intents_tenant_id_name_key") =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Whether the company has this intent.
pub async fn intent_exists(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_scalar(kernel::sql!(
        "SELECT EXISTS (SELECT 1 FROM concierge_intents WHERE tenant_id = $1 AND id = $2)"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_one(&mut **tx)
    .await
}

/// Deletes an intent.
pub async fn delete_intent(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r =
        sqlx::query(kernel::sql!("DELETE FROM concierge_intents WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    Ok(r.rows_affected() > 0)
}

/// The company's templates.
pub async fn templates(tx: &mut TenantTx) -> Result<Vec<MessageTemplate>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, name, language, body, variables, created_at FROM concierge_templates
          WHERE tenant_id = $1 ORDER BY name, language"
    ))
    .bind(tenant)
    .fetch_all(&mut **tx)
    .await
}

/// A template by name and language.
pub async fn template(
    tx: &mut TenantTx,
    name: &str,
    language: &str,
) -> Result<Option<MessageTemplate>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "SELECT id, name, language, body, variables, created_at FROM concierge_templates
          WHERE tenant_id = $1 AND name = $2 AND language = $3"
    ))
    .bind(tenant)
    .bind(name)
    .bind(language)
    .fetch_optional(&mut **tx)
    .await
}

/// Adds a template; `None` when one of the name and language exists.
pub async fn add_template(
    tx: &mut TenantTx,
    name: &str,
    language: &str,
    body: &str,
    variables: i32,
) -> Result<Option<MessageTemplate>, sqlx::Error> {
    let tenant = tx.tenant();
    sqlx::query_as(kernel::sql!(
        "INSERT INTO concierge_templates (tenant_id, id, name, language, body, variables)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING
         RETURNING id, name, language, body, variables, created_at"
    ))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(name)
    .bind(language)
    .bind(body)
    .bind(variables)
    .fetch_optional(&mut **tx)
    .await
}

/// Deletes a template.
pub async fn delete_template(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant();
    let r = sqlx::query(kernel::sql!(
        "DELETE FROM concierge_templates WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() > 0)
}
