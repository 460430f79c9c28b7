//! `/docs`: a readable API reference rendered on the server from the generated
//! OpenAPI document: descriptions as Markdown, and an example of every request
//! and response body built from its schema (see `docs/examples.rs`).
//!
//! Rendered as plain HTML rather than with a JavaScript viewer because those load
//! their code from a CDN, and hookwire must work on machines without internet.

mod examples;
pub mod markdown;

use std::fmt::Write as _;

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Components, OpenApi, RefOr};

/// The whole page.
pub fn render(api: &OpenApi) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{} API <small>v{}</small></h1>",
        esc(&api.info.title),
        esc(&api.info.version)
    );
    if let Some(d) = &api.info.description {
        body.push_str(&markdown(d));
    }
    body.push_str("<p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>");
    body.push_str("<nav><h2>Endpoints</h2><ul>");
    let ops = operations(api);
    for (i, (method, path, op)) in ops.iter().enumerate() {
        let _ = write!(
            body,
            "<li><a href=\"#op{i}\"><code>{method} {}</code></a> — {}</li>",
            esc(path),
            markdown_inline(&first_sentence(&prose(op)))
        );
    }
    body.push_str("</ul></nav>");
    for (i, (method, path, op)) in ops.iter().enumerate() {
        render_operation(&mut body, i, method, path, op, api.components.as_ref());
    }
    if let Some(components) = &api.components {
        body.push_str("<h2>Schemas</h2>");
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                body,
                "<section id=\"schema-{0}\"><h3>{0}</h3><pre>{1}</pre></section>",
                esc(name),
                esc(&json)
            );
        }
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>hookwire API reference</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>"
    )
}

/// An operation's doc comment whole: utoipa splits it into a summary (its first
/// line) and a description (the rest), which mid-sentence rejoin here.
fn prose(op: &Operation) -> String {
    [&op.summary, &op.description]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` on one line, safe in a Markdown table cell.
fn one_line(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// Up to the end of the first sentence, on one line.
fn first_sentence(text: &str) -> String {
    let line = one_line(text);
    match line.find(". ") {
        Some(end) => line[..=end].to_owned(),
        None => line,
    }
}

fn operations(api: &OpenApi) -> Vec<(&'static str, &str, &Operation)> {
    let mut out = Vec::new();
    for (path, item) in &api.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                out.push((method, path.as_str(), op));
            }
        }
    }
    out
}

fn render_operation(
    out: &mut String,
    i: usize,
    method: &str,
    path: &str,
    op: &Operation,
    components: Option<&Components>,
) {
    let _ = write!(
        out,
        "<section id=\"op{i}\"><h2><code>{method} {}</code></h2>",
        esc(path)
    );
    out.push_str(&markdown(&prose(op)));
    if let Some(params) = op.parameters.as_ref().filter(|p| !p.is_empty()) {
        out.push_str("<h3>Parameters</h3><table><tr><th>name</th><th>in</th><th>required</th><th>description</th></tr>");
        for p in params {
            let location = serde_json::to_value(&p.parameter_in).unwrap_or_default();
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&p.name),
                esc(location.as_str().unwrap_or("")),
                matches!(p.required, utoipa::openapi::Required::True),
                markdown(p.description.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>");
    }
    if let Some(body) = &op.request_body {
        out.push_str("<h3>Request body</h3><ul>");
        for (media, content) in &body.content {
            let _ = write!(
                out,
                "<li>{} {}</li>",
                esc(media),
                schema_link(&content.schema)
            );
        }
        out.push_str("</ul>");
        if let Some(schema) = body.content.values().find_map(|c| c.schema.as_ref()) {
            example_block(out, "Example request", schema, components);
        }
    }
    out.push_str("<h3>Responses</h3><ul>");
    let mut success_example = None;
    for (status, resp) in &op.responses.responses {
        let (desc, schema) = match resp {
            RefOr::T(r) => (
                r.description.clone(),
                r.content.values().next().map(|c| schema_link(&c.schema)),
            ),
            RefOr::Ref(r) => (r.ref_location.clone(), None),
        };
        let _ = write!(
            out,
            "<li><strong>{}</strong> {} {}</li>",
            esc(status),
            markdown_inline(&desc),
            schema.unwrap_or_default()
        );
        if let (None, RefOr::T(r)) = (&success_example, resp) {
            if status.starts_with('2') {
                success_example = r
                    .content
                    .get("application/json")
                    .and_then(|c| c.schema.as_ref())
                    .map(|s| (status.clone(), s));
            }
        }
    }
    out.push_str("</ul>");
    if let Some((status, schema)) = success_example {
        example_block(
            out,
            &format!("Example response ({status})"),
            schema,
            components,
        );
    }
    out.push_str("</section>");
}

/// A heading and a pretty-printed example of `schema`.
fn example_block(
    out: &mut String,
    title: &str,
    schema: &RefOr<utoipa::openapi::schema::Schema>,
    components: Option<&Components>,
) {
    let value = examples::example(schema, components);
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let _ = write!(
        out,
        "<h3>{}</h3><pre class=\"example\">{}</pre>",
        esc(title),
        esc(&text)
    );
}

/// Markdown (descriptions come from doc comments) to HTML. Raw HTML in the
/// source is shown as text, never passed through.
fn markdown(text: &str) -> String {
    use pulldown_cmark::{html, Event, Parser};
    let events = Parser::new(text).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

/// [`markdown`] for a phrase inside a list item: without the paragraph.
fn markdown_inline(text: &str) -> String {
    let html = markdown(text);
    let trimmed = html.trim_end();
    trimmed
        .strip_prefix("<p>")
        .and_then(|t| t.strip_suffix("</p>"))
        .unwrap_or(trimmed)
        .to_owned()
}

fn schema_link(schema: &Option<RefOr<utoipa::openapi::schema::Schema>>) -> String {
    match schema {
        Some(RefOr::Ref(r)) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            format!("<a href=\"#schema-{0}\"><code>{0}</code></a>", esc(name))
        }
        Some(RefOr::T(s)) => format!(
            "<code>{}</code>",
            esc(&serde_json::to_string(s).unwrap_or_default())
        ),
        None => String::new(),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a}\
main{max-width:60rem;margin:auto;padding:1rem}code,pre{font-family:ui-monospace,monospace}\
pre{background:#f4f4f4;padding:.75rem;overflow-x:auto}td p{margin:0}section{border-top:1px solid #ddd;margin-top:1.5rem}\
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}";

/// Documents the error answers every operation can give (authentication, rate
/// limiting, an unreachable database, malformed or oversized requests), so each
/// status the server can send is in the document — not only the ones an
/// operation's own annotation lists.
pub(super) struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, api: &mut OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in api.paths.paths.iter_mut() {
            let authenticated = path.starts_with("/api/");
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                let mut common = vec![
                    ("429", "Rate limit exceeded (with `Retry-After`)."),
                    ("503", "The database is unreachable; retry shortly."),
                ];
                if authenticated {
                    common.extend([
                        ("400", "Malformed request (query, path or JSON syntax)."),
                        ("401", "Missing or unknown bearer token."),
                        ("403", "The token may not do this."),
                    ]);
                }
                if op.request_body.is_some() {
                    common.extend([
                        ("413", "Body larger than `max_body_bytes`."),
                        ("415", "Body is not `application/json`."),
                        ("422", "A field broke a rule (`field` names it)."),
                    ]);
                }
                if path.contains('{') {
                    common.push(("404", "Not found (or another tenant's)."));
                }
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| error(description));
                }
            }
        }
    }
}
