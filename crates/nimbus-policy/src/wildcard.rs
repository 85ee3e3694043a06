//! IAM's wildcards: `*` matches any run of characters (also none), `?` any
//! one character. A pattern is made of tokens so that a literal `*` (from
//! the `${*}` variable) stays literal.

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    Char(char),
    /// `*`: any run of characters.
    Any,
    /// `?`: exactly one character.
    One,
}

/// Turns pattern text into tokens, `*` and `?` being wildcards.
pub(crate) fn tokens(pattern: &str) -> Vec<Token> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Token::Any,
            '?' => Token::One,
            c => Token::Char(c),
        })
        .collect()
}

/// Whether `text` matches the pattern, comparing characters exactly or
/// ignoring ASCII case. ASCII text (nearly every ARN and action) is matched
/// byte by byte without allocating.
pub(crate) fn matches(pattern: &[Token], text: &str, ignore_case: bool) -> bool {
    if text.is_ascii() {
        let same = |p: char, t: u8| {
            p.is_ascii()
                && if ignore_case {
                    (p as u8).eq_ignore_ascii_case(&t)
                } else {
                    p as u8 == t
                }
        };
        glob(pattern, text.as_bytes(), same)
    } else {
        let chars: Vec<char> = text.chars().collect();
        let same = |p: char, t: char| {
            if ignore_case {
                p.eq_ignore_ascii_case(&t)
            } else {
                p == t
            }
        };
        glob(pattern, &chars, same)
    }
}

/// Greedy matching with one backtrack point (the last `*` seen): linear
/// for the patterns policies use.
fn glob<T: Copy>(pattern: &[Token], text: &[T], same: impl Fn(char, T) -> bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|token| *token == Token::Any)
}

/// Whether `text` matches pattern text with `*` and `?` wildcards.
pub(crate) fn matches_text(pattern: &str, text: &str, ignore_case: bool) -> bool {
    if pattern == "*" {
        return true;
    }
    if !pattern.contains(['*', '?']) {
        return if ignore_case {
            pattern.eq_ignore_ascii_case(text)
        } else {
            pattern == text
        };
    }
    matches(&tokens(pattern), text, ignore_case)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches_text("s3:Get*", "s3:GetObject", false));
        assert!(matches_text("s3:*Object", "s3:GetObject", false));
        assert!(matches_text("a*b*c", "axxbyyc", false));
        assert!(!matches_text("a*b*c", "axxbyy", false));
        assert!(matches_text("file?.txt", "file1.txt", false));
        assert!(!matches_text("file?.txt", "file.txt", false));
        assert!(matches_text("*", "", false));
        assert!(matches_text("a**", "a", false));
        assert!(matches_text("S3:getobject", "s3:GetObject", true));
        assert!(!matches_text("S3:getobject", "s3:GetObject", false));
    }

    #[test]
    fn a_literal_star_token_is_not_a_wildcard() {
        let pattern = [Token::Char('a'), Token::Char('*')];
        assert!(matches(&pattern, "a*", false));
        assert!(!matches(&pattern, "ab", false));
    }
}
