//! The staff side over HTTP: sign-in with password and TOTP, replay
//! refusal, throttling per address, password changes, each role's allowed
//! and refused actions, the edit conflict, import preview, and the audit
//! rows all of this writes.

use std::time::{Duration, Instant};

use findkin_tests::staff::{between, client, client_from, csrf, first_login, login, post, text, Staff};
use findkin_tests::{findkin, staff_registry, unix_now, Server};
use reqwest::{Client, StatusCode};

async fn audit_csv(s: &Server, admin: &Staff) -> String {
    let (st, body) = text(&admin.c, &s.url("/staff/audit.csv")).await;
    assert_eq!(st, StatusCode::OK);
    body
}

#[tokio::test]
async fn sign_in_with_totp_refuses_a_replayed_code() {
    let (dir, creds) = staff_registry(&[("ed1", "editor"), ("adm", "admin")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (st, html) = text(&ed.c, &s.url("/staff")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.contains("ed1"));

    // The code used at enrolment cannot be used again.
    let (_, st, body) = login(&s, &ed, unix_now()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "replayed code refused");
    assert!(body.contains("role=\"alert\""));
    // The next time step's code (allowed clock drift) works.
    let (c, st, loc) = login(&s, &ed, unix_now() + 30).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff"));
    let set = c.get(s.url("/staff")).send().await.expect("GET").status();
    assert_eq!(set, StatusCode::OK);

    let adm = first_login(&s, &creds[1].0, &creds[1].1).await;
    let log = audit_csv(&s, &adm).await;
    for action in ["totp_enrolled", "totp_replay_refused", "login", "password_changed"] {
        assert!(log.contains(&format!(",{action},")), "{action} logged:\n{log}");
    }
    assert!(log.contains("127.0.0.0/24"), "address stored truncated");
}

#[tokio::test]
async fn session_cookie_is_locked_down_and_logout_ends_it() {
    let (dir, creds) = staff_registry(&[("ed2", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let c = client();
    let r = c
        .post(s.url("/staff/login"))
        .form(&[("name", creds[0].0.as_str()), ("password", creds[0].1.as_str())])
        .send()
        .await
        .expect("login");
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/staff"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    // The console loads no script: the strictest policy applies.
    let r = c.get(s.url("/staff/login")).send().await.expect("GET");
    let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!r.text().await.unwrap_or_default().contains("<script"), "no script on console pages");
    // Half-signed-in (password only) is not signed in.
    let r = c.get(s.url("/staff/records")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let token = csrf(&ed.c, &s.url("/staff")).await;
    let (st, loc, _) = post(&ed.c, &s.url("/staff/logout"), &[("csrf", &token)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/login"));
    let r = ed.c.get(s.url("/staff")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
}

/// A sign-in attempt: status, `Retry-After` (seconds), body and time taken.
async fn try_login(c: &Client, s: &Server, name: &str, password: &str) -> (StatusCode, Option<u64>, String, Duration) {
    let started = Instant::now();
    let r = c.post(s.url("/staff/login")).form(&[("name", name), ("password", password)]).send().await.expect("POST");
    let retry = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let status = r.status();
    let body = r.text().await.unwrap_or_default();
    (status, retry, body, started.elapsed())
}

#[tokio::test]
async fn a_guessing_address_is_throttled_but_the_owner_still_signs_in() {
    let (dir, creds) = staff_registry(&[("mod1", "moderator"), ("adm", "admin")]);
    let s = Server::start(dir.path(), &[]);
    let owner = first_login(&s, &creds[0].0, &creds[0].1).await;
    let attacker = client_from("127.0.0.2");
    for i in 0..5 {
        let (st, _, body, _) = try_login(&attacker, &s, "mod1", "wrong password!").await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    // Then the address must wait: refused with 429 before anything is checked,
    // even with the right password or another name, and told when to come back.
    for (name, password) in [("mod1", "wrong password!"), ("mod1", owner.password.as_str()), ("adm", "x")] {
        let (st, retry, body, _) = try_login(&attacker, &s, name, password).await;
        assert_eq!(st, StatusCode::TOO_MANY_REQUESTS, "{name}: {body}");
        assert!(retry.is_some_and(|r| (1..=30).contains(&r)), "Retry-After {retry:?}");
        assert!(body.contains("Попробуйте снова через 1 мин."), "{body}");
    }
    // The owner, elsewhere, is not locked out.
    let (c, st, loc) = login(&s, &owner, unix_now() + 30).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff"), "the owner signs in from another address");
    assert_eq!(text(&c, &s.url("/staff/requests")).await.0, StatusCode::OK);

    let adm = first_login(&s, &creds[1].0, &creds[1].1).await;
    let log = audit_csv(&s, &adm).await;
    assert_eq!(log.matches(",login_failed,").count(), 5, "refusals are not checked, so not logged as failures");
    assert!(log.contains(",address_throttled,"), "{log}");
    assert!(!log.contains(",account_locked,"), "{log}");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn unknown_and_known_names_get_the_same_answer_in_the_same_time() {
    let (dir, _) = staff_registry(&[("mod2", "moderator")]);
    let s = Server::start(dir.path(), &[]);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for round in 0..7u8 {
        // A fresh address each round stays below the throttle.
        let c = client_from(&format!("127.0.1.{}", round + 1));
        let mut pair = Vec::new();
        for name in if round % 2 == 0 { ["mod2", "nobody-here"] } else { ["nobody-here", "mod2"] } {
            let (st, retry, body, took) = try_login(&c, &s, name, "wrong password!").await;
            pair.push((name, st, retry, body));
            if name == "mod2" {
                known.push(took)
            } else {
                unknown.push(took)
            }
        }
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!((a.1, a.2), (StatusCode::UNAUTHORIZED, None), "{}", a.0);
        assert_eq!((a.1, a.2), (b.1, b.2), "same status, no Retry-After");
        assert_eq!(a.3, b.3, "the same page whether the name exists or not");
        assert!(a.3.contains("Неверное имя пользователя или пароль."), "{}", a.3);
    }
    let (k, u) = (median(known), median(unknown));
    assert!(u.as_secs_f64() >= 0.5 * k.as_secs_f64(), "unknown {u:?} vs known {k:?}: a real hash check either way");
    assert!(k.as_secs_f64() >= 0.5 * u.as_secs_f64(), "known {k:?} vs unknown {u:?}: no per-account slow-down");
}

/// Tries to change the password; the status and where it redirects.
async fn change(c: &Client, s: &Server, token: &str, current: Option<&str>, new: &str) -> (StatusCode, String, String) {
    let mut form = vec![("csrf", token), ("new_password", new), ("repeat", new)];
    form.extend(current.map(|p| ("current_password", p)));
    post(c, &s.url("/staff/password"), &form).await
}

#[tokio::test]
async fn changing_a_password_needs_the_second_factor_and_the_current_password() {
    let (dir, creds) = staff_registry(&[("ed8", "editor"), ("ed9", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let checker = client_from("127.0.0.4");
    let new = "a-brand-new-password-77";

    // A phished password alone (no second factor) cannot replace the password.
    let half = client();
    let (st, loc, _) = post(&half, &s.url("/staff/login"), &[("name", "ed8"), ("password", &ed.password)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/verify"));
    let r = half.get(s.url("/staff/password")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no password form at the password stage");
    let token = csrf(&half, &s.url("/staff/verify")).await;
    let (st, loc, _) = change(&half, &s, &token, Some(&ed.password), new).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/verify"), "refused: sent on to the code");
    assert_eq!(try_login(&checker, &s, "ed8", new).await.0, StatusCode::UNAUTHORIZED, "password unchanged");

    // Signed in fully: the console links to the form, which asks for the current password.
    let (_, dash) = text(&ed.c, &s.url("/staff")).await;
    assert!(dash.contains("href=\"/staff/password\""), "a change-password entry");
    let (st, form) = text(&ed.c, &s.url("/staff/password")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(form.contains("name=\"current_password\"") && form.contains("Текущий пароль"), "{form}");
    let token = between(&form, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string();
    for current in [None, Some("not-my-password-at-all")] {
        let (st, _, body) = change(&ed.c, &s, &token, current, new).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{current:?}");
        assert!(body.contains("Текущий пароль указан неверно."), "{body}");
    }
    assert_eq!(try_login(&checker, &s, "ed8", new).await.0, StatusCode::UNAUTHORIZED, "password unchanged");
    let (st, loc, _) = change(&ed.c, &s, &token, Some(&ed.password), new).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff?ok=staff.notice.password_changed"));
    assert_eq!(try_login(&checker, &s, "ed8", new).await.0, StatusCode::SEE_OTHER, "the new password works");
    assert_eq!(text(&ed.c, &s.url("/staff")).await.0, StatusCode::OK, "this session goes on");
    let r = half.get(s.url("/staff/verify")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the other (half-signed-in) session was ended");

    // First sign-in: the one-time password must be given as the current one.
    let first = client_from("127.0.0.3");
    let (st, loc, _) = post(&first, &s.url("/staff/login"), &[("name", "ed9"), ("password", &creds[1].1)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/password"));
    let (_, form) = text(&first, &s.url("/staff/password")).await;
    assert!(form.contains("Разовый пароль"), "{form}");
    let token = between(&form, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string();
    for current in [None, Some("not-the-one-time-password")] {
        let (st, _, body) = change(&first, &s, &token, current, new).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{current:?}: {body}");
    }
    first_login(&s, &creds[1].0, &creds[1].1).await;
}

#[tokio::test]
async fn each_role_can_do_only_its_own_actions() {
    let (dir, creds) = staff_registry(&[("ed3", "editor"), ("mod3", "moderator"), ("adm3", "admin")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let md = first_login(&s, &creds[1].0, &creds[1].1).await;
    let ad = first_login(&s, &creds[2].0, &creds[2].1).await;
    let rec = s.url("/staff/records/1");
    let checks: Vec<(&Staff, &str, StatusCode)> = vec![
        (&ed, "/staff/records/1", StatusCode::OK),
        (&ed, "/staff/records/1/edit", StatusCode::OK),
        (&ed, "/staff/import", StatusCode::OK),
        (&ed, "/staff/records/export.csv", StatusCode::OK),
        (&ed, "/staff/audit", StatusCode::FORBIDDEN),
        (&md, "/staff/records/1", StatusCode::OK),
        (&md, "/staff/records/1/edit", StatusCode::FORBIDDEN),
        (&md, "/staff/import", StatusCode::FORBIDDEN),
        (&md, "/staff/records/export.csv", StatusCode::FORBIDDEN),
        (&md, "/staff/audit.csv", StatusCode::FORBIDDEN),
        (&ad, "/staff/audit", StatusCode::OK),
        (&ad, "/staff/records/1", StatusCode::FORBIDDEN),
        (&ad, "/staff/records/1/edit", StatusCode::FORBIDDEN),
    ];
    for (who, path, want) in checks {
        let (st, _) = text(&who.c, &s.url(path)).await;
        assert_eq!(st, want, "{} GET {path}", who.name);
    }
    // Posting directly to an editor's endpoint as a moderator is refused too.
    let token = csrf(&md.c, &s.url("/staff")).await;
    let (st, _, _) = post(&md.c, &rec, &[("csrf", &token), ("version", "1"), ("external_id", "S1")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let log = audit_csv(&s, &ad).await;
    let denied: Vec<&str> = log.lines().filter(|l| l.contains(",access_denied,")).collect();
    assert!(denied.iter().any(|l| l.contains("mod3") && l.contains("edit_record")), "{log}");
    assert!(denied.iter().any(|l| l.contains("adm3") && l.contains("view_record")), "{log}");
    assert!(denied.iter().any(|l| l.contains("ed3") && l.contains("view_audit")), "{log}");
    // Every view of a record's released fields is logged.
    assert!(log.lines().any(|l| l.contains(",view_record,") && l.contains("mod3") && l.contains("S1")), "{log}");
    // The export of records was logged with its size.
    assert!(log.lines().any(|l| l.contains(",export_records,") && l.contains("3 records")), "{log}");
}

fn edit_form(token: &str, version: &str, given: &str) -> Vec<(String, String)> {
    [
        ("csrf", token),
        ("version", version),
        ("external_id", "S2"),
        ("surname", "Подберёзкин"),
        ("given_name", given),
        ("patronymic", "Фомич"),
        ("sex", "m"),
        ("birth_date", "1985"),
        ("region", "Омская область"),
        ("status", "deceased"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn a_stale_edit_is_a_conflict_never_an_overwrite() {
    let (dir, creds) = staff_registry(&[("edA", "editor"), ("edB", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let a = first_login(&s, &creds[0].0, &creds[0].1).await;
    let b = first_login(&s, &creds[1].0, &creds[1].1).await;
    let url = s.url("/staff/records/2");
    let (_, form_a) = text(&a.c, &s.url("/staff/records/2/edit")).await;
    let (_, form_b) = text(&b.c, &s.url("/staff/records/2/edit")).await;
    let version = between(&form_a, "name=\"version\" value=\"", "\"").expect("version").to_string();
    assert_eq!(Some(version.as_str()), between(&form_b, "name=\"version\" value=\"", "\""));
    let ta = between(&form_a, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string();
    let tb = between(&form_b, "name=\"csrf\" value=\"", "\"").unwrap_or_default().to_string();

    let r = a.c.post(&url).form(&edit_form(&ta, &version, "Гордей-Первый")).send().await.expect("save A");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b.c.post(&url).form(&edit_form(&tb, &version, "Гордей-Второй")).send().await.expect("save B");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.unwrap_or_default();
    assert!(body.contains("Гордей-Первый"), "the other editor's value is shown");
    assert!(body.contains("Гордей-Второй"), "this editor's input is kept");

    let (_, page) = text(&b.c, &url).await;
    assert!(page.contains("Гордей-Первый") && !page.contains("Гордей-Второй"));
    // History: who changed which field from what to what.
    let history = page.split("id=\"history\"").nth(1).unwrap_or_default();
    assert!(history.contains("edA") && history.contains("Гордей") && history.contains("Гордей-Первый"), "{history}");

    // A bad value is refused field by field, and nothing changes.
    let mut bad = edit_form(&tb, "2", "Гордей");
    bad.push(("birth_date".into(), "31.02.1985".into()));
    bad.retain(|(k, v)| k != "birth_date" || v != "1985");
    let r = b.c.post(&url).form(&bad).send().await.expect("save bad");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap_or_default().contains("YYYY-MM-DD"));
    // Without the form token the save is refused.
    let r = b.c.post(&url).form(&edit_form("forged", "2", "Гордей")).send().await.expect("forged");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn csv_upload_shows_every_problem_before_anything_is_stored() {
    let (dir, creds) = staff_registry(&[("ed4", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let token = csrf(&ed.c, &s.url("/staff/import")).await;
    let upload = |csv: &'static str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", token.clone())
            .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("list.csv"));
        ed.c.post(s.url("/staff/import")).multipart(form).send()
    };
    let r = upload("external_id,surname,given_name,status\nN1,Новиков,Ян,captured\nN2,Орлов,,lost\n")
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap_or_default();
    assert!(body.contains("<td>3</td><td>given_name</td>") && body.contains("<td>3</td><td>status</td>"), "{body}");
    let (_, list) = text(&ed.c, &s.url("/staff/records?q=Новиков")).await;
    assert!(!list.contains("N1"), "nothing stored from a rejected file");

    let r = upload("external_id,surname,given_name,status\nN1,Новиков,Ян,captured\nS1,Лаврентьев,Остап,released\n")
        .await
        .expect("upload");
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap_or_default();
    let up = between(&body, "name=\"token\" value=\"", "\"").expect("confirm token").to_string();
    assert!(body.contains("Новых записей: 1; обновится: 1."), "{body}");
    let (_, list) = text(&ed.c, &s.url("/staff/records?q=Новиков")).await;
    assert!(!list.contains("N1"), "nothing stored before confirmation");
    let (st, loc, _) = post(&ed.c, &s.url("/staff/import/confirm"), &[("csrf", &token), ("token", &up)]).await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff/records?ok=staff.notice.imported"));
    let (_, list) = text(&ed.c, &s.url("/staff/records?q=Новиков")).await;
    assert!(list.contains("N1"), "{list}");
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let (dir, creds) = staff_registry(&[("ed5", "editor")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    assert_eq!(text(&ed.c, &s.url("/staff/records")).await.0, StatusCode::OK);
    let out = findkin(dir.path(), &["user", "disable", "ed5"]);
    assert!(out.status.success());
    let r = ed.c.get(s.url("/staff/records")).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (st, _, _) = post(&client(), &s.url("/staff/login"), &[("name", "ed5"), ("password", &ed.password)]).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn records_list_filters_exports_and_the_dashboard_draws_charts() {
    let (dir, creds) = staff_registry(&[("ed7", "editor"), ("adm7", "admin")]);
    let s = Server::start(dir.path(), &[]);
    let ed = first_login(&s, &creds[0].0, &creds[0].1).await;
    let (_, html) = text(&ed.c, &s.url("/staff/records?region=%D0%A2%D1%83%D0%BB%D1%8C%D1%81%D0%BA%D0%B0%D1%8F+%D0%BE%D0%B1%D0%BB%D0%B0%D1%81%D1%82%D1%8C")).await;
    assert!(html.contains(">S1<") && html.contains(">S3<") && !html.contains(">S2<"), "region filter");
    let (_, html) = text(&ed.c, &s.url("/staff/records?status=deceased")).await;
    assert!(html.contains(">S2<") && !html.contains(">S1<"), "status filter");
    let (_, html) = text(&ed.c, &s.url("/staff/records?q=Lavrentev+Ostap")).await;
    assert!(html.contains(">S1<") && !html.contains(">S2<"), "name engine in staff search");
    let (st, csv) = text(&ed.c, &s.url("/staff/records/export.csv?status=released")).await;
    assert_eq!(st, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("external_id,surname,given_name") && lines[1].starts_with("S3,Чистякова"));

    let (_, dash) = text(&ed.c, &s.url("/staff")).await;
    assert!(dash.matches("<svg").count() >= 3, "three charts");
    assert!(dash.contains("в плену: 1") && dash.contains("погиб: 1"), "status counts in the chart description");

    let adm = first_login(&s, &creds[1].0, &creds[1].1).await;
    let (_, page) = text(&adm.c, &s.url("/staff/audit?action=export_records")).await;
    assert!(page.contains("export_records") && !page.contains(">totp_enrolled<"), "audit filter by action");
}

#[tokio::test]
async fn demo_staff_can_sign_in_at_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Server::start(dir.path(), &["--demo"]);
    let text_file = std::fs::read_to_string(dir.path().join("demo-staff.txt")).expect("demo staff file");
    let mut moderators = 0;
    for line in text_file.lines().filter(|l| l.contains("TOTP secret")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, role, password, secret) = (words[0], words[2], words[4], words[7]);
        moderators += usize::from(role == "moderator");
        let who = Staff { c: client(), name: name.into(), password: password.into(), secret: secret.into() };
        let (c, st, loc) = login(&s, &who, unix_now()).await;
        assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/staff"), "{name}");
        let (st, page) = text(&c, &s.url("/staff")).await;
        assert_eq!(st, StatusCode::OK);
        assert!(page.contains("demo-banner"), "the console says the data are fictional");
    }
    assert_eq!(moderators, 2, "two demo moderators for the four-eyes release");
    assert!(text_file.contains("admin"));
}
