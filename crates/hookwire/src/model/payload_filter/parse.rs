//! Parsing a submitted filter into its tree, checking every limit on the
//! way: each error names the exact place in the submitted JSON
//! (`filter.data.amount.$gt`), so a client can fix its filter without
//! guessing. Evaluation is the parent module's.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::{Node, Path, Test, MAX_DEPTH, MAX_LIST, MAX_SEGMENTS, ROOTS};
use crate::ValidationError;

/// One filter object: each key a combinator (`$and`, `$or`, `$not`) or a
/// field path with its test, all of which must hold. `at` is the object's
/// place in the submitted filter, so an error names the exact path.
pub(super) fn parse_object(
    map: &Map<String, Value>,
    at: &str,
    depth: usize,
) -> Result<Node, ValidationError> {
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
