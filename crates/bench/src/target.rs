//! The URLs the load generator may be pointed at: plain http on loopback only, so a mistyped
//! address cannot turn a benchmark into load on someone else's server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use hyper::Uri;

#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    /// The `Host` header.
    pub authority: String,
    pub path: String,
}

/// `http://` URLs whose host is `localhost` (taken as 127.0.0.1, without DNS), `127.0.0.0/8` or
/// `[::1]`; anything else is refused.
pub fn parse(url: &str) -> crate::Result<Target> {
    let uri: Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("{url}: only http:// URLs are accepted"));
    }
    let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        Ipv4Addr::LOCALHOST.into()
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("{url}: the host must be localhost or a loopback address"))?
    };
    if !ip.is_loopback() {
        return Err(format!("{url}: only loopback addresses are accepted"));
    }
    Ok(Target {
        addr: SocketAddr::new(ip, uri.port_u16().unwrap_or(80)),
        authority: uri.authority().map(|a| a.to_string()).unwrap_or_default(),
        path: uri.path_and_query().map_or("/", |p| p.as_str()).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only() {
        let t = parse("http://127.0.0.1:3000/events").unwrap();
        assert_eq!(t.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!((t.authority.as_str(), t.path.as_str()), ("127.0.0.1:3000", "/events"));
        assert_eq!(parse("http://localhost/stream").unwrap().addr.port(), 80);
        assert!(parse("http://[::1]:8080/").unwrap().addr.is_ipv6());
        assert!(parse("http://127.1.2.3:1/").is_ok());
        for bad in [
            "http://10.0.0.1/",
            "http://example.com/",
            "https://127.0.0.1/",
            "127.0.0.1:80",
            "http://0.0.0.0:80/",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
