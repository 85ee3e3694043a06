//! Lists carried in one header: `a, "b,c", d`.

/// Splits a list header into its items: comma-separated, items trimmed,
/// double-quoted items may hold commas and `\"`. HTTP-dates hold a comma of
/// their own (`Mon, 16 Dec 2019 ...`), so they are split every second comma.
pub fn split_header_list(text: &str, http_dates: bool) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    if http_dates {
        let pieces: Vec<&str> = text.split(',').collect();
        return pieces
            .chunks(2)
            .map(|pair| pair.join(",").trim().to_owned())
            .collect();
    }
    let mut items = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => item.extend(chars.next()),
                    '"' => break,
                    c => item.push(c),
                }
            }
            // Anything between the closing quote and the next comma is dropped.
            while chars.next_if(|&c| c != ',').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|&c| c != ',') {
                item.push(c);
            }
            item.truncate(item.trim_end().len());
        }
        items.push(item);
        if chars.next().is_none() {
            return items;
        }
    }
}

/// Joins list items into one header value, quoting strings that hold a comma
/// or a double quote.
pub fn join_header_list(items: &[String], quote_strings: bool) -> String {
    items
        .iter()
        .map(|item| {
            if quote_strings && (item.contains(',') || item.contains('"')) {
                format!("\"{}\"", item.replace('\\', "\\\\").replace('"', "\\\""))
            } else {
                item.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_header_lists() {
        assert_eq!(split_header_list("a, b,c", false), vec!["a", "b", "c"]);
        assert_eq!(
            split_header_list(r#""b,c", "\"def\"", a"#, false),
            vec!["b,c", "\"def\"", "a"]
        );
        assert_eq!(split_header_list("", false), Vec::<String>::new());
        assert_eq!(
            split_header_list(
                "Mon, 16 Dec 2019 23:48:18 GMT, Tue, 17 Dec 2019 23:48:18 GMT",
                true
            ),
            vec!["Mon, 16 Dec 2019 23:48:18 GMT", "Tue, 17 Dec 2019 23:48:18 GMT"]
        );
    }

    #[test]
    fn joins_header_lists_with_quoting() {
        let items = vec!["b,c".to_owned(), "\"def\"".to_owned(), "a".to_owned()];
        assert_eq!(join_header_list(&items, true), r#""b,c", "\"def\"", a"#);
        assert_eq!(split_header_list(&join_header_list(&items, true), false), items);
    }
}
