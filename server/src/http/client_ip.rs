//! Who the client is: the socket peer, or — only when the peer is a
//! configured trusted proxy — the address that proxy names in `Forwarded`
//! or `X-Forwarded-For`. Budgets key on [`ClientKey`]: an IPv4 address or an
//! IPv6 /64, since one household or phone gets a whole /64.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use super::AppState;

/// The client's address as far as we can trust it; in every request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The unit a budget is charged to: an IPv4 address, or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientIp {
    pub fn key(self) -> ClientKey {
        match self.0 {
            IpAddr::V4(v4) => ClientKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    ClientKey(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

impl ClientKey {
    /// The budget key of a Telegram user: an address in the discard-only
    /// prefix `100::/64` (RFC 6666) with the user id below it, so it never
    /// shares a bucket with a web client (whose IPv6 keys end in zeros).
    pub fn telegram(user_id: i64) -> ClientKey {
        ClientKey(IpAddr::V6(Ipv6Addr::from((0x0100u128 << 112) | u128::from(user_id as u64))))
    }
}

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}"),
            IpAddr::V6(a) => write!(f, "{a}/64"),
        }
    }
}

/// Parses `--trusted-proxies`: comma-separated CIDRs or single addresses.
pub fn parse_trusted(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an address or CIDR (e.g. 10.0.0.0/8, ::1)"))
        })
        .collect()
}

/// The hops a proxy chain reports, nearest last: `Forwarded: for=` when
/// present (RFC 7239), else `X-Forwarded-For`.
fn forwarded_hops(headers: &HeaderMap) -> Vec<String> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    };
    let forwarded: Vec<String> = values("forwarded")
        .into_iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.eq_ignore_ascii_case("for").then(|| v.trim_matches('"').to_string())
            })
        })
        .collect();
    if forwarded.is_empty() {
        values("x-forwarded-for")
    } else {
        forwarded
    }
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(sa) = hop.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.split(']').next()).and_then(|h| h.parse().ok())
}

/// The client address: walk the reported hops from the nearest while each
/// hop is a trusted proxy; the first untrusted one is the client. Anything
/// unparsable stops the walk at the last trusted hop.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_hops(headers).iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// Puts [`ClientIp`] into the request for every handler and budget.
pub async fn client_ip(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    let ip = resolve(peer, req.headers(), &st.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("header"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forged_headers_count_only_behind_a_trusted_proxy() {
        let h = headers(&[("x-forwarded-for", "9.9.9.9")]);
        assert_eq!(resolve(ip("203.0.113.5"), &h, &[]), ip("203.0.113.5"));
        let trusted = parse_trusted("10.0.0.0/8, ::1").expect("cidrs");
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("9.9.9.9"));
        assert_eq!(resolve(ip("::1"), &h, &trusted), ip("9.9.9.9"));
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let trusted = parse_trusted("10.0.0.0/8").expect("cidrs");
        // The client forged the first entry; our proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("198.51.100.7"));
        let h = headers(&[("forwarded", "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("2001:db8::7"));
        let h = headers(&[("x-forwarded-for", "garbage")]);
        assert_eq!(resolve(ip("10.0.0.1"), &h, &trusted), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_share_a_budget_per_64() {
        let a = ClientIp(ip("2001:db8:1:2:aaaa::1")).key();
        let b = ClientIp(ip("2001:db8:1:2:ffff::9")).key();
        let c = ClientIp(ip("2001:db8:1:3::1")).key();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(ClientIp(ip("::ffff:192.0.2.1")).key(), ClientIp(ip("192.0.2.1")).key());
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert!(parse_trusted("not-a-net").is_err());
    }
}
