//! `application/x-www-form-urlencoded` parsing, shared by the query protocols
//! and by query strings of every protocol.

use percent_encoding::percent_decode;

/// Splits `a=1&b=x%20y` into decoded pairs, in order. `+` is a space.
pub fn parse(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(raw: &[u8]) -> String {
    let spaced: Vec<u8> = raw.iter().map(|&b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&spaced).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pairs_in_order() {
        assert_eq!(
            parse(b"Action=Get&Name=a%20b+c&Empty=&Flag"),
            vec![
                ("Action".into(), "Get".into()),
                ("Name".into(), "a b c".into()),
                ("Empty".into(), "".into()),
                ("Flag".into(), "".into()),
            ]
        );
    }
}
