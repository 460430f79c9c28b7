//! Example JSON for the reference page, built from the OpenAPI schemas: a
//! schema's own `example` where it has one, otherwise a value of its type
//! (`"2026-01-01T00:00:00Z"` for a time, the first of an enum's values), so
//! every request and response shows its shape without hand-kept samples that
//! could drift from the code.

use serde_json::{json, Map, Value};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{Components, RefOr};

/// Deep enough for every schema here; a cycle stops at `null`.
const MAX_DEPTH: usize = 6;

/// An example value of `schema`, following `$ref`s into `components`.
pub(super) fn example(schema: &RefOr<Schema>, components: Option<&Components>) -> Value {
    of(schema, components, 0)
}

fn of(schema: &RefOr<Schema>, components: Option<&Components>, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    let schema = match schema {
        RefOr::T(s) => s,
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            return match components.and_then(|c| c.schemas.get(name)) {
                Some(s) => of(s, components, depth + 1),
                None => Value::Null,
            };
        }
    };
    match schema {
        Schema::Object(o) => {
            // utoipa keeps a field's `#[schema(example = …)]` in the
            // (OpenAPI 3.0-style, deprecated) `example`.
            #[allow(deprecated)]
            if let Some(example) = o.examples.first().or(o.example.as_ref()) {
                return example.clone();
            }
            if let Some(first) = o.enum_values.as_ref().and_then(|v| v.first()) {
                return first.clone();
            }
            let types = match &o.schema_type {
                SchemaType::Type(t) => vec![t.clone()],
                SchemaType::Array(ts) => ts.clone(),
                SchemaType::AnyValue => vec![],
            };
            let format = serde_json::to_value(&o.format).unwrap_or_default();
            if !o.properties.is_empty() {
                let map: Map<String, Value> = o
                    .properties
                    .iter()
                    .map(|(k, v)| (k.clone(), of(v, components, depth + 1)))
                    .collect();
                return Value::Object(map);
            }
            // An optional value without an example: absent is the common case.
            if types.contains(&Type::Null) {
                return Value::Null;
            }
            match types.first() {
                Some(Type::String) if format == "date-time" => json!("2026-01-01T00:00:00Z"),
                Some(Type::String) => json!("string"),
                Some(Type::Integer) => o
                    .minimum
                    .as_ref()
                    .and_then(|m| serde_json::to_value(m).ok())
                    .and_then(|m| m.as_f64())
                    .map_or(json!(1), |m| json!(m.max(1.0) as i64)),
                Some(Type::Number) => json!(0.0),
                Some(Type::Boolean) => json!(true),
                Some(Type::Object) => json!({}),
                _ => Value::Null,
            }
        }
        #[allow(deprecated)]
        Schema::Array(a) if a.example.is_some() || !a.examples.is_empty() => a
            .examples
            .first()
            .or(a.example.as_ref())
            .cloned()
            .unwrap_or(Value::Null),
        Schema::Array(a) => match &a.items {
            utoipa::openapi::schema::ArrayItems::RefOrSchema(item) => {
                json!([of(item, components, depth + 1)])
            }
            utoipa::openapi::schema::ArrayItems::False => json!([]),
        },
        Schema::OneOf(o) => o
            .items
            .iter()
            .map(|s| of(s, components, depth + 1))
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
        Schema::AllOf(a) => {
            let mut merged = Map::new();
            for s in &a.items {
                if let Value::Object(m) = of(s, components, depth + 1) {
                    merged.extend(m);
                }
            }
            Value::Object(merged)
        }
        Schema::AnyOf(a) => a
            .items
            .first()
            .map_or(Value::Null, |s| of(s, components, depth + 1)),
        _ => Value::Null,
    }
}
