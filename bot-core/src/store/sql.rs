use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

use super::{ConversationStore, StoreError};
use crate::model::{Author, Conversation, HistoryEntry, Owner};

/// The migrations of the plugins' key-value table (`bot_kv`), versions
/// 9,100,000 to 9,100,099, so they share an application's `_sqlx_migrations` table
/// with its own. An app that keeps conversations in its own tables and uses
/// [`SqlStore`] only for the plugins' key-value store runs just these.
///
/// The migrator ignores versions it does not know, which are the app's.
#[must_use]
pub fn kv_migrator() -> Migrator {
    let mut m = sqlx::migrate!("migrations/kv");
    m.set_ignore_missing(true);
    m
}

/// The migrations of the rest of [`SqlStore`]'s tables (inbound claims,
/// conversations, tags, fields, history), after [`kv_migrator`]'s:
/// versions 9,100,100 to 9,199,999.
#[must_use]
pub fn conversations_migrator() -> Migrator {
    let mut m = sqlx::migrate!("migrations/conversations");
    m.set_ignore_missing(true);
    m
}

/// A [`ConversationStore`] on SQLite or PostgreSQL through sqlx's `AnyPool`.
///
/// Call [`SqlStore::migrate`] once at start (versioned migrations, see
/// [`kv_migrator`]). Tables are prefixed `bot_`.
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
}

impl SqlStore {
    /// Wraps an existing pool (the app's own). Install sqlx's drivers first
    /// (`sqlx::any::install_default_drivers()`).
    #[must_use]
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Connects to `url` (`sqlite:...` or `postgres://...`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let max = if url.starts_with("sqlite:") && url.contains(":memory:") {
            1
        } else {
            8
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .connect(url)
            .await?;
        Ok(Self { pool })
    }

    /// Applies the pending migrations of every table ([`kv_migrator`] and
    /// [`conversations_migrator`]).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        for m in [kv_migrator(), conversations_migrator()] {
            m.run(&self.pool)
                .await
                .map_err(|e| StoreError::Migration(e.to_string()))?;
        }
        Ok(())
    }

    /// The pool.
    #[must_use]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs a statement whose parameters are all text (`None` binds NULL),
    /// in order as `$1, $2, ...`; returns the rows affected.
    async fn exec_text(&self, sql: &str, args: &[Option<&str>]) -> Result<u64, StoreError> {
        let mut q = sqlx::query(sql);
        for a in args {
            q = q.bind(*a);
        }
        Ok(q.execute(&self.pool).await?.rows_affected())
    }

    async fn ensure(&self, tenant: &str, phone: &str, at_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO bot_conversations (tenant, phone, owner, updated_ms) VALUES ($1, $2, 'bot', $3)
             ON CONFLICT (tenant, phone) DO NOTHING",
        )
        .bind(tenant)
        .bind(phone)
        .bind(at_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn load(&self, tenant: &str, phone: &str) -> Result<Option<Conversation>, StoreError> {
        let row = sqlx::query(
            "SELECT name, user_id, owner, owner_since_ms, handoff_reason, state, updated_ms
             FROM bot_conversations WHERE tenant = $1 AND phone = $2",
        )
        .bind(tenant)
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut c = self.conversation_from_row(tenant, phone, &row)?;
        self.fill_tags_fields(&mut c).await?;
        Ok(Some(c))
    }

    fn conversation_from_row(
        &self,
        tenant: &str,
        phone: &str,
        row: &sqlx::any::AnyRow,
    ) -> Result<Conversation, StoreError> {
        let owner: String = row.try_get("owner")?;
        Ok(Conversation {
            id: phone.to_owned(),
            tenant: tenant.to_owned(),
            contact: phone.to_owned(),
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            owner: Owner::parse(&owner).ok_or(StoreError::Corrupt {
                what: "bot_conversations.owner",
                detail: owner,
            })?,
            owner_since_ms: row.try_get("owner_since_ms")?,
            handoff_reason: row.try_get("handoff_reason")?,
            state: row.try_get("state")?,
            tags: Vec::new(),
            fields: BTreeMap::new(),
            updated_ms: row.try_get("updated_ms")?,
        })
    }

    async fn fill_tags_fields(&self, c: &mut Conversation) -> Result<(), StoreError> {
        let tags =
            sqlx::query("SELECT tag FROM bot_tags WHERE tenant = $1 AND phone = $2 ORDER BY tag")
                .bind(&c.tenant)
                .bind(&c.contact)
                .fetch_all(&self.pool)
                .await?;
        c.tags = tags
            .iter()
            .map(|r| r.try_get::<String, _>("tag"))
            .collect::<Result<_, _>>()?;
        let fields =
            sqlx::query("SELECT key, value FROM bot_fields WHERE tenant = $1 AND phone = $2")
                .bind(&c.tenant)
                .bind(&c.contact)
                .fetch_all(&self.pool)
                .await?;
        c.fields = fields
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("key")?,
                    r.try_get::<String, _>("value")?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(())
    }
}

#[async_trait]
impl ConversationStore for SqlStore {
    async fn claim_inbound(
        &self,
        tenant: &str,
        message_id: &str,
        at_ms: i64,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO bot_inbound (tenant, message_id, received_ms) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, message_id) DO NOTHING",
        )
        .bind(tenant)
        .bind(message_id)
        .bind(at_ms)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn forget_inbound_before(&self, before_ms: i64) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM bot_inbound WHERE received_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    async fn contact_key(
        &self,
        tenant: &str,
        phone: Option<&str>,
        user_id: Option<&str>,
        at_ms: i64,
    ) -> Result<String, StoreError> {
        let Some(u) = user_id else {
            return Ok(phone.unwrap_or_default().to_owned());
        };
        let Some(p) = phone else {
            // The conversation that remembers the user id, else the one
            // under it.
            let found: Option<(String,)> = sqlx::query_as(
                "SELECT phone FROM bot_conversations WHERE tenant = $1 AND user_id = $2",
            )
            .bind(tenant)
            .bind(u)
            .fetch_optional(&self.pool)
            .await?;
            return Ok(found.map_or_else(|| u.to_owned(), |(c,)| c));
        };
        let mut tx = self.pool.begin().await?;
        let has_phone =
            sqlx::query("SELECT 1 FROM bot_conversations WHERE tenant = $1 AND phone = $2")
                .bind(tenant)
                .bind(p)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        if !has_phone {
            // A conversation begun under the user id alone continues under
            // the number, with its tags, fields and history.
            let moved = sqlx::query(
                "UPDATE bot_conversations SET phone = $2 WHERE tenant = $1 AND phone = $3",
            )
            .bind(tenant)
            .bind(p)
            .bind(u)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved > 0 {
                for table in ["bot_tags", "bot_fields", "bot_messages"] {
                    sqlx::query(&format!(
                        "UPDATE {table} SET phone = $2 WHERE tenant = $1 AND phone = $3"
                    ))
                    .bind(tenant)
                    .bind(p)
                    .bind(u)
                    .execute(&mut *tx)
                    .await?;
                }
            } else {
                sqlx::query(
                    "INSERT INTO bot_conversations (tenant, phone, owner, updated_ms)
                     VALUES ($1, $2, 'bot', $3) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(p)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
            }
        }
        // Remember the user id, unless another conversation already does.
        sqlx::query(
            "UPDATE bot_conversations SET user_id = $3
             WHERE tenant = $1 AND phone = $2 AND user_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM bot_conversations o WHERE o.tenant = $1 AND o.user_id = $3)",
        )
        .bind(tenant)
        .bind(p)
        .bind(u)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(p.to_owned())
    }

    async fn touch(
        &self,
        tenant: &str,
        phone: &str,
        name: Option<&str>,
        at_ms: i64,
    ) -> Result<Conversation, StoreError> {
        sqlx::query(
            "INSERT INTO bot_conversations (tenant, phone, name, owner, updated_ms) VALUES ($1, $2, $3, 'bot', $4)
             ON CONFLICT (tenant, phone) DO UPDATE SET
               name = COALESCE(excluded.name, bot_conversations.name),
               updated_ms = CASE WHEN excluded.updated_ms > bot_conversations.updated_ms
                            THEN excluded.updated_ms ELSE bot_conversations.updated_ms END",
        )
        .bind(tenant)
        .bind(phone)
        .bind(name)
        .bind(at_ms)
        .execute(&self.pool)
        .await?;
        self.load(tenant, phone).await?.ok_or(StoreError::Corrupt {
            what: "bot_conversations",
            detail: "row missing right after upsert".to_owned(),
        })
    }

    async fn conversation(
        &self,
        tenant: &str,
        phone: &str,
    ) -> Result<Option<Conversation>, StoreError> {
        self.load(tenant, phone).await
    }

    async fn conversations(
        &self,
        tenant: &str,
        limit: u32,
    ) -> Result<Vec<Conversation>, StoreError> {
        let rows = sqlx::query(
            "SELECT phone, name, user_id, owner, owner_since_ms, handoff_reason, state, updated_ms
             FROM bot_conversations WHERE tenant = $1 ORDER BY updated_ms DESC, phone LIMIT $2",
        )
        .bind(tenant)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let phone: String = row.try_get("phone")?;
            let mut c = self.conversation_from_row(tenant, &phone, row)?;
            self.fill_tags_fields(&mut c).await?;
            out.push(c);
        }
        Ok(out)
    }

    async fn set_owner(
        &self,
        tenant: &str,
        phone: &str,
        owner: Owner,
        reason: Option<&str>,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.ensure(tenant, phone, at_ms).await?;
        sqlx::query(
            "UPDATE bot_conversations SET owner = $3, owner_since_ms = $4, handoff_reason = $5
             WHERE tenant = $1 AND phone = $2",
        )
        .bind(tenant)
        .bind(phone)
        .bind(owner.as_str())
        .bind(at_ms)
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_state(
        &self,
        tenant: &str,
        phone: &str,
        state: Option<&str>,
    ) -> Result<(), StoreError> {
        self.ensure(tenant, phone, 0).await?;
        self.exec_text(
            "UPDATE bot_conversations SET state = $3 WHERE tenant = $1 AND phone = $2",
            &[Some(tenant), Some(phone), state],
        )
        .await?;
        Ok(())
    }

    async fn add_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError> {
        self.exec_text(
            "INSERT INTO bot_tags (tenant, phone, tag) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[Some(tenant), Some(phone), Some(tag)],
        )
        .await?;
        Ok(())
    }

    async fn remove_tag(&self, tenant: &str, phone: &str, tag: &str) -> Result<(), StoreError> {
        self.exec_text(
            "DELETE FROM bot_tags WHERE tenant = $1 AND phone = $2 AND tag = $3",
            &[Some(tenant), Some(phone), Some(tag)],
        )
        .await?;
        Ok(())
    }

    async fn set_field(
        &self,
        tenant: &str,
        phone: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        match value {
            Some(v) => {
                self.exec_text(
                    "INSERT INTO bot_fields (tenant, phone, key, value) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (tenant, phone, key) DO UPDATE SET value = excluded.value",
                    &[Some(tenant), Some(phone), Some(key), Some(v)],
                )
                .await?
            }
            None => {
                self.exec_text(
                    "DELETE FROM bot_fields WHERE tenant = $1 AND phone = $2 AND key = $3",
                    &[Some(tenant), Some(phone), Some(key)],
                )
                .await?
            }
        };
        Ok(())
    }

    async fn append(
        &self,
        tenant: &str,
        phone: &str,
        entry: &HistoryEntry,
    ) -> Result<(), StoreError> {
        // The sequence number comes from the table itself; a concurrent
        // append that picks the same number hits the primary key and retries.
        for _ in 0..8 {
            let r = sqlx::query(
                "INSERT INTO bot_messages (tenant, phone, seq, author, body, provider_message_id, at_ms)
                 SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6
                 FROM bot_messages WHERE tenant = $1 AND phone = $2
                 ON CONFLICT (tenant, phone, seq) DO NOTHING",
            )
            .bind(tenant)
            .bind(phone)
            .bind(entry.author.as_str())
            .bind(&entry.text)
            .bind(entry.provider_message_id.as_deref())
            .bind(entry.at_ms)
            .execute(&self.pool)
            .await?;
            if r.rows_affected() == 1 {
                sqlx::query(
                    "UPDATE bot_conversations SET updated_ms = $3
                     WHERE tenant = $1 AND phone = $2 AND updated_ms < $3",
                )
                .bind(tenant)
                .bind(phone)
                .bind(entry.at_ms)
                .execute(&self.pool)
                .await?;
                return Ok(());
            }
        }
        Err(StoreError::Corrupt {
            what: "bot_messages.seq",
            detail: "could not allocate a sequence number after 8 tries".to_owned(),
        })
    }

    async fn history(
        &self,
        tenant: &str,
        phone: &str,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT author, body, provider_message_id, at_ms FROM bot_messages
             WHERE tenant = $1 AND phone = $2 ORDER BY seq DESC LIMIT $3",
        )
        .bind(tenant)
        .bind(phone)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let author: String = r.try_get("author")?;
                Ok(HistoryEntry {
                    author: Author::parse(&author).ok_or(StoreError::Corrupt {
                        what: "bot_messages.author",
                        detail: author,
                    })?,
                    text: r.try_get("body")?,
                    provider_message_id: r.try_get("provider_message_id")?,
                    at_ms: r.try_get("at_ms")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.reverse();
        Ok(out)
    }

    async fn kv_get(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row =
            sqlx::query("SELECT value FROM bot_kv WHERE tenant = $1 AND plugin = $2 AND key = $3")
                .bind(tenant)
                .bind(plugin)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            let v: String = r.try_get("value")?;
            hex::decode(&v).map_err(|e| StoreError::Corrupt {
                what: "bot_kv.value",
                detail: e.to_string(),
            })
        })
        .transpose()
    }

    async fn kv_set(
        &self,
        tenant: &str,
        plugin: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        self.exec_text(
            "INSERT INTO bot_kv (tenant, plugin, key, value) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, plugin, key) DO UPDATE SET value = excluded.value",
            &[
                Some(tenant),
                Some(plugin),
                Some(key),
                Some(&hex::encode(value)),
            ],
        )
        .await?;
        Ok(())
    }

    async fn kv_delete(&self, tenant: &str, plugin: &str, key: &str) -> Result<(), StoreError> {
        self.exec_text(
            "DELETE FROM bot_kv WHERE tenant = $1 AND plugin = $2 AND key = $3",
            &[Some(tenant), Some(plugin), Some(key)],
        )
        .await?;
        Ok(())
    }
}
