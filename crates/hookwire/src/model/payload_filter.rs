//! Payload filters: which of the events a webhook subscribes to it really
//! wants, decided on the body it would receive.
//!
//! A filter is a JSON object. Each key is a dotted path into the delivered body
//! (`data.amount`, `data.items.0.sku`, `type`) — plus `channel`, the event's
//! channel, which the body does not carry — and each value is either a literal
//! (the field must equal it) or an object of operators (`$eq`, `$ne`, `$in`,
//! `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, `$exists`, `$startsWith`, and `$not`
//! around other operators). `$and` and `$or` take arrays of filters and `$not`
//! takes one; the keys of one object must all hold. So
//! `{"data.amount": {"$gte": 100}, "$or": [{"data.country": "DE"}, {"data.vip": true}]}`
//! matches a body whose amount is at least 100 and whose country is DE or
//! whose customer is a VIP.
//!
//! What the operators do with what they find:
//! - Equality (a literal, `$eq`, `$in`) compares JSON values, numbers by
//!   value (`1` equals `1.0`); a missing field equals nothing, not even
//!   `null`. `$ne` and `$nin` are exactly their negations, so they match a
//!   missing field.
//! - `$gt`, `$gte`, `$lt`, `$lte` take a number or a string: numbers compare
//!   with numbers, strings with strings by Unicode code point (RFC 3339
//!   timestamps in one format compare in time order). A field of another
//!   type, or missing, never matches.
//! - `$exists: true|false` asks whether the path leads to a value.
//! - `$startsWith` takes a string and matches string fields only.
//!
//! Limits: a filter is at most [`MAX_BYTES`] of JSON, a path at most
//! [`MAX_SEGMENTS`] segments, `$and`/`$or`/`$not` nested at most
//! [`MAX_DEPTH`] deep.
//!
//! This module owns parsing (every error names the offending path, e.g.
//! `filter.data.amount.$gt`) and evaluation; it never reads the store. Fan-out
//! decides when to evaluate (see `pipeline::fan_out`).

use std::cmp::Ordering;

use serde_json::Value;

mod parse;

use parse::parse_object;

use super::Event;
use crate::ValidationError;

/// Largest filter, as compact JSON.
pub const MAX_BYTES: usize = 4096;
/// Most segments in one path.
pub const MAX_SEGMENTS: usize = 32;
/// Deepest nesting of `$and`, `$or` and `$not`.
pub const MAX_DEPTH: usize = 16;
/// Most values in one `$in` or `$nin` list.
const MAX_LIST: usize = 256;

/// The top-level fields of a delivered body a path may start with.
const ROOTS: [&str; 6] = ["id", "type", "timestamp", "webhook_id", "channel", "data"];

/// A parsed, valid payload filter. Keeps the JSON it was parsed from, which is
/// what the API shows and the store keeps.
#[derive(Debug, Clone)]
pub struct PayloadFilter {
    source: Value,
    root: Node,
}

impl PartialEq for PayloadFilter {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// One condition of a filter.
#[derive(Debug, Clone)]
enum Node {
    /// Every part holds (an object's keys, `$and`).
    All(Vec<Node>),
    /// At least one part holds (`$or`).
    Any(Vec<Node>),
    /// The part does not hold (`$not`).
    Not(Box<Node>),
    /// The value at a path passes a test.
    Field(Path, Test),
}

/// A test on the value found at a path (`None`: nothing there).
#[derive(Debug, Clone)]
enum Test {
    /// `$eq` (and a bare literal): equal as JSON, numbers by value.
    Eq(Value),
    /// `$in`: equal to one of these.
    In(Vec<Value>),
    /// `$gt`, `$gte`, `$lt`, `$lte`: on this side of the operand (`true`:
    /// or equal); values of different kinds never compare.
    Compare(Ordering, bool, Value),
    /// `$exists`: something is (`true`) or is not there.
    Exists(bool),
    /// `$startsWith`: a string with this prefix.
    StartsWith(String),
    /// Several operators on one path: all of them hold.
    All(Vec<Test>),
    /// `$ne`, `$nin`: the inner test fails.
    Not(Box<Test>),
}

/// A dotted path, split into segments.
#[derive(Debug, Clone)]
struct Path(Vec<String>);

/// What a filter is evaluated against: the body a receiver would get (its
/// `data` parsed once per event) and the event's channel.
#[derive(Debug, Clone, Copy)]
pub struct FilterInput<'a> {
    /// The event being fanned out.
    pub event: &'a Event,
    /// Its parsed `data`.
    pub data: &'a Value,
    /// The body's `timestamp`, as the receiver gets it.
    pub timestamp: &'a str,
    /// The webhook the body would go to.
    pub webhook_id: &'a str,
}

/// A value found at a path: a string field of the event, or part of `data`.
#[derive(Debug, Clone, Copy)]
enum Found<'a> {
    /// A string field of the event (`type`, `channel`, …).
    Str(&'a str),
    /// A value inside `data`.
    Json(&'a Value),
}

impl PayloadFilter {
    /// Parse and check `value` (`field` names it in errors, normally
    /// `"filter"`).
    pub fn parse(value: Value, field: &str) -> Result<Self, ValidationError> {
        let Value::Object(map) = &value else {
            return Err(ValidationError::field(
                field,
                "must be a JSON object (or null for no filter)",
            ));
        };
        let size = value.to_string().len();
        if size > MAX_BYTES {
            return Err(ValidationError::field(
                field,
                format!("is {size} bytes of JSON; at most {MAX_BYTES}"),
            ));
        }
        let root = parse_object(map, field, 0)?;
        Ok(Self {
            source: value,
            root,
        })
    }

    /// The filter as JSON, exactly as given.
    pub fn as_json(&self) -> &Value {
        &self.source
    }

    /// Whether a delivery described by `input` passes the filter.
    pub fn matches(&self, input: &FilterInput<'_>) -> bool {
        self.root.eval(input)
    }

    /// Whether `event` would reach webhook `webhook_id` through this filter:
    /// [`matches`](Self::matches) for one event, parsing its data (a
    /// preview, not the fan-out's hot path).
    pub fn matches_event(&self, event: &Event, webhook_id: &str) -> bool {
        let data = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        let timestamp = crate::delivery::attempt::body_timestamp(event);
        self.matches(&FilterInput {
            event,
            data: &data,
            timestamp: &timestamp,
            webhook_id,
        })
    }
}

impl Node {
    /// Whether the body meets this node.
    fn eval(&self, input: &FilterInput<'_>) -> bool {
        match self {
            Node::All(parts) => parts.iter().all(|p| p.eval(input)),
            Node::Any(parts) => parts.iter().any(|p| p.eval(input)),
            Node::Not(part) => !part.eval(input),
            Node::Field(path, test) => test.eval(path.resolve(input)),
        }
    }
}

impl Path {
    /// The value at this path in the body the receiver would get; `None`
    /// when any step is missing (an absence that `$exists: false` and the
    /// negations — `$ne`, `$nin`, `$not` — accept, and every other test refuses).
    fn resolve<'a>(&self, input: &FilterInput<'a>) -> Option<Found<'a>> {
        let (root, rest) = self.0.split_first()?;
        let event = input.event;
        match root.as_str() {
            "id" => Some(Found::Str(&event.id)),
            "type" => Some(Found::Str(&event.event_type)),
            "timestamp" => Some(Found::Str(input.timestamp)),
            "webhook_id" => Some(Found::Str(input.webhook_id)),
            "channel" => event.channel.as_deref().map(Found::Str),
            _ => {
                let mut at = input.data;
                for segment in rest {
                    at = match at {
                        Value::Object(m) => m.get(segment)?,
                        Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(Found::Json(at))
            }
        }
    }
}

impl Test {
    /// Whether the value found (or its absence) passes this test; a value of
    /// another type than the operand never passes a comparison.
    fn eval(&self, found: Option<Found<'_>>) -> bool {
        match self {
            Test::Eq(want) => found.is_some_and(|f| f.equals(want)),
            Test::In(list) => found.is_some_and(|f| list.iter().any(|want| f.equals(want))),
            Test::Compare(side, or_equal, bound) => found
                .and_then(|f| f.compare(bound))
                .is_some_and(|o| o == *side || (*or_equal && o == Ordering::Equal)),
            Test::Exists(want) => found.is_some() == *want,
            Test::StartsWith(prefix) => found
                .and_then(Found::as_str)
                .is_some_and(|s| s.starts_with(prefix.as_str())),
            Test::All(tests) => tests.iter().all(|t| t.eval(found)),
            Test::Not(test) => !test.eval(found),
        }
    }
}

impl<'a> Found<'a> {
    /// The value as a string, if it is one.
    fn as_str(self) -> Option<&'a str> {
        match self {
            Found::Str(s) => Some(s),
            Found::Json(v) => v.as_str(),
        }
    }

    /// Equality as JSON values (numbers by value: `1` equals `1.0`).
    fn equals(self, want: &Value) -> bool {
        match self {
            Found::Str(s) => want.as_str() == Some(s),
            Found::Json(v) => json_equal(v, want),
        }
    }

    /// How the found value orders against `bound`: numbers with numbers,
    /// strings with strings; `None` for anything else.
    fn compare(self, bound: &Value) -> Option<Ordering> {
        match (self, bound) {
            (Found::Str(s), Value::String(b)) => Some(s.cmp(b.as_str())),
            (Found::Json(Value::String(s)), Value::String(b)) => Some(s.as_str().cmp(b.as_str())),
            (Found::Json(Value::Number(n)), Value::Number(b)) => compare_numbers(n, b),
            _ => None,
        }
    }
}

/// JSON equality with numbers compared by value.
fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Integers compare exactly; anything with a fraction as `f64`.
fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}
