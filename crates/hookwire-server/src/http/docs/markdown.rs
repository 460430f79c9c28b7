//! The API reference as Markdown, for `docs/api.md` in the repository: the same
//! document `/docs` renders, readable on a code host without a running server.
//! A test keeps the committed file equal to what this produces.

use std::fmt::Write as _;

use utoipa::openapi::{OpenApi, RefOr, Required};

use super::{examples, first_sentence, one_line, operations, prose};

/// The whole reference.
pub fn render(api: &OpenApi) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} API reference\n", api.info.title);
    out.push_str(
        "<!-- Generated from the server's OpenAPI document (docs/openapi.json) by the \
         test `the_committed_api_reference_is_current`; run it with \
         HOOKWIRE_UPDATE_DOCS=1 to rewrite this file. -->\n\n",
    );
    if let Some(d) = &api.info.description {
        let _ = writeln!(out, "{d}\n");
    }
    out.push_str("Base URL: `http://<host>:8080`. Every `/api/v1` route takes `Authorization: Bearer <token>`.\n\n");
    out.push_str("## Endpoints\n\n");
    let ops = operations(api);
    for (method, path, op) in &ops {
        let _ = writeln!(
            out,
            "- [`{method} {path}`](#{}) — {}",
            anchor(method, path),
            first_sentence(&prose(op))
        );
    }
    let components = api.components.as_ref();
    for (method, path, op) in &ops {
        let _ = writeln!(out, "\n## {method} {path}\n");
        let _ = writeln!(out, "{}\n", prose(op));
        if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
            out.push_str("| parameter | in | required | description |\n|---|---|---|---|\n");
            for p in params {
                let location = serde_json::to_value(&p.parameter_in).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    p.name,
                    location.as_str().unwrap_or(""),
                    if matches!(p.required, Required::True) {
                        "yes"
                    } else {
                        "no"
                    },
                    one_line(p.description.as_deref().unwrap_or(""))
                );
            }
            out.push('\n');
        }
        if let Some(schema) = op
            .request_body
            .as_ref()
            .and_then(|b| b.content.values().find_map(|c| c.schema.as_ref()))
        {
            let _ = writeln!(
                out,
                "Request body ({}):\n\n```json\n{}\n```\n",
                schema_name(schema),
                pretty(&examples::example(schema, components))
            );
        }
        out.push_str("| status | meaning |\n|---|---|\n");
        let mut success = None;
        for (status, resp) in &op.responses.responses {
            let (desc, schema) = match resp {
                RefOr::T(r) => (
                    r.description.clone(),
                    r.content.values().find_map(|c| c.schema.as_ref()),
                ),
                RefOr::Ref(r) => (r.ref_location.clone(), None),
            };
            let name = schema.map(schema_name).unwrap_or_default();
            let _ = writeln!(out, "| {status} | {} {name} |", one_line(&desc));
            if success.is_none() && status.starts_with('2') {
                success = schema.map(|s| (status.clone(), s));
            }
        }
        if let Some((status, schema)) = success {
            let _ = writeln!(
                out,
                "\nResponse {status}:\n\n```json\n{}\n```",
                pretty(&examples::example(schema, components))
            );
        }
    }
    out
}

/// GitHub-style heading anchor of `## METHOD /path`.
fn anchor(method: &str, path: &str) -> String {
    format!("{method} {path}")
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

fn schema_name(schema: &RefOr<utoipa::openapi::schema::Schema>) -> String {
    match schema {
        RefOr::Ref(r) => format!(
            "`{}`",
            r.ref_location.rsplit('/').next().unwrap_or_default()
        ),
        RefOr::T(_) => String::new(),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
