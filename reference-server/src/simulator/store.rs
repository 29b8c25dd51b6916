//! SQL on `sim_outbox`.

use sqlx::AnyPool;

use super::model::{OutboxRow, SimMessage, SimSend};
use crate::db::{new_id, now_ms};

/// Stores one simulated send in the caller's write job and returns its
/// `sim.<uuid>` provider message id.
pub(crate) async fn record_on(
    c: &mut sqlx::AnyConnection,
    tenant_id: Option<&str>,
    device_id: Option<&str>,
    to: &str,
    message: &serde_json::Value,
) -> Result<String, sqlx::Error> {
    let send = SimSend {
        tenant_id,
        device_id,
        to,
        message,
    };
    record_many(c, std::slice::from_ref(&send))
        .await?
        .pop()
        .ok_or(sqlx::Error::RowNotFound)
}

/// Stores simulated sends in the caller's write job (so the bots store a
/// reply and its "sending" together), with one multi-row insert per chunk,
/// and returns their `sim.<uuid>` provider message ids, in order.
pub(crate) async fn record_many(
    c: &mut sqlx::AnyConnection,
    sends: &[SimSend<'_>],
) -> Result<Vec<String>, sqlx::Error> {
    let now = now_ms();
    let ids: Vec<String> = sends
        .iter()
        .map(|_| format!("sim.{}", uuid::Uuid::now_v7().simple()))
        .collect();
    let rows: Vec<(&SimSend<'_>, &String)> = sends.iter().zip(&ids).collect();
    crate::db::execute_rows(
        c,
        &rows,
        7,
        |values| {
            format!(
                "INSERT INTO sim_outbox (id, tenant_id, device_id, to_number, message_json, \
                 provider_message_id, created_at) VALUES {values}"
            )
        },
        |q, (send, provider_message_id)| {
            q.bind(new_id())
                .bind(send.tenant_id)
                .bind(send.device_id)
                .bind(send.to)
                .bind(send.message.to_string())
                .bind(provider_message_id.as_str())
                .bind(now)
        },
    )
    .await?;
    for send in sends {
        tracing::info!(
            sender = send.device_id.unwrap_or("platform"),
            to = %send.to,
            message = %send.message,
            "simulator: message sent"
        );
    }
    Ok(ids)
}

/// Lists outbox rows of one sender (`tenant_id`/`device_id` `None` = the
/// platform sender), optionally to one recipient, newest first.
pub async fn list(
    pool: &AnyPool,
    tenant_id: Option<&str>,
    device_id: Option<&str>,
    to: Option<&str>,
    limit: i64,
) -> Result<Vec<SimMessage>, sqlx::Error> {
    // `IS NOT DISTINCT FROM` is not SQLite; spell the NULL match out.
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, tenant_id, device_id, to_number, message_json, provider_message_id, created_at \
             FROM sim_outbox \
             WHERE ((tenant_id IS NULL AND $1 IS NULL) OR tenant_id = $1) \
               AND ((device_id IS NULL AND $2 IS NULL) OR device_id = $2) \
               AND ($3 IS NULL OR to_number = $3) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
    )
    .bind(tenant_id.map(str::to_owned))
    .bind(device_id.map(str::to_owned))
    .bind(to.map(str::to_owned))
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(SimMessage::from).collect())
}

/// Deletes the simulated sends of a vendor.
pub(crate) async fn purge_tenant(
    conn: &mut sqlx::AnyConnection,
    tenant_id: &crate::domain::TenantId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sim_outbox WHERE tenant_id = $1")
        .bind(tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}
