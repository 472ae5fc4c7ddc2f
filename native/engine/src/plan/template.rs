//! `{column}` templates for URLs and bodies. A placeholder is `{` + a column
//! name (letters, digits, `_`, `.`, `-`) + `}`; any other brace is literal, so
//! JSON body templates such as `{"id": {customer_id}}` need no escaping.

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// Index into the template set's column list.
    Column(usize),
}

/// How substituted values are escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Percent-encode everything but unreserved characters, so a value can
    /// never add a path segment, a query parameter or a fragment.
    Url,
    /// JSON string escaping without the surrounding quotes.
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    escape: Escape,
}

/// Why a row cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullColumn(pub String);

impl Template {
    /// Parses `text`, adding referenced column names to `columns` (first-use
    /// order, no duplicates).
    pub fn parse(text: &str, escape: Escape, columns: &mut Vec<String>) -> Template {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let name_len = after
                .find(|c: char| !is_name_char(c))
                .unwrap_or(after.len());
            if name_len > 0 && after[name_len..].starts_with('}') {
                let name = &after[..name_len];
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                let index = match columns.iter().position(|c| c == name) {
                    Some(i) => i,
                    None => {
                        columns.push(name.to_string());
                        columns.len() - 1
                    }
                };
                parts.push(Part::Column(index));
                rest = &after[name_len + 1..];
            } else {
                literal.push('{');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Template { parts, escape }
    }

    /// Renders with the row's values (indexed like the column list).
    pub fn render(
        &self,
        values: &[Option<&str>],
        columns: &[String],
    ) -> Result<String, NullColumn> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Column(i) => match values.get(*i).copied().flatten() {
                    Some(v) => match self.escape {
                        Escape::Url => url_encode_into(v, &mut out),
                        Escape::Json => json_escape_into(v, &mut out),
                    },
                    None => return Err(NullColumn(columns.get(*i).cloned().unwrap_or_default())),
                },
            }
        }
        Ok(out)
    }

    /// The column indexes this template uses.
    pub fn column_indexes(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Column(i) => Some(*i),
            Part::Literal(_) => None,
        })
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn url_encode_into(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn json_escape_into(value: &str, out: &mut String) {
    let quoted = serde_json::Value::String(value.to_string()).to_string();
    out.push_str(&quoted[1..quoted.len() - 1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_values_are_encoded_and_cannot_change_the_path() {
        let mut cols = vec![];
        let t = Template::parse("http://h/c/{id}?q={q}", Escape::Url, &mut cols);
        assert_eq!(cols, vec!["id", "q"]);
        let s = t.render(&[Some("../a b"), Some("x&y=1#f")], &cols).unwrap();
        assert_eq!(s, "http://h/c/..%2Fa%20b?q=x%26y%3D1%23f");
    }

    #[test]
    fn json_bodies_keep_their_braces() {
        let mut cols = vec!["id".to_string()];
        let t = Template::parse(
            r#"{"id": {id}, "name": "{name}", "x": {}}"#,
            Escape::Json,
            &mut cols,
        );
        assert_eq!(cols, vec!["id", "name"]);
        let s = t.render(&[Some("7"), Some("a\"b\n")], &cols).unwrap();
        assert_eq!(s, r#"{"id": 7, "name": "a\"b\n", "x": {}}"#);
    }

    #[test]
    fn null_values_name_the_column() {
        let mut cols = vec![];
        let t = Template::parse("http://h/{id}", Escape::Url, &mut cols);
        assert_eq!(t.render(&[None], &cols), Err(NullColumn("id".into())));
    }
}
