//! The prompt format of the local model, and stop-sequence handling while
//! streaming.
//!
//! Gemma 3 270M is a small *base* model: it continues text rather than
//! following a chat template. A conversation is written as a transcript
//! with a short example exchange, ending with `Assistant:` for it to
//! continue; generation stops at a blank line or when it starts the next
//! turn.

use super::{Message, Role};

/// Said before the conversation when no system message is given.
const DEFAULT_SYSTEM: &str = "The following is a conversation between a user and a helpful, \
     concise assistant. The assistant answers accurately in one short paragraph.";

/// Stop sequences the format itself needs.
pub const FORMAT_STOPS: &[&str] = &["\nUser:", "\n\n", "\nAssistant:"];

/// Writes the conversation as a transcript for a base model.
pub fn transcript(messages: &[Message]) -> String {
    let mut system: Vec<&str> =
        messages.iter().filter(|m| m.role == Role::System).map(|m| m.content.trim()).collect();
    if system.is_empty() {
        system.push(DEFAULT_SYSTEM);
    }
    let mut out = String::new();
    out.push_str(&system.join("\n"));
    out.push_str(
        "\n\nUser: Hello, who are you?\nAssistant: I am an assistant. How can I help you today?\n",
    );
    for m in messages {
        let text = one_line(&m.content);
        match m.role {
            Role::System => {}
            Role::User => {
                out.push_str("User: ");
                out.push_str(&text);
                out.push('\n');
            }
            Role::Assistant => {
                out.push_str("Assistant: ");
                out.push_str(&text);
                out.push('\n');
            }
            Role::Tool => {
                out.push_str("Tool result: ");
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    out.push_str("Assistant:");
    out
}

/// Blank lines inside a turn would end the model's answer early (a blank
/// line stops generation), so paragraphs are joined with single newlines.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut newlines = 0;
    for c in text.trim().chars() {
        if c == '\n' {
            newlines += 1;
            if newlines == 1 {
                out.push('\n');
            }
        } else if c == '\r' {
        } else {
            newlines = 0;
            out.push(c);
        }
    }
    out
}

/// Holds back generated text that could be the start of a stop sequence,
/// and ends the text at the first stop sequence.
#[derive(Debug, Clone)]
pub struct StopMatcher {
    stops: Vec<String>,
    pending: String,
}

/// What to do with newly generated text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Emit this (possibly empty) text and continue.
    Emit(String),
    /// Emit this text and stop: a stop sequence was reached.
    Stop(String),
}

impl StopMatcher {
    /// A matcher for these stop sequences (empty ones are ignored).
    pub fn new(stops: impl IntoIterator<Item = String>) -> StopMatcher {
        StopMatcher {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            pending: String::new(),
        }
    }

    /// Adds newly generated text.
    pub fn push(&mut self, text: &str) -> Step {
        self.pending.push_str(text);
        // The earliest stop sequence found ends the text.
        let first = self.stops.iter().filter_map(|s| self.pending.find(s.as_str())).min();
        if let Some(at) = first {
            let out = self.pending[..at].to_string();
            self.pending.clear();
            return Step::Stop(out);
        }
        // Keep the longest tail that is a prefix of some stop sequence.
        let mut keep = 0;
        for s in &self.stops {
            for (i, _) in s.char_indices().skip(1).chain(std::iter::once((s.len(), ' '))) {
                let prefix = &s[..i];
                if i > keep && self.pending.ends_with(prefix) {
                    keep = i;
                }
            }
        }
        let cut = self.pending.len() - keep;
        let out = self.pending[..cut].to_string();
        self.pending.drain(..cut);
        Step::Emit(out)
    }

    /// The text held back when generation ends for another reason.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_shape() {
        let t = transcript(&[
            Message::new(Role::System, "You answer questions about Acme Traders."),
            Message::new(Role::User, "When do you open?\n\n\nPlease say."),
            Message::new(Role::Assistant, "At 10."),
            Message::new(Role::User, "And close?"),
        ]);
        assert!(t.starts_with("You answer questions about Acme Traders.\n\nUser: Hello"));
        assert!(t.contains(
            "User: When do you open?\nPlease say.\nAssistant: At 10.\nUser: And close?\n"
        ));
        assert!(t.ends_with("\nAssistant:"));
        assert!(!t.contains("When do you open?\n\n"), "no blank line inside a turn");
        let d = transcript(&[Message::new(Role::User, "hi")]);
        assert!(d.starts_with(DEFAULT_SYSTEM));
    }

    #[test]
    fn stops_hold_back_prefixes_and_cut() {
        let mut m = StopMatcher::new(["\nUser:".to_string(), "\n\n".to_string()]);
        assert_eq!(m.push(" We open"), Step::Emit(" We open".into()));
        assert_eq!(m.push(" at 10.\n"), Step::Emit(" at 10.".into()), "a newline may start a stop");
        assert_eq!(m.push("Use"), Step::Emit(String::new()));
        assert_eq!(m.push("r: next"), Step::Stop(String::new()));
        let mut m = StopMatcher::new(["\nUser:".to_string()]);
        assert_eq!(m.push("a\nb"), Step::Emit("a\nb".into()));
        assert_eq!(m.push("\nUs"), Step::Emit(String::new()));
        assert_eq!(m.finish(), "\nUs");
        let mut m = StopMatcher::new(["END".to_string(), "".to_string()]);
        assert_eq!(m.push("fooEN"), Step::Emit("foo".into()));
        assert_eq!(m.push("Dbar"), Step::Stop(String::new()));
        let mut m = StopMatcher::new(["→x".to_string()]);
        assert_eq!(m.push("a→"), Step::Emit("a".into()));
        assert_eq!(m.push("y"), Step::Emit("→y".into()));
    }
}
