//! Pagination tokens. Describe calls continue after a name (carried as
//! hex); event reads continue after a place in a stream, written as
//! CloudWatch Logs writes its tokens: `f/<56 digits>/s` forward,
//! `b/<56 digits>/s` backward (the timestamp, offset to be positive, in 20
//! digits, the sequence in 20, and 16 zeros).

use nimbus_core::AwsError;
use nimbus_logs_api::errors;

fn invalid() -> AwsError {
    errors::invalid_parameter("The specified nextToken is invalid.")
}

pub fn encode_name(name: &str) -> String {
    name.bytes().map(|b| format!("{b:02x}")).collect()
}

pub fn decode_name(token: Option<&str>) -> Result<Option<String>, AwsError> {
    let Some(token) = token else { return Ok(None) };
    if token.len() % 2 != 0 {
        return Err(invalid());
    }
    let bytes: Result<Vec<u8>, _> = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2).unwrap_or("zz"), 16))
        .collect();
    let bytes = bytes.map_err(|_| invalid())?;
    String::from_utf8(bytes).map(Some).map_err(|_| invalid())
}

/// Which way a GetLogEvents token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// A place between events: (timestamp, sequence) of the event it follows
/// (forward) or precedes (backward).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub direction: Direction,
    pub timestamp: i64,
    pub sequence: u64,
}

impl Place {
    pub fn token(&self) -> String {
        let letter = match self.direction {
            Direction::Forward => 'f',
            Direction::Backward => 'b',
        };
        let offset = (self.timestamp as u64) ^ (1 << 63);
        format!("{letter}/{offset:020}{:020}{:016}/s", self.sequence, 0)
    }

    pub fn parse(token: &str) -> Result<Place, AwsError> {
        let (direction, rest) = match token.split_at_checked(2) {
            Some(("f/", rest)) => (Direction::Forward, rest),
            Some(("b/", rest)) => (Direction::Backward, rest),
            _ => return Err(invalid()),
        };
        let digits = rest.strip_suffix("/s").unwrap_or(rest);
        if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let offset: u64 = digits[..20].parse().map_err(|_| invalid())?;
        let sequence: u64 = digits[20..40].parse().map_err(|_| invalid())?;
        Ok(Place {
            direction,
            timestamp: (offset ^ (1 << 63)) as i64,
            sequence,
        })
    }
}

/// A FilterLogEvents token: after which (timestamp, sequence) to go on.
pub fn filter_token(timestamp: i64, sequence: u64) -> String {
    let offset = (timestamp as u64) ^ (1 << 63);
    format!("{offset:020}{sequence:020}")
}

pub fn parse_filter_token(token: &str) -> Result<(i64, u64), AwsError> {
    if token.len() != 40 || !token.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let offset: u64 = token[..20].parse().map_err(|_| invalid())?;
    let sequence: u64 = token[20..].parse().map_err(|_| invalid())?;
    Ok(((offset ^ (1 << 63)) as i64, sequence))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_read_back_as_written() {
        let place = Place {
            direction: Direction::Backward,
            timestamp: 1_765_000_000_123,
            sequence: 42,
        };
        let token = place.token();
        assert!(token.starts_with("b/") && token.ends_with("/s") && token.len() == 60);
        assert_eq!(Place::parse(&token).unwrap(), place);
        assert!(Place::parse("f/123/s").is_err());
        assert_eq!(parse_filter_token(&filter_token(-5, 9)).unwrap(), (-5, 9));
        assert_eq!(
            decode_name(Some(&encode_name("/aws/lambda/x"))).unwrap().unwrap(),
            "/aws/lambda/x"
        );
        assert!(decode_name(Some("zz")).is_err());
    }
}
