//! Signing staff in over HTTP, as the tests of the console and of the
//! moderation workflow need.

use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};

use crate::{totp_code, unix_now, Server};

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client")
}

/// A client whose requests come from another loopback address (`127.0.0.2`,
/// …): the server sees a different client, as if from another machine.
pub fn client_from(source: &str) -> Client {
    let ip: std::net::IpAddr = source.parse().expect("source address");
    Client::builder().cookie_store(true).redirect(Policy::none()).local_address(ip).build().expect("client")
}

pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = html.find(start)? + start.len();
    let len = html[from..].find(end)?;
    Some(&html[from..from + len])
}

pub async fn text(c: &Client, url: &str) -> (StatusCode, String) {
    let r = c.get(url).send().await.expect("GET");
    (r.status(), r.text().await.unwrap_or_default())
}

pub async fn csrf(c: &Client, url: &str) -> String {
    let (_, html) = text(c, url).await;
    between(&html, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string()
}

pub async fn post(c: &Client, url: &str, form: &[(&str, &str)]) -> (StatusCode, String, String) {
    let r = c.post(url).form(form).send().await.expect("POST");
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (r.status(), loc, r.text().await.unwrap_or_default())
}

/// A signed-in staff member.
pub struct Staff {
    pub c: Client,
    pub name: String,
    pub password: String,
    pub secret: String,
}

/// First sign-in: one-time password, new password (the one-time password
/// given again as the current one), TOTP enrolment.
pub async fn first_login(s: &Server, name: &str, one_time: &str) -> Staff {
    let c = client();
    let (st, loc, _) = post(&c, &s.url("/staff/login"), &[("name", name), ("password", one_time)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/password"));
    // Never built from the random one-time password: that could contain the name.
    let password = format!("Sturdy-passphrase-{}", name.len());
    let token = csrf(&c, &s.url("/staff/password")).await;
    let form =
        [("csrf", token.as_str()), ("current_password", one_time), ("new_password", &password), ("repeat", &password)];
    let (st, loc, body) = post(&c, &s.url("/staff/password"), &form).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/enrol"), "{body}");
    let (_, enrol) = text(&c, &s.url("/staff/enrol")).await;
    assert!(enrol.contains("<svg"), "the QR code is rendered by the server");
    let secret = between(&enrol, "<code id=\"totp-secret\">", "</code>").expect("secret shown").to_string();
    let token = between(&enrol, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string();
    let code = totp_code(&secret, unix_now());
    let (st, loc, _) = post(&c, &s.url("/staff/enrol"), &[("csrf", &token), ("code", &code)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff"));
    Staff { c, name: name.into(), password, secret }
}

/// A later sign-in with a code for time `at`.
pub async fn login(s: &Server, who: &Staff, at: u64) -> (Client, StatusCode, String) {
    let c = client();
    let (st, loc, _) = post(&c, &s.url("/staff/login"), &[("name", &who.name), ("password", &who.password)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/verify"));
    let token = csrf(&c, &s.url("/staff/verify")).await;
    let code = totp_code(&who.secret, at);
    let (st, loc, body) = post(&c, &s.url("/staff/verify"), &[("csrf", &token), ("code", &code)]).await;
    (c, st, if st == StatusCode::SEE_OTHER { loc } else { body })
}

/// The name/value pairs a browser submits from the first form in `html`
/// whose action starts with `action`: named inputs (hidden ones too), each
/// select's chosen option, each textarea's text.
pub fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = format!("action=\"{action}");
    let Some(form) = html.find(&start).map(|at| &html[at..]) else { return Vec::new() };
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let mut out = Vec::new();
    for (i, _) in form.match_indices('<') {
        let rest = &form[i..];
        let tag = &rest[..rest.find('>').map_or(rest.len(), |e| e + 1)];
        let Some(name) = attr(tag, "name") else { continue };
        if tag.starts_with("<input") {
            out.push((name, attr(tag, "value").unwrap_or_default()));
        } else if tag.starts_with("<select") {
            let options = &rest[..rest.find("</select>").unwrap_or(rest.len())];
            let heads: Vec<&str> =
                options.split("<option").skip(1).map(|o| &o[..o.find('>').unwrap_or(o.len())]).collect();
            let chosen = heads.iter().find(|h| h.contains(" selected")).or(heads.first());
            out.push((name, chosen.and_then(|h| attr(h, "value")).unwrap_or_default()));
        } else if tag.starts_with("<textarea") {
            let inner = &rest[tag.len()..];
            out.push((name, unescape(&inner[..inner.find("</textarea>").unwrap_or(0)])));
        }
    }
    out
}

/// The value of attribute `name` in one tag (HTML-unescaped).
pub fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    let len = tag[from..].find('"')?;
    Some(unescape(&tag[from..from + len]))
}

/// Undoes the HTML escaping of an attribute or text.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
