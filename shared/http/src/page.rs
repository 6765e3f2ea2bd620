//! Cursor pagination of lists.
//!
//! Rules: lists are ordered by id (UUIDv7, so by creation time) ascending; the cursor is the last
//! id of the previous page, opaque to clients; `limit` is 1..=200 and defaults to 50.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::ApiError;

/// The default page size.
pub const DEFAULT_LIMIT: i64 = 50;
/// The largest page size.
pub const MAX_LIMIT: i64 = 200;

/// `?limit=&cursor=` of a list endpoint.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// How many items to return (1 to 200, default 50).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, checked.
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(
                "invalid_query_parameter",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The checked window: where the page starts and how long it is.
    pub fn window(&self) -> Result<Window, ApiError> {
        Ok(Window {
            after: self.after()?,
            limit: self.limit()?,
        })
    }

    /// The id after which the page starts (the nil id for the first page).
    pub fn after(&self) -> Result<Uuid, ApiError> {
        match &self.cursor {
            None => Ok(Uuid::nil()),
            Some(cursor) => Uuid::parse_str(cursor).map_err(|_| {
                ApiError::bad_request(
                    "invalid_query_parameter",
                    "cursor is not a cursor this endpoint gave",
                )
            }),
        }
    }
}

/// Where a page starts and how long it is: a query filters `id > after`, orders by id and fetches
/// [`Window::fetch`] rows; [`Window::page`] makes the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The last id of the previous page (nil for the first).
    pub after: Uuid,
    /// The page size.
    pub limit: i64,
}

impl Window {
    /// How many rows to fetch: one more than the page, to tell whether more exist.
    pub const fn fetch(&self) -> i64 {
        self.limit.saturating_add(1)
    }

    /// The page made of the fetched `rows`.
    pub fn page<T>(&self, rows: Vec<T>, id_of: impl Fn(&T) -> Uuid) -> Page<T> {
        Page::from_rows(rows, self.limit, id_of)
    }
}

/// One page of a list.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items, ordered by id.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page from up to `limit + 1` fetched rows: the extra row only tells that more exist.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id_of: impl Fn(&T) -> Uuid) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| id_of(last).to_string())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}
