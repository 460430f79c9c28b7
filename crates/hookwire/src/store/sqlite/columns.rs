//! [`Read`] for rusqlite's row: the writer's group commit reads rows through
//! rusqlite (see [`writer`](super::writer)) while the readers use sqlx, and
//! both turn rows into the same model types through the one mapping per type
//! in [`crate::store::sql::rows`].
//!
//! Reading only; no statement runs here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{json, opt_time, time, Result};
use crate::store::sql::Read;

impl Read for rusqlite::Row<'_> {
    fn text(&self, column: &str) -> Result<String> {
        Ok(self.get(column)?)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>> {
        Ok(self.get(column)?)
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        time(self.get(column)?)
    }

    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        opt_time(self.get(column)?)
    }

    fn flag(&self, column: &str) -> Result<bool> {
        Ok(self.get(column)?)
    }

    fn int(&self, column: &str) -> Result<i64> {
        Ok(self.get(column)?)
    }

    fn opt_float(&self, column: &str) -> Result<Option<f64>> {
        Ok(self.get(column)?)
    }

    fn int32(&self, column: &str) -> Result<i32> {
        Ok(self.get(column)?)
    }

    fn opt_int32(&self, column: &str) -> Result<Option<i32>> {
        Ok(self.get(column)?)
    }

    fn strings(&self, column: &str) -> Result<Vec<String>> {
        json(&self.get::<_, String>(column)?, column)
    }

    fn opt_map(&self, column: &str) -> Result<Option<BTreeMap<String, String>>> {
        self.get::<_, Option<String>>(column)?
            .map(|raw| json(&raw, column))
            .transpose()
    }
}
