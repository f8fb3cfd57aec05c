//! Validated identity types: an invalid value cannot be constructed.

use std::fmt;

use kernel::validated_string;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use kernel::ids::TenantId;

kernel::id_type!(
    /// A person (global: one person may belong to several tenants).
    UserId
);
kernel::id_type!(
    /// A role of a tenant.
    RoleId
);
kernel::id_type!(
    /// An API key of a tenant.
    ApiKeyId
);
kernel::id_type!(
    /// An invitation to join a tenant.
    InvitationId
);

/// An e-mail address: dot-atom ASCII before the `@` (letters, digits and
/// ``!#$%&'*+/=?^_`{|}~.-``), dotted labels of letters, digits and `-`
/// after it.
const EMAIL_PATTERN: &str =
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$";
/// Display text: no control characters, not starting or ending with
/// white space.
const TEXT_PATTERN: &str =
    r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$";
/// A URL name.
const SLUG_PATTERN: &str = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$";
/// A GSTIN's shape (its last character is a check character); either case.
const GSTIN_PATTERN: &str = "^[0-9]{2}[A-Za-z]{5}[0-9]{4}[A-Za-z][1-9A-Za-z][Zz][0-9A-Za-z]$";

/// Display text of 1–`max` characters, as [`TEXT_PATTERN`] states it.
pub fn display_text(raw: &str, max: usize) -> Result<String, String> {
    let edge_space = raw.starts_with(char::is_whitespace) || raw.ends_with(char::is_whitespace);
    if raw.is_empty() {
        Err("must not be empty".into())
    } else if raw.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if raw.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else if edge_space {
        Err("must not start or end with white space".into())
    } else {
        Ok(raw.to_string())
    }
}

validated_string!(
    /// An e-mail address (stored lower-cased).
    pub Email,
    schema: |s| s.max_length(Some(254)).pattern(Some(EMAIL_PATTERN)),
    parse: |raw| {
        let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c);
        let label = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        let ok = raw.len() <= 254
            && raw.rsplit_once('@').is_some_and(|(local, domain)| {
                (1..=64).contains(&local.len())
                    && local.chars().all(atext)
                    && domain.contains('.')
                    && domain.split('.').all(label)
            });
        if ok { Ok(raw.to_lowercase()) } else { Err("is not an e-mail address".into()) }
    }
);

validated_string!(
    /// A company or person's display name (1–200 characters).
    pub Name,
    schema: |s| s.min_length(Some(1)).max_length(Some(200)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| display_text(raw, 200)
);

validated_string!(
    /// A tenant's URL name: lower-case letters, digits and inner dashes, 1–48.
    pub Slug,
    schema: |s| s.min_length(Some(1)).max_length(Some(48)).pattern(Some(SLUG_PATTERN)),
    parse: |s| {
        let ok = !s.is_empty()
            && s.len() <= 48
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(s.to_string())
        } else {
            Err("must be 1–48 lower-case letters, digits or dashes, not starting or ending with a dash".into())
        }
    }
);

impl Slug {
    /// A slug derived from a company name ("Acme Traders Pvt. Ltd." →
    /// "acme-traders-pvt-ltd"); `None` when nothing usable remains.
    pub fn derive(name: &str) -> Option<Slug> {
        let mut out = String::new();
        for c in name.to_lowercase().chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            if out.len() >= 40 {
                break;
            }
        }
        let out = out.trim_matches('-').to_string();
        Slug::parse(&out).ok()
    }
}

validated_string!(
    /// A GSTIN: 15 characters (state code, PAN, entity number, `Z`) and a
    /// valid mod-36 check character.
    pub Gstin,
    schema: |s| s.min_length(Some(15)).max_length(Some(15)).pattern(Some(GSTIN_PATTERN)),
    parse: |raw| {
        let g = raw.to_uppercase();
        if !gstin_shape(&g) {
            return Err("is not a GSTIN (15 characters: state code, PAN, entity, Z, check)".into());
        }
        // 99: registrations under the Centre's jurisdiction (OIDAR suppliers).
        if !(GST_STATES.iter().any(|(c, _)| *c == &g[..2]) || &g[..2] == "99") {
            return Err(format!("starts with {}, which is not a GST state code", &g[..2]));
        }
        let expected = gstin_check_char(&g[..14]).ok_or("is not a GSTIN")?;
        if g.as_bytes()[14] as char != expected {
            return Err(format!("has a wrong check character (expected {expected})"));
        }
        Ok(g)
    }
);

impl Gstin {
    /// The two-digit state code it starts with.
    pub fn state_code(&self) -> &str {
        &self.0[..2]
    }
}

/// `^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$`
fn gstin_shape(g: &str) -> bool {
    let b = g.as_bytes();
    b.len() == 15
        && b[0..2].iter().all(u8::is_ascii_digit)
        && b[2..7].iter().all(u8::is_ascii_uppercase)
        && b[7..11].iter().all(u8::is_ascii_digit)
        && b[11].is_ascii_uppercase()
        && (b[12].is_ascii_uppercase() || (b'1'..=b'9').contains(&b[12]))
        && b[13] == b'Z'
        && (b[14].is_ascii_uppercase() || b[14].is_ascii_digit())
}

/// The GSTIN check character of the first 14 characters (mod-36 scheme).
pub fn gstin_check_char(first14: &str) -> Option<char> {
    const CHARS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut sum = 0u32;
    for (i, c) in first14.bytes().enumerate() {
        let v = CHARS.iter().position(|&x| x == c)? as u32;
        let factor = if i % 2 == 0 { 1 } else { 2 };
        let p = v * factor;
        sum += p / 36 + p % 36;
    }
    let check = (36 - sum % 36) % 36;
    Some(CHARS[check as usize] as char)
}

validated_string!(
    /// An ISO 4217 currency code (three letters, stored upper-cased).
    pub Currency,
    schema: |s| s.min_length(Some(3)).max_length(Some(3)).pattern(Some("^[A-Za-z]{3}$")),
    parse: |raw| {
        let c = raw.to_uppercase();
        if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(c)
        } else {
            Err("must be a three-letter ISO 4217 code such as INR".into())
        }
    }
);

validated_string!(
    /// An IANA time zone such as `Asia/Kolkata`.
    pub TimeZone,
    schema: |s| s.enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()))),
    parse: |z| {
        z.parse::<chrono_tz::Tz>()
            .map(|tz| tz.name().to_string())
            .map_err(|_| "must be an IANA time zone such as Asia/Kolkata".to_string())
    }
);

validated_string!(
    /// A role's name (1–64 characters).
    pub RoleName,
    schema: |s| s.min_length(Some(1)).max_length(Some(64)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| display_text(raw, 64)
);

validated_string!(
    /// An API key's name: what it is for (1–100 characters).
    pub KeyName,
    schema: |s| s.min_length(Some(1)).max_length(Some(100)).pattern(Some(TEXT_PATTERN)),
    parse: |raw| display_text(raw, 100)
);

/// A new password: 10–128 characters and not easy to guess.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

impl Password {
    /// Checks length and strength; `context` words (the e-mail, the
    /// company) make a guessable password weaker.
    pub fn new(raw: &str, context: &[&str]) -> Result<Password, String> {
        let len = raw.chars().count();
        if len < 10 {
            return Err("must be at least 10 characters".into());
        }
        if len > 128 {
            return Err("must be at most 128 characters".into());
        }
        let entropy = zxcvbn::zxcvbn(raw, context);
        if (entropy.score() as u8) < 3 {
            let hint = entropy
                .feedback()
                .and_then(|f| f.warning().map(|w| w.to_string()))
                .unwrap_or_else(|| "add more words or characters".into());
            return Err(format!("is too easy to guess: {hint}"));
        }
        Ok(Password(raw.to_string()))
    }

    /// The password.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A password as typed at login (not checked for strength, only size).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct PasswordInput(String);

impl fmt::Debug for PasswordInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordInput([redacted])")
    }
}

impl PasswordInput {
    /// The text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Tenant settings that control the platform's behaviour for a tenant.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    /// Requests per minute for the whole tenant (all users and keys).
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub requests_per_minute: u32,
    /// Requests per minute for each API key.
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub api_key_requests_per_minute: u32,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self { requests_per_minute: 1200, api_key_requests_per_minute: 600 }
    }
}

impl TenantSettings {
    /// Checks ranges.
    pub fn validate(&self) -> Result<(), kernel::ApiError> {
        let mut errors = Vec::new();
        for (field, v) in [
            ("settings.requests_per_minute", self.requests_per_minute),
            ("settings.api_key_requests_per_minute", self.api_key_requests_per_minute),
        ] {
            if !(1..=1_000_000).contains(&v) {
                errors.push(kernel::FieldError::new(field, "must be between 1 and 1000000"));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(kernel::ApiError::validation(errors)) }
    }
}

/// Indian states and union territories by GST state code.
pub const GST_STATES: &[(&str, &str)] = &[
    ("01", "Jammu and Kashmir"),
    ("02", "Himachal Pradesh"),
    ("03", "Punjab"),
    ("04", "Chandigarh"),
    ("05", "Uttarakhand"),
    ("06", "Haryana"),
    ("07", "Delhi"),
    ("08", "Rajasthan"),
    ("09", "Uttar Pradesh"),
    ("10", "Bihar"),
    ("11", "Sikkim"),
    ("12", "Arunachal Pradesh"),
    ("13", "Nagaland"),
    ("14", "Manipur"),
    ("15", "Mizoram"),
    ("16", "Tripura"),
    ("17", "Meghalaya"),
    ("18", "Assam"),
    ("19", "West Bengal"),
    ("20", "Jharkhand"),
    ("21", "Odisha"),
    ("22", "Chhattisgarh"),
    ("23", "Madhya Pradesh"),
    ("24", "Gujarat"),
    ("26", "Dadra and Nagar Haveli and Daman and Diu"),
    ("27", "Maharashtra"),
    ("29", "Karnataka"),
    ("30", "Goa"),
    ("31", "Lakshadweep"),
    ("32", "Kerala"),
    ("33", "Tamil Nadu"),
    ("34", "Puducherry"),
    ("35", "Andaman and Nicobar Islands"),
    ("36", "Telangana"),
    ("37", "Andhra Pradesh"),
    ("38", "Ladakh"),
    ("97", "Other Territory"),
];

validated_string!(
    /// A GST state code (`27`) — accepted as the code or the state's name.
    pub StateCode,
    schema: |s| {
        let codes = GST_STATES.iter().map(|(code, _)| *code);
        s.enum_values(Some(codes.chain(GST_STATES.iter().map(|(_, name)| *name))))
    },
    parse: |r| {
        GST_STATES
            .iter()
            .find(|(code, name)| *code == r || name.eq_ignore_ascii_case(r))
            .map(|(code, _)| (*code).to_string())
            .ok_or_else(|| "must be an Indian GST state code (e.g. 27) or state name".to_string())
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("Asha@Example.COM").unwrap().as_str(), "asha@example.com");
        for bad in [
            "", "a", "a@b", "@b.c", "a@.b", "a b@c.d", "a@b..c", "a@b.c.", " a@b.c", "a@b.c ",
            "a@bü.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gstin_check_character() {
        assert_eq!(gstin_check_char("27AAPFU0939F1Z"), Some('V'));
        assert!(Gstin::parse("27AAPFU0939F1ZV").is_ok());
        assert!(Gstin::parse("27aapfu0939f1zv").is_ok(), "normalised to upper case");
        assert!(Gstin::parse("27AAPFU0939F1ZA").unwrap_err().contains("check character"));
        assert!(Gstin::parse("27AAPFU0939F1Y").is_err());
        assert_eq!(Gstin::parse("27AAPFU0939F1ZV").unwrap().state_code(), "27");
    }

    #[test]
    fn every_state_code_makes_a_gstin_and_others_do_not() {
        const CHARS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for (code, name) in GST_STATES.iter().chain(&[("99", "Centre")]) {
            let first = format!("{code}AAPFU0939F1Z");
            let check = gstin_check_char(&first).unwrap();
            let good = format!("{first}{check}");
            let g = Gstin::parse(&good).unwrap_or_else(|e| panic!("{name}: {good}: {e}"));
            assert_eq!(g.state_code(), *code);
            // Every other check character is refused.
            for wrong in CHARS.chars().filter(|c| *c != check) {
                let bad = format!("{first}{wrong}");
                assert!(Gstin::parse(&bad).unwrap_err().contains("check character"), "{bad}");
            }
        }
        for code in ["00", "39", "40", "95", "96", "98"] {
            let first = format!("{code}AAPFU0939F1Z");
            let good = format!("{first}{}", gstin_check_char(&first).unwrap());
            assert!(Gstin::parse(&good).unwrap_err().contains("not a GST state code"), "{good}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(
            Slug::derive("Acme Traders Pvt. Ltd.").unwrap().as_str(),
            "acme-traders-pvt-ltd"
        );
        assert_eq!(Slug::derive("  ...  "), None);
        assert!(Slug::parse("-x").is_err());
        assert!(Slug::parse("A").is_err());
        assert!(Slug::parse("ok-1").is_ok());
    }

    #[test]
    fn passwords() {
        assert!(Password::new("short", &[]).is_err());
        assert!(Password::new("password123", &[]).unwrap_err().contains("too easy"));
        assert!(Password::new("asha@example.com1", &["asha@example.com"]).is_err());
        assert!(Password::new("correct horse battery staple", &[]).is_ok());
        assert!(Password::new("a long passphrase 42", &[]).is_ok(), "the README example");
        assert!(Password::new(&"x".repeat(129), &[]).is_err());
    }

    #[test]
    fn states_and_zones() {
        assert_eq!(StateCode::parse("Maharashtra").unwrap().as_str(), "27");
        assert_eq!(StateCode::parse("29").unwrap().as_str(), "29");
        assert!(StateCode::parse("Atlantis").is_err());
        assert!(TimeZone::parse("Asia/Kolkata").is_ok());
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert!(Currency::parse("inr").is_ok());
        assert!(Currency::parse("RUPEES").is_err());
    }
}
