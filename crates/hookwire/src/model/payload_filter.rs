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

use serde_json::{Map, Value};

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
    Eq(Value),
    In(Vec<Value>),
    Compare(Ordering, bool, Value),
    Exists(bool),
    StartsWith(String),
    All(Vec<Test>),
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
    Str(&'a str),
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

/// One filter object: each key a combinator (`$and`, `$or`, `$not`) or a
/// field path with its test, all of which must hold. `at` is the object's
/// place in the submitted filter, so an error names the exact path.
fn parse_object(map: &Map<String, Value>, at: &str, depth: usize) -> Result<Node, ValidationError> {
    if depth > MAX_DEPTH {
        return Err(ValidationError::field(
            at,
            format!("$and, $or and $not nest at most {MAX_DEPTH} deep"),
        ));
    }
    let mut parts = Vec::with_capacity(map.len());
    for (key, value) in map {
        let here = format!("{at}.{key}");
        let node = match key.as_str() {
            "$and" | "$or" => {
                let list = value.as_array().filter(|l| !l.is_empty()).ok_or_else(|| {
                    ValidationError::field(&here, "must be a non-empty array of filters")
                })?;
                let nodes = list
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let at = format!("{here}[{i}]");
                        match item {
                            Value::Object(m) => parse_object(m, &at, depth + 1),
                            _ => Err(ValidationError::field(at, "must be a filter object")),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "$and" {
                    Node::All(nodes)
                } else {
                    Node::Any(nodes)
                }
            }
            "$not" => match value {
                Value::Object(m) => Node::Not(Box::new(parse_object(m, &here, depth + 1)?)),
                _ => return Err(ValidationError::field(&here, "must be a filter object")),
            },
            op if op.starts_with('$') => {
                return Err(ValidationError::field(
                    &here,
                    "is not a filter operator here (use $and, $or or $not, or a field path)",
                ))
            }
            path => Node::Field(parse_path(path, &here)?, parse_test(value, &here, depth)?),
        };
        parts.push(node);
    }
    Ok(match parts.len() {
        1 => parts.pop().unwrap_or(Node::All(Vec::new())),
        _ => Node::All(parts),
    })
}

/// A dotted path into the delivered body: a known root (`data`, `type`,
/// `id`, …), then object keys or array indexes.
fn parse_path(path: &str, at: &str) -> Result<Path, ValidationError> {
    let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
    if segments.len() > MAX_SEGMENTS {
        return Err(ValidationError::field(
            at,
            format!("a path has at most {MAX_SEGMENTS} segments"),
        ));
    }
    if segments.iter().any(String::is_empty) {
        return Err(ValidationError::field(at, "a path has no empty segments"));
    }
    if !ROOTS.contains(&segments[0].as_str()) {
        return Err(ValidationError::field(
            at,
            format!("a path starts with one of {}", ROOTS.join(", ")),
        ));
    }
    if segments[0] != "data" && segments.len() > 1 {
        return Err(ValidationError::field(
            at,
            format!("{} is a string; only data has fields", segments[0]),
        ));
    }
    Ok(Path(segments))
}

/// A path's value: a literal, or an object of operators.
fn parse_test(value: &Value, at: &str, depth: usize) -> Result<Test, ValidationError> {
    let Value::Object(ops) = value else {
        return Ok(Test::Eq(value.clone()));
    };
    let operators = ops.keys().filter(|k| k.starts_with('$')).count();
    if operators == 0 {
        return Ok(Test::Eq(value.clone()));
    }
    if operators != ops.len() {
        return Err(ValidationError::field(
            at,
            "mixes operators ($…) with field names; compare a whole object with $eq",
        ));
    }
    if depth > MAX_DEPTH {
        return Err(ValidationError::field(
            at,
            format!("$and, $or and $not nest at most {MAX_DEPTH} deep"),
        ));
    }
    let mut tests = Vec::with_capacity(ops.len());
    for (op, operand) in ops {
        let here = format!("{at}.{op}");
        let test = match op.as_str() {
            "$eq" => Test::Eq(operand.clone()),
            "$ne" => Test::Not(Box::new(Test::Eq(operand.clone()))),
            "$in" | "$nin" => {
                let list = operand
                    .as_array()
                    .filter(|l| l.len() <= MAX_LIST)
                    .ok_or_else(|| {
                        ValidationError::field(
                            &here,
                            format!("must be an array of at most {MAX_LIST} values"),
                        )
                    })?;
                let test = Test::In(list.clone());
                if op == "$in" {
                    test
                } else {
                    Test::Not(Box::new(test))
                }
            }
            "$gt" | "$gte" | "$lt" | "$lte" => {
                if !(operand.is_number() || operand.is_string()) {
                    return Err(ValidationError::field(
                        &here,
                        "must be a number or a string",
                    ));
                }
                let (side, or_equal) = match op.as_str() {
                    "$gt" => (Ordering::Greater, false),
                    "$gte" => (Ordering::Greater, true),
                    "$lt" => (Ordering::Less, false),
                    _ => (Ordering::Less, true),
                };
                Test::Compare(side, or_equal, operand.clone())
            }
            "$exists" => Test::Exists(
                operand
                    .as_bool()
                    .ok_or_else(|| ValidationError::field(&here, "must be true or false"))?,
            ),
            "$startsWith" => Test::StartsWith(
                operand
                    .as_str()
                    .ok_or_else(|| ValidationError::field(&here, "must be a string"))?
                    .to_owned(),
            ),
            "$not" => Test::Not(Box::new(match operand {
                Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.starts_with('$')) => {
                    parse_test(operand, &here, depth + 1)?
                }
                _ => {
                    return Err(ValidationError::field(
                        &here,
                        "must be an object of operators, e.g. {\"$in\": [1, 2]}",
                    ))
                }
            })),
            _ => {
                return Err(ValidationError::field(
                    &here,
                    "unknown operator (use $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists, $startsWith, $not)",
                ))
            }
        };
        tests.push(test);
    }
    Ok(match tests.len() {
        1 => tests.pop().unwrap_or(Test::All(Vec::new())),
        _ => Test::All(tests),
    })
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

#[cfg(test)]
mod tests;
