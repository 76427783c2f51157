//! RFC 2046 media types as carried by `datacontenttype` and `Content-Type`: their syntax, and the
//! JSON / text / binary reading of event data that follows from them (JSON event format §3.1).

/// How data of a media type is kept in the JSON event format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataKind {
    /// `*/json` or `*/*+json`: `data` holds the JSON value.
    Json,
    /// Textual types: `data` holds a string.
    Text,
    /// Anything else: `data_base64`.
    Binary,
}

/// A syntactically valid media type: type and subtype as written, and the unquoted `charset` if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MediaType<'a> {
    ty: &'a str,
    subtype: &'a str,
    charset: Option<String>,
}

/// Subtypes of `application/` that are text, so their data stays readable as a string.
const TEXT_APPLICATION: [&str; 9] = [
    "xml",
    "javascript",
    "ecmascript",
    "x-www-form-urlencoded",
    "yaml",
    "x-yaml",
    "x-ndjson",
    "graphql",
    "sql",
];

impl MediaType<'_> {
    /// How its data is kept; type and subtype compare case-insensitively (RFC 2045 §5.1).
    pub(super) fn kind(&self) -> DataKind {
        // Compared ignoring ASCII case, in place: every binary-mode event asks.
        let subtype = self.subtype;
        let ends_with = |suffix: &str| {
            subtype.len() >= suffix.len()
                && subtype.as_bytes()[subtype.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
        };
        if subtype.eq_ignore_ascii_case("json") || ends_with("+json") {
            DataKind::Json
        } else if self.ty.eq_ignore_ascii_case("text")
            || (self.ty.eq_ignore_ascii_case("application")
                && TEXT_APPLICATION.iter().any(|text| subtype.eq_ignore_ascii_case(text)))
            || ends_with("+xml")
            || ends_with("+yaml")
        {
            DataKind::Text
        } else {
            DataKind::Binary
        }
    }

    /// Whether bytes of this type are UTF-8 when text: no charset, or a UTF-8-compatible one.
    pub(super) fn is_utf8(&self) -> bool {
        self.charset
            .as_deref()
            .is_none_or(|c| ["utf-8", "utf8", "us-ascii"].iter().any(|u| c.eq_ignore_ascii_case(u)))
    }
}

/// The data kind of an event's `datacontenttype`: absent means JSON (JSON format §3.1.1), and a
/// malformed one is read as opaque bytes.
pub(super) fn kind_of(datacontenttype: Option<&str>) -> DataKind {
    match datacontenttype.map(parse) {
        None => DataKind::Json,
        Some(Ok(media_type)) => media_type.kind(),
        Some(Err(_)) => DataKind::Binary,
    }
}

/// Parses `type "/" subtype *( OWS ";" OWS [ parameter ] )` with `parameter = token "=" ( token /
/// quoted-string )` (RFC 2045 §5.1, in the RFC 9110 §8.3.1 form that tolerates empty parameters).
pub(super) fn parse(s: &str) -> Result<MediaType<'_>, String> {
    let b = s.as_bytes();
    let type_end = token_end(b, 0);
    if type_end == 0 {
        return Err(unexpected(s, 0, "a type"));
    }
    if b.get(type_end) != Some(&b'/') {
        return Err(unexpected(s, type_end, "'/'"));
    }
    let subtype_end = token_end(b, type_end + 1);
    if subtype_end == type_end + 1 {
        return Err(unexpected(s, subtype_end, "a subtype"));
    }
    let mut media_type =
        MediaType { ty: &s[..type_end], subtype: &s[type_end + 1..subtype_end], charset: None };

    let mut at = subtype_end;
    while at < b.len() {
        at = skip_ows(b, at);
        if b.get(at) != Some(&b';') {
            return Err(unexpected(s, at, "';'"));
        }
        at = skip_ows(b, at + 1);
        if at == b.len() || b[at] == b';' {
            continue;
        }
        let name_end = token_end(b, at);
        if name_end == at {
            return Err(unexpected(s, at, "a parameter name"));
        }
        let name = &s[at..name_end];
        if b.get(name_end) != Some(&b'=') {
            return Err(unexpected(s, name_end, "'=' after the parameter name"));
        }
        let (value, end) = if b.get(name_end + 1) == Some(&b'"') {
            quoted_string(b, name_end + 1)
                .and_then(|(value, end)| Some((String::from_utf8(value).ok()?, end)))
                .ok_or_else(|| format!("parameter {name} has an unterminated quoted string"))?
        } else {
            let end = token_end(b, name_end + 1);
            if end == name_end + 1 {
                return Err(unexpected(s, end, "a parameter value"));
            }
            (s[name_end + 1..end].to_owned(), end)
        };
        if name.eq_ignore_ascii_case("charset") {
            media_type.charset = Some(value);
        }
        at = end;
    }
    Ok(media_type)
}

fn unexpected(s: &str, at: usize, expected: &str) -> String {
    match s[at..].chars().next() {
        Some(c) => format!("expected {expected} at position {at}, found {c:?}"),
        None => format!("expected {expected} at the end"),
    }
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn token_end(b: &[u8], from: usize) -> usize {
    from + b[from..].iter().take_while(|&&c| is_tchar(c)).count()
}

fn skip_ows(b: &[u8], from: usize) -> usize {
    from + b[from..].iter().take_while(|&&c| c == b' ' || c == b'\t').count()
}

/// The one `quoted-string` parser (RFC 7230 §3.2.6, unchanged in RFC 9110 §5.6.4), for media type
/// parameters and binary-mode `ce-*` header values: from the opening quote at `open`, the unescaped
/// content and the position after the closing quote; `None` when the string is unterminated or holds
/// a control character (raw or escaped).
pub(super) fn quoted_string(b: &[u8], open: usize) -> Option<(Vec<u8>, usize)> {
    // qdtext and the escaped octet of a quoted-pair: HTAB, SP, VCHAR, obs-text; never other CTLs.
    let text = |c: u8| c == b'\t' || (c >= b' ' && c != 0x7f);
    if b.get(open) != Some(&b'"') {
        return None;
    }
    let mut out = Vec::new();
    let mut at = open + 1;
    loop {
        match *b.get(at)? {
            b'"' => return Some((out, at + 1)),
            b'\\' => {
                out.push(*b.get(at + 1).filter(|&&c| text(c))?);
                at += 2;
            }
            c if text(c) => {
                out.push(c);
                at += 1;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc_2046_media_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "text/plain;charset=\"UTF-8\";format=flowed",
            "application/vnd.apache.thrift.binary",
            "multipart/form-data; boundary=\"a b;c\"",
            "application/json;",
            "text/plain ; ; a=b",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_media_types() {
        for bad in [
            "",
            "json",
            "application/",
            "/json",
            "application/json charset=utf-8",
            "application/json; charset",
            "application/json; charset=",
            "application/json; charset = utf-8",
            "application/json; a=\"open",
            "text/plain ",
            " text/plain",
            "text/pl@in",
            "téxt/plain",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("json").unwrap_err(), "expected '/' at the end");
    }

    #[test]
    fn classifies_json_text_and_binary_types() {
        let kind = |s| parse(s).unwrap().kind();
        assert_eq!(kind("application/json"), DataKind::Json);
        assert_eq!(kind("TEXT/JSON"), DataKind::Json);
        assert_eq!(kind("application/vnd.api+json; charset=utf-8"), DataKind::Json);
        assert_eq!(kind("text/plain"), DataKind::Text);
        assert_eq!(kind("text/csv"), DataKind::Text);
        assert_eq!(kind("application/xml"), DataKind::Text);
        assert_eq!(kind("image/svg+xml"), DataKind::Text);
        assert_eq!(kind("IMAGE/SVG+XML"), DataKind::Text);
        assert_eq!(kind("Application/X-YAML"), DataKind::Text);
        assert_eq!(kind("application/Problem+JSON"), DataKind::Json);
        assert_eq!(kind("application/json5"), DataKind::Binary);
        assert_eq!(kind("application/octet-stream"), DataKind::Binary);
        assert_eq!(kind("image/png"), DataKind::Binary);
        assert_eq!(kind_of(None), DataKind::Json);
        assert_eq!(kind_of(Some("not a type")), DataKind::Binary);
    }

    #[test]
    fn reads_quoted_strings_with_escapes_and_stops_at_the_closing_quote() {
        assert_eq!(quoted_string(br#""a \"b\" \\ c" rest"#, 0), Some((br#"a "b" \ c"#.to_vec(), 14)));
        assert_eq!(quoted_string(br#"x"""#, 1), Some((Vec::new(), 3)));
        assert_eq!(
            quoted_string("\"caf\u{e9}\t\"".as_bytes(), 0).map(|(v, _)| v),
            Some("caf\u{e9}\t".into())
        );
        for bad in [&br#""open"#[..], br#""ends with escape\""#, b"\"a\x01b\"", b"\"a\\\x01\"", b"no quote"] {
            assert_eq!(quoted_string(bad, 0), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_the_charset_parameter() {
        assert!(parse("text/plain").unwrap().is_utf8());
        assert!(parse("text/plain; charset=\"UTF-8\"").unwrap().is_utf8());
        assert!(!parse("text/plain; charset=iso-8859-1").unwrap().is_utf8());
    }
}
