//! Reading a row's columns by name, whichever driver read the row: the
//! readers use sqlx, the writer's group commit uses rusqlite (see
//! [`writer`](super::writer)), and both turn rows into the same model types
//! through one mapping per type.
//!
//! Reading only; no statement runs here.

use sqlx::sqlite::SqliteRow;
use sqlx::Sqlite;

use super::Result;

/// A value both drivers can read from a column.
pub(super) trait Column:
    for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + rusqlite::types::FromSql
{
}

impl<T> Column for T where
    T: for<'r> sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + rusqlite::types::FromSql
{
}

/// A row whose columns can be read by name.
pub(super) trait Columns {
    /// The value of column `name`.
    fn get<T: Column>(&self, name: &str) -> Result<T>;
}

impl Columns for SqliteRow {
    fn get<T: Column>(&self, name: &str) -> Result<T> {
        Ok(sqlx::Row::try_get(self, name)?)
    }
}

impl Columns for rusqlite::Row<'_> {
    fn get<T: Column>(&self, name: &str) -> Result<T> {
        Ok(rusqlite::Row::get(self, name)?)
    }
}
