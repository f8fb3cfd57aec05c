//! The OpenAPI schemas of the gateway's loosely typed fields (OpenAI's
//! request shapes are unions the Rust types keep as JSON values): what
//! [`super`] accepts, stated so a client can check a request before
//! sending it.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn null() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Null)
}

fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
}

fn one_of(items: impl IntoIterator<Item = Schema>, description: &str) -> Schema {
    let mut b = OneOfBuilder::new().description(Some(description));
    for i in items {
        b = b.item(i);
    }
    b.into()
}

/// A message's content: a text, or text parts.
fn content() -> Schema {
    let part = object()
        .property("type", string().enum_values(Some(["text"])))
        .required("type")
        .property("text", string())
        .required("text");
    one_of(
        [string().into(), ArrayBuilder::new().items(part).into(), null().into()],
        "A text, or a list of `{\"type\": \"text\", \"text\": …}` parts",
    )
}

/// `messages`: at least one; a `tool` message names the call it answers.
pub fn messages() -> Schema {
    let function = object()
        .property("name", string())
        .required("name")
        .property("arguments", string().description(Some("The arguments, as a JSON text")))
        .required("arguments");
    let call = object()
        .property("id", string())
        .required("id")
        .property("type", string().enum_values(Some(["function"])))
        .property("function", function)
        .required("function");
    let tool_calls = ArrayBuilder::new().items(call);
    let said = object()
        .property("role", string().enum_values(Some(["system", "developer", "user", "assistant"])))
        .required("role")
        .property("content", content())
        .property("name", string())
        .property(
            "tool_calls",
            one_of([tool_calls.into(), null().into()], "Calls the assistant made"),
        )
        .description(Some("A message of the conversation"));
    let tool = object()
        .property("role", string().enum_values(Some(["tool"])))
        .required("role")
        .property("content", content())
        .property("tool_call_id", string().description(Some("The call this answers")))
        .required("tool_call_id")
        .description(Some("A tool's answer to a call"));
    ArrayBuilder::new()
        .items(RefOr::T(one_of([said.into(), tool.into()], "A message")))
        .min_items(Some(1))
        .description(Some("The conversation, oldest first"))
        .into()
}

/// `stop`: a sequence or up to four.
pub fn stop() -> Schema {
    let list = ArrayBuilder::new().items(string()).max_items(Some(4));
    one_of([string().into(), list.into(), null().into()], "A stop sequence or up to four")
}

/// `tools`: function definitions.
pub fn tools() -> Schema {
    let function = object()
        .property("name", string())
        .required("name")
        .property("description", string())
        .property("parameters", object().description(Some("JSON Schema of the arguments")));
    let tool = object()
        .property("type", string().enum_values(Some(["function"])))
        .required("type")
        .property("function", function)
        .required("function");
    one_of(
        [ArrayBuilder::new().items(tool).into(), null().into()],
        "Functions the model may call (not the built-in local model)",
    )
}

/// `tool_choice`: a mode or one function.
pub fn tool_choice() -> Schema {
    let mode = string().enum_values(Some(["auto", "none", "required"]));
    let function = object()
        .property("type", string().enum_values(Some(["function"])))
        .required("type")
        .property("function", object().property("name", string()).required("name"))
        .required("function");
    one_of(
        [mode.into(), function.into(), null().into()],
        "`auto`, `none`, `required` or a function",
    )
}

/// `response_format`.
pub fn response_format() -> Schema {
    let format = object()
        .property("type", string().enum_values(Some(["text", "json_object", "json_schema"])))
        .required("type")
        .property("json_schema", object());
    one_of([format.into(), null().into()], "`{\"type\": \"json_object\"}` asks for JSON")
}

/// `stream_options`.
pub fn stream_options() -> Schema {
    let options = object().property(
        "include_usage",
        ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some("Add a chunk with the token counts at the end")),
    );
    one_of([options.into(), null().into()], "Streaming options")
}

/// `input` of an embeddings request: a text or up to 2048 texts.
pub fn embedding_input() -> Schema {
    let list = ArrayBuilder::new().items(string()).min_items(Some(1)).max_items(Some(2048));
    one_of([string().into(), list.into()], "A text or a list of up to 2048 texts")
}

/// Checks a value against the shapes above (the server holds requests to
/// what the document says): the first field at fault, and why.
pub mod check {
    use kernel::FieldError;
    use serde_json::Value;

    type Checked = Result<(), FieldError>;

    fn bad(field: &str, message: &str) -> Checked {
        Err(FieldError::new(field, message))
    }

    /// A text without NUL characters.
    pub fn text(field: &str, v: &Value) -> Checked {
        match v.as_str() {
            Some(s) if s.contains('\0') => bad(field, "must not contain NUL characters"),
            Some(_) => Ok(()),
            None => bad(field, "must be a string"),
        }
    }

    fn optional_text(field: &str, v: Option<&Value>) -> Checked {
        match v {
            None => Ok(()),
            Some(v) => text(field, v),
        }
    }

    fn one_of(field: &str, v: &Value, allowed: &[&str]) -> Checked {
        text(field, v)?;
        if allowed.iter().any(|a| v.as_str() == Some(*a)) {
            Ok(())
        } else {
            bad(field, &format!("must be one of: {}", allowed.join(", ")))
        }
    }

    fn object<'v>(
        field: &str,
        v: &'v Value,
    ) -> Result<&'v serde_json::Map<String, Value>, FieldError> {
        v.as_object().ok_or_else(|| FieldError::new(field, "must be an object"))
    }

    /// A message's `content`: a text, text parts or null.
    pub fn content(field: &str, v: Option<&Value>) -> Checked {
        match v {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(_)) => text(field, v.unwrap_or(&Value::Null)),
            Some(Value::Array(parts)) => {
                for (j, p) in parts.iter().enumerate() {
                    let at = format!("{field}[{j}]");
                    let p = object(&at, p)?;
                    match p.get("type") {
                        Some(t) => one_of(&format!("{at}.type"), t, &["text"])?,
                        None => return bad(&format!("{at}.type"), "is required"),
                    }
                    match p.get("text") {
                        Some(t) => text(&format!("{at}.text"), t)?,
                        None => return bad(&format!("{at}.text"), "is required"),
                    }
                }
                Ok(())
            }
            Some(_) => bad(field, "must be a string or a list of parts"),
        }
    }

    /// An assistant's `tool_calls`.
    pub fn tool_calls(field: &str, v: &Value) -> Checked {
        let Some(calls) = v.as_array() else { return bad(field, "must be a list") };
        for (i, c) in calls.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let c = object(&at, c)?;
            text(&format!("{at}.id"), c.get("id").unwrap_or(&Value::Null))?;
            if let Some(t) = c.get("type") {
                one_of(&format!("{at}.type"), t, &["function"])?;
            }
            let f = object(&format!("{at}.function"), c.get("function").unwrap_or(&Value::Null))?;
            text(&format!("{at}.function.name"), f.get("name").unwrap_or(&Value::Null))?;
            text(&format!("{at}.function.arguments"), f.get("arguments").unwrap_or(&Value::Null))?;
        }
        Ok(())
    }

    /// `stop`: a text, up to four texts, or null.
    pub fn stop(v: Option<&Value>) -> Checked {
        match v {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(_)) => optional_text("stop", v),
            Some(Value::Array(list)) => {
                if list.len() > 4 {
                    return bad("stop", "at most 4 stop sequences");
                }
                list.iter().enumerate().try_for_each(|(i, s)| text(&format!("stop[{i}]"), s))
            }
            Some(_) => bad("stop", "must be a string or a list of strings"),
        }
    }

    /// `tools`: function definitions, or null.
    pub fn tools(v: Option<&Value>) -> Checked {
        let list = match v {
            None | Some(Value::Null) => return Ok(()),
            Some(Value::Array(list)) => list,
            Some(_) => return bad("tools", "must be a list of tools"),
        };
        for (i, t) in list.iter().enumerate() {
            let at = format!("tools[{i}]");
            let t = object(&at, t)?;
            one_of(&format!("{at}.type"), t.get("type").unwrap_or(&Value::Null), &["function"])?;
            let f = object(&format!("{at}.function"), t.get("function").unwrap_or(&Value::Null))?;
            text(&format!("{at}.function.name"), f.get("name").unwrap_or(&Value::Null))?;
            optional_text(&format!("{at}.function.description"), f.get("description"))?;
            if let Some(p) = f.get("parameters") {
                object(&format!("{at}.function.parameters"), p)?;
            }
        }
        Ok(())
    }

    /// `tool_choice`: a mode, one function, or null.
    pub fn tool_choice(v: Option<&Value>) -> Checked {
        match v {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(_)) => {
                one_of("tool_choice", v.unwrap_or(&Value::Null), &["auto", "none", "required"])
            }
            Some(Value::Object(c)) => {
                let ty = c.get("type").unwrap_or(&Value::Null);
                one_of("tool_choice.type", ty, &["function"])?;
                let f = object("tool_choice.function", c.get("function").unwrap_or(&Value::Null))?;
                text("tool_choice.function.name", f.get("name").unwrap_or(&Value::Null))
            }
            Some(_) => bad("tool_choice", "must be `auto`, `none`, `required` or a function"),
        }
    }

    /// `response_format`: `{"type": …}` or null.
    pub fn response_format(v: Option<&Value>) -> Checked {
        match v {
            None | Some(Value::Null) => Ok(()),
            Some(f) => {
                let f = object("response_format", f)?;
                let ty = f.get("type").unwrap_or(&Value::Null);
                one_of("response_format.type", ty, &["text", "json_object", "json_schema"])?;
                if let Some(s) = f.get("json_schema") {
                    object("response_format.json_schema", s)?;
                }
                Ok(())
            }
        }
    }

    /// `stream_options`: `{"include_usage": bool}` or null.
    pub fn stream_options(v: Option<&Value>) -> Checked {
        match v {
            None | Some(Value::Null) => Ok(()),
            Some(o) => match object("stream_options", o)?.get("include_usage") {
                None | Some(Value::Bool(_)) => Ok(()),
                Some(_) => bad("stream_options.include_usage", "must be true or false"),
            },
        }
    }
}
