//! The list envelope and pagination query shared by every list endpoint.

use hookwire::page::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;

/// `{"data": [...], "next_cursor": "…" | null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// This page's items, newest first.
    pub data: Vec<T>,
    /// Pass as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// Convert a page's items into their API view.
    pub fn of<U>(page: Page<U>, view: impl FnMut(U) -> T) -> Self {
        let page = page.map(view);
        Self {
            data: page.items,
            next_cursor: page.next_cursor,
        }
    }
}

/// `?limit=&cursor=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–250 (default 50).
    #[serde(default, deserialize_with = "super::parse::limit_opt")]
    #[param(minimum = 1, maximum = 250)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Validate into a page request.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(
            PageRequest::parse(self.limit, self.cursor.as_deref())
                .map_err(hookwire::Error::from)?,
        )
    }
}
