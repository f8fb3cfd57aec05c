//! Understanding a customer's message without a capable model: the intent
//! from examples (nearest example by sentence embedding, so it works with
//! the bundled encoder offline), entities by rule (order numbers, e-mail
//! addresses, phone numbers, amounts, dates) and sentiment from a lexicon
//! with negation and intensifiers.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the bot does with a message of an intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IntentAction {
    /// Answer from the knowledge base.
    Answer,
    /// Hand the conversation to a person.
    Handoff,
    /// Send the intent's fixed reply.
    Reply,
    /// Ask the intent's clarifying question.
    Clarify,
}

impl IntentAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentAction::Answer => "answer",
            IntentAction::Handoff => "handoff",
            IntentAction::Reply => "reply",
            IntentAction::Clarify => "clarify",
        }
    }

    /// The action stored as `s`.
    pub fn parse(s: &str) -> Option<IntentAction> {
        match s {
            "answer" => Some(IntentAction::Answer),
            "handoff" => Some(IntentAction::Handoff),
            "reply" => Some(IntentAction::Reply),
            "clarify" => Some(IntentAction::Clarify),
            _ => None,
        }
    }
}

/// An intent: its name, examples and action.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentDef {
    /// `snake_case` name.
    pub name: String,
    /// Example messages.
    pub examples: Vec<String>,
    /// What to do.
    pub action: IntentAction,
    /// The reply or question for `reply` and `clarify`.
    pub reply: String,
}

/// The intent of a customer who asks for a person.
pub const HUMAN: &str = "human";
/// Greetings.
pub const GREETING: &str = "greeting";
/// Thanks.
pub const THANKS: &str = "thanks";

/// The intents every company has; a company's own intent of the same name
/// replaces one.
pub fn builtin() -> Vec<IntentDef> {
    let d = |name: &str, action, reply: &str, ex: &[&str]| IntentDef {
        name: name.into(),
        examples: ex.iter().map(|s| s.to_string()).collect(),
        action,
        reply: reply.into(),
    };
    vec![
        d(
            HUMAN,
            IntentAction::Handoff,
            "",
            &[
                "I want to talk to a person",
                "can I speak to a human",
                "connect me to an agent",
                "let me talk to customer support",
                "I need a real person",
                "transfer me to a representative",
                "is there someone I can talk to",
                "human please",
                "speak to your staff",
                "call me back",
                "can someone from your team help me",
                "I want to speak to the manager",
                "I need help from a real human",
                "please get me customer care",
            ],
        ),
        d(
            GREETING,
            IntentAction::Reply,
            "Hello! How can I help you today?",
            &[
                "hi",
                "hello",
                "hey there",
                "good morning",
                "good evening",
                "namaste",
                "hi, anyone there?",
            ],
        ),
        d(
            THANKS,
            IntentAction::Reply,
            "You're welcome! Is there anything else I can help with?",
            &[
                "thank you",
                "thanks a lot",
                "thanks, that helps",
                "great, thank you",
                "much appreciated",
            ],
        ),
    ]
}

/// Words that ask for a person however the rest is phrased: a short
/// message holding one of them is the `human` intent whatever the
/// embedding says.
const HUMAN_WORDS: &[&str] = &[
    "agent",
    "human",
    "person",
    "representative",
    "operator",
    "staff",
    "someone",
    "somebody",
    "manager",
];

/// Whether a short message plainly asks for a person ("agent", "talk to a
/// human please").
pub fn asks_for_human(text: &str) -> bool {
    let words: Vec<String> = words(text).collect();
    if words.is_empty() || words.len() > 12 {
        return false;
    }
    words.iter().any(|w| HUMAN_WORDS.contains(&w.as_str()))
        && (words.len() <= 2
            || words.iter().any(|w| {
                matches!(
                    w.as_str(),
                    "talk"
                        | "speak"
                        | "connect"
                        | "transfer"
                        | "want"
                        | "need"
                        | "get"
                        | "real"
                        | "live"
                        | "please"
                )
            }))
}

/// The best intent for a message, from the cosine similarities of its
/// embedding to each example (`scores[i]` lists intent `i`'s): the intent
/// of the most similar example, when that similarity reaches `threshold`.
pub fn classify(scores: &[Vec<f32>], threshold: f32) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for (i, s) in scores.iter().enumerate() {
        let top = s.iter().copied().fold(f32::MIN, f32::max);
        if top >= threshold && best.is_none_or(|(_, b)| top > b) {
            best = Some((i, top));
        }
    }
    best
}

/// An entity found in a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageEntity {
    /// `order_number`, `email`, `phone`, `amount` or `date`.
    pub kind: String,
    /// The text as written.
    pub text: String,
    /// The normalised value (digits of a phone number, an amount as a
    /// decimal string, a date as `YYYY-MM-DD`).
    pub value: String,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
}

/// The entities of a message, in the order they appear.
pub fn entities(text: &str, today: chrono::NaiveDate) -> Vec<MessageEntity> {
    let mut out: Vec<(usize, MessageEntity)> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let tokens: Vec<(usize, &str)> = text
        .split_whitespace()
        .map(|t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
        .collect();
    let trim = |t: &str| -> String {
        t.trim_matches(|c: char| {
            matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | '(' | '"' | '\'')
        })
        .to_string()
    };
    let mut push = |out: &mut Vec<(usize, MessageEntity)>,
                    at: usize,
                    len: usize,
                    kind: &str,
                    t: &str,
                    v: String| {
        if taken.iter().any(|&(a, b)| at < b && a < at + len) {
            return;
        }
        taken.push((at, at + len));
        out.push((at, MessageEntity { kind: kind.into(), text: t.to_string(), value: v }));
    };
    // E-mail addresses.
    for &(at, tok) in &tokens {
        let t = trim(tok);
        if let Some((user, host)) = t.split_once('@')
            && !user.is_empty()
            && host.contains('.')
            && !host.starts_with('.')
            && !host.ends_with('.')
        {
            push(&mut out, at, tok.len(), "email", &t, t.to_lowercase());
        }
    }
    // Order numbers: "#12345", "order 12345", "order no. 4521", "ORD-1234".
    for (i, &(at, tok)) in tokens.iter().enumerate() {
        let t = trim(tok);
        let lower = t.to_lowercase();
        let digits =
            |s: &str| s.len() >= 3 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if let Some(rest) = t.strip_prefix('#')
            && digits(rest)
            && rest.chars().any(|c| c.is_ascii_digit())
        {
            push(&mut out, at, tok.len(), "order_number", &t, rest.to_uppercase());
            continue;
        }
        if (lower.starts_with("ord-") || lower.starts_with("ord/") || lower.starts_with("inv-"))
            && t.chars().any(|c| c.is_ascii_digit())
        {
            push(&mut out, at, tok.len(), "order_number", &t, t.to_uppercase());
            continue;
        }
        if lower == "order" || lower == "booking" {
            let mut j = i + 1;
            while j < tokens.len()
                && matches!(
                    trim(tokens[j].1).to_lowercase().as_str(),
                    "no" | "number" | "id" | "#" | "is"
                )
            {
                j += 1;
            }
            if let Some(&(at2, tok2)) = tokens.get(j) {
                let v = trim(tok2);
                let v = v.trim_start_matches('#');
                if v.len() >= 3
                    && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && v.chars().any(|c| c.is_ascii_digit())
                {
                    push(&mut out, at2, tok2.len(), "order_number", v, v.to_uppercase());
                }
            }
        }
    }
    // Amounts: "₹500", "Rs. 1,200", "INR 300", "$20.50", "500 rupees".
    for (i, &(at, tok)) in tokens.iter().enumerate() {
        let t = trim(tok);
        let lower = t.to_lowercase();
        let number = |s: &str| -> Option<String> {
            let s = s.replace(',', "");
            let ok = !s.is_empty()
                && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                && s.chars().filter(|&c| c == '.').count() <= 1
                && s.chars().next().is_some_and(|c| c.is_ascii_digit());
            ok.then_some(s)
        };
        for prefix in ["₹", "rs.", "rs", "inr", "$", "usd"] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let (rest, len) = if rest.is_empty() {
                    match tokens.get(i + 1) {
                        Some(&(a2, t2)) => (trim(t2), a2 + t2.len() - at),
                        None => (String::new(), 0),
                    }
                } else {
                    (rest.to_string(), tok.len())
                };
                if let Some(v) = number(&rest) {
                    push(&mut out, at, len, "amount", &text[at..at + len], v);
                }
                break;
            }
        }
        if let Some(v) = number(&t)
            && let Some(&(_, next)) = tokens.get(i + 1)
            && matches!(trim(next).to_lowercase().as_str(), "rupees" | "rs" | "inr" | "dollars")
        {
            let len = tokens[i + 1].0 + next.len() - at;
            push(&mut out, at, len, "amount", &text[at..at + len], v);
        }
    }
    // Dates: ISO, dd/mm/yyyy, "today", "tomorrow".
    for &(at, tok) in &tokens {
        let t = trim(tok);
        let lower = t.to_lowercase();
        let date = if let Ok(d) = chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
            Some(d)
        } else if let Ok(d) = chrono::NaiveDate::parse_from_str(&t, "%d/%m/%Y") {
            Some(d)
        } else if let Ok(d) = chrono::NaiveDate::parse_from_str(&t, "%d-%m-%Y") {
            Some(d)
        } else if lower == "today" {
            Some(today)
        } else if lower == "tomorrow" {
            today.succ_opt()
        } else if lower == "yesterday" {
            today.pred_opt()
        } else {
            None
        };
        if let Some(d) = date {
            push(&mut out, at, tok.len(), "date", &t, d.format("%Y-%m-%d").to_string());
        }
    }
    // Phone numbers: 10 to 13 digits, with + - ( ) and spaces inside.
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < bytes.len() {
        let (start, c) = bytes[i];
        if c == '+' || c.is_ascii_digit() {
            let mut j = i;
            let mut digits = String::new();
            let mut end = start;
            while j < bytes.len() {
                let (p, ch) = bytes[j];
                if ch.is_ascii_digit() {
                    digits.push(ch);
                    end = p + 1;
                } else if !(matches!(ch, '+' | '-' | '(' | ')' | ' ') && (ch != '+' || j == i)) {
                    break;
                }
                j += 1;
            }
            if (10..=13).contains(&digits.len()) {
                let raw = text[start..end].to_string();
                push(&mut out, start, end - start, "phone", &raw, digits);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out.sort_by_key(|(at, _)| *at);
    out.into_iter().map(|(_, e)| e).collect()
}

const NEGATIVE: &[(&str, f32)] = &[
    ("angry", -2.5),
    ("annoyed", -2.0),
    ("awful", -3.0),
    ("bad", -2.0),
    ("broken", -1.5),
    ("cheated", -3.0),
    ("complain", -1.5),
    ("complaint", -1.5),
    ("damaged", -2.0),
    ("delay", -1.0),
    ("delayed", -1.5),
    ("disappointed", -2.5),
    ("disgusting", -3.0),
    ("fake", -2.5),
    ("fraud", -3.5),
    ("frustrated", -2.5),
    ("furious", -3.5),
    ("garbage", -3.0),
    ("hate", -3.0),
    ("horrible", -3.0),
    ("late", -1.0),
    ("lied", -3.0),
    ("mad", -2.0),
    ("missing", -1.0),
    ("pathetic", -3.0),
    ("poor", -2.0),
    ("problem", -1.0),
    ("refund", -0.5),
    ("ridiculous", -2.5),
    ("rubbish", -2.5),
    ("rude", -2.5),
    ("scam", -3.5),
    ("slow", -1.5),
    ("terrible", -3.0),
    ("upset", -2.0),
    ("useless", -3.0),
    ("waste", -2.5),
    ("worse", -2.5),
    ("worst", -3.5),
    ("wrong", -1.5),
];

const POSITIVE: &[(&str, f32)] = &[
    ("amazing", 3.0),
    ("appreciate", 2.0),
    ("awesome", 3.0),
    ("excellent", 3.0),
    ("fantastic", 3.0),
    ("fine", 1.0),
    ("glad", 2.0),
    ("good", 2.0),
    ("great", 3.0),
    ("happy", 2.5),
    ("helpful", 2.0),
    ("love", 3.0),
    ("nice", 2.0),
    ("perfect", 3.0),
    ("pleased", 2.5),
    ("quick", 1.0),
    ("thank", 1.5),
    ("thanks", 1.5),
    ("wonderful", 3.0),
];

const NEGATIONS: &[&str] = &[
    "not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "won't", "can't",
    "cannot", "nothing",
];
const BOOSTERS: &[&str] =
    &["very", "so", "extremely", "really", "totally", "absolutely", "completely", "too"];

/// The sentiment of a message, from -1 (angry) to 1 (delighted): lexicon
/// scores, flipped after a negation ("not good"), raised by intensifiers,
/// exclamation marks and shouting, normalised like VADER
/// (`s / √(s² + 15)`).
pub fn sentiment(text: &str) -> f32 {
    let raw: Vec<&str> = text.split_whitespace().collect();
    let ws: Vec<String> = words(text).collect();
    let mut sum = 0.0f32;
    for (i, w) in ws.iter().enumerate() {
        let base = NEGATIVE
            .iter()
            .chain(POSITIVE)
            .find(|(k, _)| w == k || (k.len() > 4 && w.starts_with(k)))
            .map(|(_, v)| *v);
        let Some(mut v) = base else { continue };
        let before = &ws[i.saturating_sub(3)..i];
        if before.iter().any(|b| BOOSTERS.contains(&b.as_str())) {
            v *= 1.3;
        }
        if before.iter().any(|b| NEGATIONS.contains(&b.as_str())) {
            v *= -0.6;
        }
        sum += v;
    }
    let bangs = text.matches('!').count().min(3) as f32;
    let shouted = raw
        .iter()
        .filter(|w| {
            w.chars().filter(|c| c.is_alphabetic()).count() >= 3
                && w.chars().all(|c| !c.is_lowercase())
        })
        .count();
    if sum != 0.0 {
        let emphasis = 1.0 + 0.1 * bangs + if shouted * 2 >= raw.len().max(1) { 0.3 } else { 0.0 };
        sum *= emphasis;
    }
    (sum / (sum * sum + 15.0).sqrt()).clamp(-1.0, 1.0)
}

/// What to search the documents for: the questions of a message that
/// holds several sentences ("My flight was cancelled. How long do refunds
/// take?" → the second), or the whole message when it asks none.
pub fn question_of(text: &str) -> String {
    let mut questions = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?' | '\n') {
            let s = text[start..i + c.len_utf8()].trim();
            if c == '?' && s.split_whitespace().count() >= 3 {
                questions.push(s.to_string());
            }
            start = i + c.len_utf8();
        }
    }
    if questions.is_empty() { text.trim().to_string() } else { questions.join(" ") }
}

/// The distinct examples of a set of intents, for embedding once.
pub fn all_examples(intents: &[IntentDef]) -> Vec<String> {
    let mut seen = HashSet::new();
    intents
        .iter()
        .flat_map(|i| i.examples.iter())
        .filter(|e| seen.insert(e.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default()
    }

    #[test]
    fn finds_orders_emails_phones_amounts_and_dates() {
        let e = entities(
            "Order #45821 to ravi@example.in, call +91 98765 43210; I paid ₹1,250.50 on 05/12/2026, deliver tomorrow",
            day(),
        );
        let kinds: Vec<(&str, &str)> =
            e.iter().map(|e| (e.kind.as_str(), e.value.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("order_number", "45821"),
                ("email", "ravi@example.in"),
                ("phone", "919876543210"),
                ("amount", "1250.50"),
                ("date", "2026-12-05"),
                ("date", "2026-12-08"),
            ]
        );
        let e = entities("where is my order no 7781? it cost Rs. 999", day());
        assert_eq!(e[0].value, "7781");
        assert_eq!(e[1].kind, "amount");
        assert_eq!(e[1].value, "999");
        assert!(entities("I have 3 kids and 2 dogs", day()).is_empty());
    }

    #[test]
    fn sentiment_reads_negation_and_emphasis() {
        assert!(sentiment("This is the worst service, a total scam!!!") < -0.7);
        assert!(sentiment("thank you, that was great") > 0.5);
        assert!(sentiment("the delivery was not good") < 0.0);
        assert!(sentiment("not bad at all") > 0.0);
        assert_eq!(sentiment("What are your opening hours?"), 0.0);
        assert!(sentiment("TERRIBLE") < sentiment("terrible"));
    }

    #[test]
    fn plain_requests_for_a_person() {
        assert!(asks_for_human("agent"));
        assert!(asks_for_human("Human please!"));
        assert!(asks_for_human("I want to talk to a real person"));
        assert!(!asks_for_human(
            "Is the person who delivers my parcel insured against loss on the way?"
        ));
        assert!(!asks_for_human("what does your staff discount cover"));
    }

    #[test]
    fn searches_for_the_question_of_a_long_message() {
        assert_eq!(
            question_of("My flight was cancelled. How long do refunds take?"),
            "How long do refunds take?"
        );
        assert_eq!(question_of("refund status pls"), "refund status pls");
        assert_eq!(question_of("Hi! Where is my bag? Is it lost?"), "Where is my bag? Is it lost?");
    }

    #[test]
    fn classifies_by_the_nearest_example() {
        let scores = vec![vec![0.2, 0.71], vec![0.69, 0.5], vec![0.1]];
        assert_eq!(classify(&scores, 0.6), Some((0, 0.71)));
        assert_eq!(classify(&scores, 0.8), None);
    }
}
