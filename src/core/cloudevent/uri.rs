//! RFC 3986 URI references: the syntax of `source` (URI-reference) and `dataschema` (URI).
//! ASCII only, as RFC 3986 defines it; other characters must arrive percent-encoded.

/// Whether a valid URI reference starts with a scheme (RFC 3986 §3) or is a relative reference (§4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Absolute,
    Relative,
}

/// Checks `s` against RFC 3986 `URI-reference` (§4.1), returning its kind or why it is not one.
/// A URI with a fragment counts as absolute: `dataschema` values such as `https://x/s.json#v1` are common.
pub(super) fn check(s: &str) -> Result<Kind, String> {
    if !s.bytes().all(is_uri_char) {
        let (at, c) =
            s.chars().enumerate().find(|&(_, c)| !c.is_ascii() || !is_uri_char(c as u8)).unwrap_or_default();
        return Err(format!("{c:?} at position {at} is not allowed; percent-encode it"));
    }
    // Most references hold none of these, and then nothing below can fail on them.
    let plain = !s.bytes().any(|b| matches!(b, b'%' | b'#' | b'?' | b'[' | b']'));
    let rest = if plain { s } else { without_query_and_fragment(s)? };

    // A ':' before the first '/' ends a scheme; a relative reference's first segment has none (§4.2).
    let (kind, hier) = match rest.find([':', '/']) {
        Some(end) if rest.as_bytes()[end] == b':' => {
            check_scheme(&rest[..end])?;
            (Kind::Absolute, &rest[end + 1..])
        }
        _ => (Kind::Relative, rest),
    };
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            check_authority(&after[..end])?;
            &after[end..]
        }
        None => hier,
    };
    // With the authority handled, any run of pchar and '/' is one of the path forms of §3.3.
    if !plain && path.contains(['[', ']']) {
        return Err("'[' and ']' are allowed only around an IP literal host".into());
    }
    Ok(kind)
}

/// `s` up to its query or fragment, once its percent-encoding, query and fragment are checked.
fn without_query_and_fragment(s: &str) -> Result<&str, String> {
    check_percent_encoding(s)?;
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    for (part, text) in [("query", query), ("fragment", fragment)] {
        if let Some(c) = text.chars().find(|c| matches!(c, '#' | '[' | ']')) {
            return Err(format!("{c:?} is not allowed in the {part}"));
        }
    }
    Ok(rest)
}

/// The characters RFC 3986 allows anywhere in a URI reference, as a table: every byte of every
/// `source` is looked up.
const URI_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let others = b"-._~:/?#[]@!$&'()*+,;=%";
    let mut i = 0;
    while i < others.len() {
        table[others[i] as usize] = true;
        i += 1;
    }
    table
};

fn is_uri_char(b: u8) -> bool {
    URI_CHARS[usize::from(b)]
}

fn is_unreserved_or_sub_delim(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

fn check_percent_encoding(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    for (at, _) in s.match_indices('%') {
        let hex = b.get(at + 1..at + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if !hex {
            return Err(format!("'%' at position {at} is not followed by two hex digits"));
        }
    }
    Ok(())
}

fn check_scheme(scheme: &str) -> Result<(), String> {
    let mut bytes = scheme.bytes();
    let valid = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{scheme:?} before ':' is not a scheme, and a relative reference has no ':' in its first segment"
        ))
    }
}

/// `authority = [ userinfo "@" ] host [ ":" port ]` (§3.2).
fn check_authority(authority: &str) -> Result<(), String> {
    let (userinfo, host_port) = match authority.split_once('@') {
        Some((userinfo, host_port)) => (userinfo, host_port),
        None => ("", authority),
    };
    if userinfo.contains(['[', ']']) || host_port.contains('@') {
        return Err(format!("authority {authority:?} is malformed"));
    }
    let port = if let Some(literal) = host_port.strip_prefix('[') {
        let (inside, after) = literal
            .split_once(']')
            .ok_or_else(|| format!("IP literal in {authority:?} has no closing ']'"))?;
        if !is_ip_literal(inside) {
            return Err(format!("[{inside}] is not an IPv6 address or IPvFuture literal"));
        }
        match after {
            "" => "",
            _ => {
                after.strip_prefix(':').ok_or_else(|| format!("unexpected {after:?} after the IP literal"))?
            }
        }
    } else {
        let (host, port) = host_port.split_once(':').unwrap_or((host_port, ""));
        if host.contains(['[', ']']) {
            return Err(format!("host {host:?} is malformed"));
        }
        port
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {port:?} is not a number"));
    }
    Ok(())
}

/// `IP-literal` content: an IPv6address (RFC 4291 text form, as `Ipv6Addr` parses it) or
/// `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`.
fn is_ip_literal(inside: &str) -> bool {
    if let Some(future) = inside.strip_prefix(['v', 'V']) {
        return future.split_once('.').is_some_and(|(version, rest)| {
            !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_hexdigit())
                && !rest.is_empty()
                && rest.bytes().all(|b| b == b':' || is_unreserved_or_sub_delim(b))
        });
    }
    inside.parse::<std::net::Ipv6Addr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_absolute_uris() {
        for ok in [
            "https://github.com/cloudevents",
            "mailto:cncf-wg-serverless@lists.cncf.io",
            "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            "http://user:pw@[2001:db8::1]:8080/a?b=c#d",
            "http://[v7.fe80::a+en1]/",
            "http://[::ffff:192.0.2.1]",
            "https://example.com/schemas/order.json#/definitions/v1",
            "file:///etc/hosts",
            "x-custom+scheme.v1:",
        ] {
            assert_eq!(check(ok), Ok(Kind::Absolute), "{ok}");
        }
    }

    #[test]
    fn accepts_relative_references() {
        for ok in [
            "/cloudevents/spec/pull/123",
            "1-555-123-4567",
            "",
            "a/b:c",
            "//host/path",
            "?q",
            "#f",
            "caf%C3%A9",
        ] {
            assert_eq!(check(ok), Ok(Kind::Relative), "{ok}");
        }
    }

    #[test]
    fn rejects_what_rfc_3986_forbids() {
        for bad in [
            "my source",
            "café",
            "a\"b",
            "100%",
            "%zz",
            "1ab:c",
            ":nothing",
            "http://[::1",
            "http://[zz]/",
            "http://host:80a/",
            "http://a@b@c/",
            "/a[1]",
            "http://host/?a#b#c",
            "a{b}",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn explains_the_offending_character() {
        assert_eq!(check("my source").unwrap_err(), "' ' at position 2 is not allowed; percent-encode it");
    }
}
