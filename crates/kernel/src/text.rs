//! Validated strings: a newtype that cannot hold an invalid value, with
//! its OpenAPI schema stating the same rules.
//!
//! ```ignore
//! kernel::validated_string!(
//!     /// A role's name (1–64 characters).
//!     pub RoleName,
//!     schema: |s| s.min_length(Some(1)).max_length(Some(64)).pattern(Some(r"^\S")),
//!     parse: |raw| {
//!         let n = raw.trim();
//!         if n.is_empty() || n.chars().count() > 64 {
//!             Err("must be 1–64 characters".into())
//!         } else {
//!             Ok(n.to_string())
//!         }
//!     }
//! );
//! ```
//!
//! `parse` normalises or says what is wrong (the message becomes the
//! field's error in a 422); `schema` adds the constraints a client can
//! check before sending. Keep the two in step: Schemathesis (in
//! `make test`) sends values the schema allows and fails when the server
//! refuses one. A rule no schema can state (a check character, a lookup)
//! goes in the type's documentation.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema::SchemaType};

/// The schema of a validated string: `description`, then the constraints
/// `rules` adds.
pub fn string_schema(
    description: &str,
    rules: impl FnOnce(ObjectBuilder) -> ObjectBuilder,
) -> RefOr<Schema> {
    let description = description.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let base = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description.trim()));
    RefOr::T(Schema::Object(rules(base).build()))
}

/// Declares a string newtype that validates on construction and when
/// deserialized (a bad value becomes a 422 naming the field), with an
/// OpenAPI schema carrying its constraints. See the [module](self) docs.
#[macro_export]
macro_rules! validated_string {
    ($(#[doc = $doc:literal])* $vis:vis $name:ident, schema: $schema:expr, parse: $parse:expr $(,)?) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        $vis struct $name(String);

        impl $name {
            /// Parses and normalises, or says what is wrong.
            pub fn parse(raw: &str) -> Result<Self, String> {
                let f: fn(&str) -> Result<String, String> = $parse;
                f(raw).map($name)
            }
            /// The normalised text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// Wraps a value read from the database (already valid).
            pub fn from_trusted(s: String) -> Self {
                $name(s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <String as $crate::serde::Deserialize>::deserialize(d)?;
                $name::parse(&raw).map_err(<D::Error as $crate::serde::de::Error>::custom)
            }
        }

        impl $crate::utoipa::PartialSchema for $name {
            fn schema() -> $crate::utoipa::openapi::RefOr<$crate::utoipa::openapi::schema::Schema> {
                let rules: fn(
                    $crate::utoipa::openapi::schema::ObjectBuilder,
                ) -> $crate::utoipa::openapi::schema::ObjectBuilder = $schema;
                $crate::text::string_schema(concat!($($doc, "\n"),*), rules)
            }
        }

        impl $crate::utoipa::ToSchema for $name {}
    };
}

#[cfg(test)]
mod tests {
    use utoipa::PartialSchema;

    crate::validated_string!(
        /// A code: three upper-case letters.
        pub Code,
        schema: |s| s.min_length(Some(3)).max_length(Some(3)).pattern(Some("^[A-Z]{3}$")),
        parse: |raw| {
            let c = raw.trim().to_uppercase();
            if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(c)
            } else {
                Err("must be three letters".into())
            }
        }
    );

    #[test]
    fn parses_serialises_and_describes_itself() {
        assert_eq!(Code::parse(" inr ").unwrap().as_str(), "INR");
        assert_eq!(serde_json::to_value(Code::parse("usd").unwrap()).unwrap(), "USD");
        let e = serde_json::from_str::<Code>("\"toolong\"").unwrap_err();
        assert!(e.to_string().contains("three letters"), "{e}");
        let schema = serde_json::to_value(Code::schema()).unwrap();
        assert_eq!(schema["type"], "string");
        assert_eq!(schema["pattern"], "^[A-Z]{3}$");
        assert_eq!(schema["maxLength"], 3);
        assert_eq!(schema["description"], "A code: three upper-case letters.");
        assert_eq!(Code::from_trusted("EUR".into()).to_string(), "EUR");
    }
}
