//! The shape rules for one scalar token, apart from the target type, and
//! the wording of what does not fit.

use super::*;

/// The shape rules for one scalar value, free of the target's type.
pub(super) struct Rules<'s, 'm> {
    pub(super) s: &'s Session<'m>,
    pub(super) format: Format,
    pub(super) shape: &'m Shape,
    pub(super) top: bool,
}

impl Rules<'_, '_> {
    pub(super) fn kind(&self) -> ShapeType {
        self.shape.kind
    }

    pub(super) fn mismatch<E: Error>(&self, token: Token) -> E {
        fail(mismatch_error(self.format, self.top, token, self.shape.kind))
    }

    /// A whole number, as the shape takes it.
    pub(super) fn number<'t, E: Error>(&self, number: i128) -> Result<Scalar<'t>, E> {
        match self.kind() {
            kind if kind.is_integer() => {
                let value = integer_in_range(kind, number).map_err(fail)?;
                self.s.require(number_ok(self.shape, value as f64))?;
                Ok(Scalar::Integer(value))
            }
            kind if kind.is_float() => {
                self.s.require(number_ok(self.shape, number as f64))?;
                Ok(Scalar::Float(number as f64))
            }
            ShapeType::BigInteger | ShapeType::BigDecimal => Ok(Scalar::Digits(number.to_string())),
            ShapeType::Timestamp => {
                let seconds =
                    i64::try_from(number).map_err(|_| fail(serialization_error("Timestamp out of range")))?;
                Ok(Scalar::Timestamp(Timestamp { seconds, nanos: 0 }))
            }
            _ => Err(self.mismatch(Token::Integer)),
        }
    }

    /// A number with a fraction (or written as one), as the shape takes it.
    pub(super) fn float<'t, E: Error>(&self, v: f64) -> Result<Scalar<'t>, E> {
        match self.kind() {
            kind if kind.is_integer() => {
                // 5.0 is an integer; 5.5 is not.
                if v.fract() == 0.0 && v.abs() < 1e20 {
                    self.number(v as i128)
                } else {
                    Err(fail(serialization_error(format!(
                        "{} can not be converted to {}",
                        float_text(self.format, v),
                        java_type(kind)
                    ))))
                }
            }
            kind if kind.is_float() => {
                self.s.require(number_ok(self.shape, v))?;
                Ok(Scalar::Float(v))
            }
            ShapeType::BigInteger | ShapeType::BigDecimal => Ok(Scalar::Digits(float_text(self.format, v))),
            ShapeType::Timestamp if v.is_finite() => {
                Ok(Scalar::Timestamp(Timestamp::from_epoch_seconds_f64(v)))
            }
            ShapeType::Timestamp => Err(fail(serialization_error(match self.format {
                Format::Json => format!("Invalid timestamp: {}", float_text(self.format, v)),
                Format::Cbor => "A timestamp must be a number of epoch seconds".to_owned(),
            }))),
            _ => Err(self.mismatch(Token::Float)),
        }
    }

    /// A text token, as the shape takes it.
    pub(super) fn text<'t, E: Error>(&self, text: Cow<'t, str>) -> Result<Scalar<'t>, E> {
        match self.kind() {
            ShapeType::String | ShapeType::BigInteger | ShapeType::BigDecimal => {
                self.s
                    .require(string_ok(self.shape, &text, self.s.check_patterns))?;
                Ok(Scalar::Text(text))
            }
            kind if kind.is_float() => match special_float(&text) {
                Some(f) => Ok(Scalar::Float(f)),
                None => Err(self.mismatch(Token::Text)),
            },
            ShapeType::Blob if self.format == Format::Json => {
                let bytes = BASE64_LENIENT.decode(text.as_bytes()).map_err(|_| {
                    fail(serialization_error(format!(
                        "'{text}' is not valid base64 encoded data"
                    )))
                })?;
                self.s.require(length_ok(self.shape, bytes.len()))?;
                Ok(Scalar::Bytes(bytes))
            }
            // Every timestamp format is accepted whatever the shape says:
            // clients are not always strict about which one they send.
            ShapeType::Timestamp => match timestamp::parse(&text) {
                Some(t) => Ok(Scalar::Timestamp(t)),
                None => Err(fail(serialization_error(match self.format {
                    Format::Json => format!(
                        "Invalid timestamp: {}",
                        serde_json::to_string(&text).unwrap_or_default()
                    ),
                    Format::Cbor => "A timestamp must be a number of epoch seconds".to_owned(),
                }))),
            },
            _ => Err(self.mismatch(Token::Text)),
        }
    }
}

/// A model defect the codec cannot read around (a list without a member).
pub(super) fn model_defect(shape: &Shape) -> AwsError {
    AwsError::internal(format!("shape {} of the service model is incomplete", shape.name))
}

/// Checks an integer against the range of its shape type (byte, short, ...).
pub(super) fn integer_in_range(kind: ShapeType, value: i128) -> Result<i64, AwsError> {
    let (min, max) = match kind {
        ShapeType::Byte => (i128::from(i8::MIN), i128::from(i8::MAX)),
        ShapeType::Short => (i128::from(i16::MIN), i128::from(i16::MAX)),
        ShapeType::Integer => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    if (min..=max).contains(&value) {
        Ok(i64::try_from(value).unwrap_or_default())
    } else {
        Err(serialization_error(format!(
            "Value {value} is out of range for {}",
            java_type(kind)
        )))
    }
}

/// The Java type AWS's messages name for a shape type.
pub(super) fn java_type(kind: ShapeType) -> &'static str {
    match kind {
        ShapeType::Structure => "a Structure",
        ShapeType::List => "a List",
        ShapeType::Map => "a Map",
        ShapeType::String => "a String",
        ShapeType::Integer => "an Integer",
        ShapeType::Long => "a Long",
        ShapeType::Short => "a Short",
        ShapeType::Byte => "a Byte",
        ShapeType::Float => "a Float",
        ShapeType::Double => "a Double",
        ShapeType::Boolean => "a Boolean",
        ShapeType::Blob => "a ByteBuffer",
        ShapeType::Timestamp => "a Date",
        ShapeType::BigInteger => "a BigInteger",
        ShapeType::BigDecimal => "a BigDecimal",
    }
}

/// The special float spellings of the JSON protocols.
pub(super) fn special_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A float as the format writes it (JSON: serde_json's shortest form).
pub(super) fn float_text(format: Format, v: f64) -> String {
    match format {
        Format::Json => serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        Format::Cbor => v.to_string(),
    }
}

/// A token where the shape wants something else, as AWS words it.
pub(super) fn mismatch_error(format: Format, top: bool, token: Token, expected: ShapeType) -> AwsError {
    if top {
        return serialization_error(match format {
            Format::Json => "The request body must be a JSON object",
            Format::Cbor => "The request body must be a CBOR map",
        });
    }
    let message = match format {
        Format::Json => match token {
            Token::Object => "Start of structure or map found where not expected.".to_owned(),
            Token::Array => "Start of list found where not expected".to_owned(),
            Token::Text | Token::Bytes => {
                format!("STRING_VALUE can not be converted to {}", java_type(expected))
            }
            Token::Integer | Token::Float => {
                format!("NUMBER_VALUE can not be converted to {}", java_type(expected))
            }
            Token::Bool(true) => format!("TRUE_VALUE can not be converted to {}", java_type(expected)),
            Token::Bool(false) => format!("FALSE_VALUE can not be converted to {}", java_type(expected)),
            Token::Null => format!("null can not be converted to {}", java_type(expected)),
        },
        Format::Cbor => {
            let found = match token {
                Token::Integer => "an integer",
                Token::Bytes => "a byte string",
                Token::Float => "a float",
                Token::Text => "a text string",
                Token::Bool(_) => "a boolean",
                Token::Null => "null",
                Token::Array => "an array",
                Token::Object => "a map",
            };
            format!("Found {found} where {} was expected", java_type(expected))
        }
    };
    serialization_error(message)
}
