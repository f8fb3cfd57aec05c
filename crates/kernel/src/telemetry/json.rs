//! A lean JSON-lines log layer.
//!
//! One object per line: `timestamp`, `level`, `target`, `message`, the
//! event's fields, and the fields of the spans it happened in (root first)
//! under `span`. Span fields are rendered to JSON once, when the span is
//! created, and copied into each line as text — tracing-subscriber's JSON
//! formatter re-parses them for every event, which cost the access log
//! more than everything else it does.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

/// The layer; writes to standard output.
#[derive(Debug, Default)]
pub struct JsonLines;

/// A span's fields, rendered as `"k":v` pairs joined by commas.
struct Rendered(String);

struct Visitor<'a> {
    out: &'a mut String,
    message: Option<&'a mut String>,
}

fn push_key(out: &mut String, key: &str) {
    if !out.is_empty() && !out.ends_with('{') {
        out.push(',');
    }
    push_str(out, key);
    out.push(':');
}

fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message"
            && let Some(m) = self.message.as_deref_mut()
        {
            m.push_str(value);
            return;
        }
        push_key(self.out, field.name());
        push_str(self.out, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        self.record_str(field, &text);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        push_key(self.out, field.name());
        let _ = write!(self.out, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        push_key(self.out, field.name());
        let _ = write!(self.out, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        push_key(self.out, field.name());
        if value.is_finite() {
            let _ = write!(self.out, "{value}");
        } else {
            self.out.push_str("null");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        push_key(self.out, field.name());
        self.out.push_str(if value { "true" } else { "false" });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let text = format!("{value:#}");
        self.record_str(field, &text);
    }
}

impl<S> Layer<S> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = String::new();
        attrs.record(&mut Visitor { out: &mut fields, message: None });
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Rendered(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut ext = span.extensions_mut();
            if let Some(r) = ext.get_mut::<Rendered>() {
                values.record(&mut Visitor { out: &mut r.0, message: None });
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut line = String::with_capacity(384);
        line.push_str("{\"timestamp\":\"");
        let _ = write!(line, "{}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ"));
        line.push_str("\",\"level\":\"");
        line.push_str(meta.level().as_str());
        line.push_str("\",\"target\":");
        push_str(&mut line, meta.target());
        let mut message = String::new();
        let mut fields = String::new();
        event.record(&mut Visitor { out: &mut fields, message: Some(&mut message) });
        line.push_str(",\"message\":");
        push_str(&mut line, &message);
        if !fields.is_empty() {
            line.push(',');
            line.push_str(&fields);
        }
        if let Some(scope) = ctx.event_scope(event) {
            let mut spans = String::new();
            for span in scope.from_root() {
                if let Some(r) = span.extensions().get::<Rendered>()
                    && !r.0.is_empty()
                {
                    if !spans.is_empty() {
                        spans.push(',');
                    }
                    spans.push_str(&r.0);
                }
            }
            if !spans.is_empty() {
                line.push_str(",\"span\":{");
                line.push_str(&spans);
                line.push('}');
            }
        }
        line.push_str("}\n");
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd\u{1}");
        assert_eq!(s, r#""a\"b\\c\nd\u0001""#);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v, "a\"b\\c\nd\u{1}");
    }
}
