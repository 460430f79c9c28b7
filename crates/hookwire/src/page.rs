//! Cursor pagination shared by every list.
//!
//! Lists are ordered newest first by id (ids are time-ordered, see [`crate::id`]).
//! The cursor is the last id of the previous page, base64url-encoded so clients
//! treat it as opaque and we stay free to change what is inside.
//!
//! It owns the cursor's encoding and the page arithmetic; each store query
//! applies the cursor in its own SQL.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::validation::ValidationError;

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items one page may hold.
pub const MAX_LIMIT: u32 = 250;

/// Which page of a list to read: validated limit and decoded cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Items on this page, `1..=MAX_LIMIT`.
    pub limit: u32,
    /// Return items strictly older than this id (the previous page's last id).
    pub before_id: Option<String>,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            before_id: None,
        }
    }
}

/// Why a client's page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` is out of range.
    #[error(transparent)]
    Limit(ValidationError),
    /// A cursor that we did not issue.
    #[error("the cursor is malformed; use next_cursor from a previous page")]
    Cursor,
}

impl PageRequest {
    /// Parse the client's `?limit=` and `?cursor=`.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, PageError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(PageError::Limit(ValidationError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )));
        }
        let before_id = match cursor {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c).ok_or(PageError::Cursor)?),
        };
        Ok(Self { limit, before_id })
    }

    /// Rows to fetch: one more than the limit, to learn whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Opaque cursor for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from `limit + 1` fetched rows; `id` gives a row's id.
    pub fn from_rows(mut rows: Vec<T>, req: &PageRequest, id: impl Fn(&T) -> &str) -> Self {
        let limit = req.limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| URL_SAFE_NO_PAD.encode(id(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// Convert the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// The id a cursor carries; anything that is not the base64 of an id-shaped
/// string is refused (`None`), so a hand-made cursor cannot smuggle text
/// into a query.
fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let id = String::from_utf8(bytes).ok()?;
    let well_formed = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    well_formed.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_rejected() {
        let req = PageRequest::parse(Some(2), None).unwrap();
        let page = Page::from_rows(vec!["c", "b", "a"], &req, |s| s);
        assert_eq!(page.items, vec!["c", "b"]);
        let cursor = page.next_cursor.unwrap();
        let next = PageRequest::parse(None, Some(&cursor)).unwrap();
        assert_eq!(next.before_id.as_deref(), Some("b"));
        assert!(matches!(
            PageRequest::parse(None, Some("%%%")),
            Err(PageError::Cursor)
        ));
        assert!(PageRequest::parse(Some(0), None).is_err());
        assert!(PageRequest::parse(Some(251), None).is_err());
    }
}
