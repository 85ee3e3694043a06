//! DynamoDB's number type: exact decimals of up to 38 significant digits,
//! magnitudes from 1E-130 to 9.99…E+125, compared and added exactly, and
//! written back normalised (no exponent, no leading or trailing zeros).

use std::cmp::Ordering;

use nimbus_core::AwsError;

use crate::errors::validation;

/// Most significant digits a number may carry.
const MAX_DIGITS: usize = 38;
/// Exponent bounds of `0.d… × 10^exponent` for the supported magnitudes.
const MIN_EXPONENT: i32 = -129;
const MAX_EXPONENT: i32 = 126;

/// `(-1)^negative × 0.d1d2…dn × 10^exponent`, digits without leading or
/// trailing zeros; zero has no digits (and is never negative).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i32,
}

impl Number {
    /// Parses a number as a client writes it (`-1.50`, `2e3`, `.5`).
    pub fn parse(text: &str) -> Result<Number, AwsError> {
        let invalid = || validation("A value provided cannot be converted into a number");
        let bytes = text.as_bytes();
        let mut pos = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'-' || sign == b'+')
        {
            negative = sign == b'-';
            pos = 1;
        }
        let mut digits = Vec::new();
        // Digits seen before the decimal point (place value of the first digit).
        let mut integer_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while pos < bytes.len() {
            match bytes[pos] {
                b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(bytes[pos] - b'0');
                    if !seen_point {
                        integer_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            pos += 1;
        }
        if !seen_digit {
            return Err(invalid());
        }
        let mut exponent: i64 = 0;
        if pos < bytes.len() {
            if bytes[pos] != b'e' && bytes[pos] != b'E' {
                return Err(invalid());
            }
            let rest = &text[pos + 1..];
            let rest = rest.strip_prefix('+').unwrap_or(rest);
            if rest.is_empty()
                || rest.len() > 12
                || !rest.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit())
            {
                return Err(invalid());
            }
            exponent = rest.parse::<i64>().map_err(|_| invalid())?;
        }
        // Strip leading zeros (each lowers the place value) and trailing zeros.
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        if digits.len() > MAX_DIGITS {
            return Err(validation(
                "Attempting to store more than 38 significant digits in a Number",
            ));
        }
        let exponent = integer_digits - leading as i64 + exponent;
        Number::checked(negative, digits, exponent)
    }

    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    fn checked(negative: bool, digits: Vec<u8>, exponent: i64) -> Result<Number, AwsError> {
        if exponent > i64::from(MAX_EXPONENT) {
            return Err(validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        if exponent < i64::from(MIN_EXPONENT) {
            return Err(validation(
                "Number underflow. Attempting to store a number with magnitude smaller than supported range",
            ));
        }
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Significant digits, for item size accounting.
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    /// `self + other`, exactly; errors past 38 digits or the magnitude range.
    pub fn add(&self, other: &Number) -> Result<Number, AwsError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Align both as integers scaled by 10^-(low): coefficient digits, most significant first.
        let low = (self.exponent - self.digits.len() as i32).min(other.exponent - other.digits.len() as i32);
        let high = self.exponent.max(other.exponent);
        let width = (high - low) as usize;
        let align = |n: &Number| {
            let mut out = vec![0u8; width];
            let start = (high - n.exponent) as usize;
            out[start..start + n.digits.len()].copy_from_slice(&n.digits);
            out
        };
        let (a, b) = (align(self), align(other));
        let (negative, mut digits) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, sub_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, sub_magnitudes(&b, &a)),
            }
        };
        // `digits` has one more leading place than `high` (the carry).
        let mut exponent = i64::from(high) + 1;
        let leading = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..leading);
        exponent -= leading as i64;
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        if digits.len() > MAX_DIGITS {
            return Err(validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ));
        }
        Number::checked(negative, digits, exponent)
    }

    pub fn negate(&self) -> Number {
        Number {
            negative: !self.negative && !self.is_zero(),
            ..self.clone()
        }
    }

    /// Bytes that sort as the numbers do (for sort keys): sign class, then
    /// exponent, then digits, with negatives inverted.
    pub fn sort_key(&self, out: &mut Vec<u8>) {
        if self.is_zero() {
            out.push(0x80);
            return;
        }
        let start = out.len();
        out.push(if self.negative { 0x40 } else { 0xC0 });
        let biased = (self.exponent + 0x8000) as u16;
        out.extend_from_slice(&biased.to_be_bytes());
        out.extend(self.digits.iter().map(|d| d + 1));
        out.push(0);
        if self.negative {
            for byte in &mut out[start + 1..] {
                *byte = !*byte;
            }
        }
    }
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len() + 1];
    let mut carry = 0;
    for i in (0..a.len()).rev() {
        let sum = a[i] + b[i] + carry;
        out[i + 1] = sum % 10;
        carry = sum / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for `a >= b`, with a leading zero place to match `add_magnitudes`.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len() + 1];
    let mut borrow = 0i8;
    for i in (0..a.len()).rev() {
        let mut diff = a[i] as i8 - b[i] as i8 - borrow;
        borrow = 0;
        if diff < 0 {
            diff += 10;
            borrow = 1;
        }
        out[i + 1] = diff as u8;
    }
    out
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let class = |n: &Number| match (n.is_zero(), n.negative) {
            (true, _) => 1,
            (false, true) => 0,
            (false, false) => 2,
        };
        let by_class = class(self).cmp(&class(other));
        if by_class != Ordering::Equal || self.is_zero() {
            return by_class;
        }
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Number {
    /// Plain notation, as DynamoDB answers: `1000`, `0.001`, `-1.5`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut out = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        let digit = |d: &u8| char::from(b'0' + d);
        if self.exponent <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-self.exponent) as usize));
            out.extend(self.digits.iter().map(digit));
        } else {
            let integer = self.exponent as usize;
            if self.digits.len() <= integer {
                out.extend(self.digits.iter().map(digit));
                out.extend(std::iter::repeat_n('0', integer - self.digits.len()));
            } else {
                out.extend(self.digits[..integer].iter().map(digit));
                out.push('.');
                out.extend(self.digits[integer..].iter().map(digit));
            }
        }
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).expect("valid number")
    }

    #[test]
    fn normalises() {
        assert_eq!(n("1.50").to_string(), "1.5");
        assert_eq!(n("-0").to_string(), "0");
        assert_eq!(n("1e3").to_string(), "1000");
        assert_eq!(n("0.00100").to_string(), "0.001");
        assert_eq!(n("+007").to_string(), "7");
        assert_eq!(n(".5").to_string(), "0.5");
        assert_eq!(n("-12.345E1").to_string(), "-123.45");
    }

    #[test]
    fn rejects_bad_and_out_of_range() {
        for bad in ["", "abc", "1..2", "1e", "--1", "1 ", "NaN", "Infinity"] {
            assert!(Number::parse(bad).is_err(), "{bad}");
        }
        assert!(Number::parse("1e126").is_err());
        assert!(Number::parse("9.9999999999999999999999999999999999999e125").is_ok());
        assert!(Number::parse("1e-130").is_ok());
        assert!(Number::parse("1e-131").is_err());
        assert!(Number::parse("123456789012345678901234567890123456789").is_err());
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
    }

    #[test]
    fn adds_exactly() {
        assert_eq!(n("0.1").add(&n("0.2")).expect("sum").to_string(), "0.3");
        assert_eq!(n("5").add(&n("-7.5")).expect("sum").to_string(), "-2.5");
        assert_eq!(n("99").add(&n("1")).expect("sum").to_string(), "100");
        assert_eq!(n("-3").add(&n("3")).expect("sum").to_string(), "0");
        assert_eq!(
            n("1e20").add(&n("1e-10")).expect("sum").to_string(),
            "100000000000000000000.0000000001"
        );
    }

    #[test]
    fn orders_and_sort_keys_agree() {
        let values = [
            "-1000", "-2.5", "-2", "-0.001", "0", "0.001", "0.0011", "1", "2", "10", "1e30",
        ];
        let numbers: Vec<Number> = values.iter().map(|v| n(v)).collect();
        for pair in numbers.windows(2) {
            assert!(pair[0] < pair[1], "{:?} < {:?}", pair[0], pair[1]);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            pair[0].sort_key(&mut a);
            pair[1].sort_key(&mut b);
            assert!(a < b, "sort key of {} < {}", pair[0], pair[1]);
        }
    }
}
