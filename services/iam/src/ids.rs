//! IAM's identifiers: unique ids (`AIDA...` users, `AROA...` roles, ...)
//! and access keys, in IAM's alphabet (upper-case letters and 2-7).

use rand::Rng;

/// The characters IAM's ids are made of.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// What an id names: its four-letter prefix.
#[derive(Debug, Clone, Copy)]
pub enum IdKind {
    User,
    Role,
    Group,
    Policy,
    InstanceProfile,
    AccessKey,
}

impl IdKind {
    fn prefix(self) -> &'static str {
        match self {
            IdKind::User => "AIDA",
            IdKind::Role => "AROA",
            IdKind::Group => "AGPA",
            IdKind::Policy => "ANPA",
            IdKind::InstanceProfile => "AIPA",
            IdKind::AccessKey => "AKIA",
        }
    }

    /// Unique ids are 21 characters long; access key ids 20.
    fn len(self) -> usize {
        match self {
            IdKind::AccessKey => 20,
            _ => 21,
        }
    }
}

/// A fresh id of the kind.
pub fn new_id(kind: IdKind) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(kind.len());
    id.push_str(kind.prefix());
    while id.len() < kind.len() {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

/// A secret access key: 40 characters of base64's alphabet.
pub fn new_secret() -> String {
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| char::from(SECRET[rng.random_range(0..SECRET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_iam_prefixes_and_lengths() {
        let user = new_id(IdKind::User);
        assert!(user.starts_with("AIDA") && user.len() == 21);
        let key = new_id(IdKind::AccessKey);
        assert!(key.starts_with("AKIA") && key.len() == 20);
        assert!(key.bytes().all(|b| ALPHABET.contains(&b)));
        assert_eq!(new_secret().len(), 40);
    }
}
