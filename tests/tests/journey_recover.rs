//! Journey 3 of issue 10 in real Chromium, with JavaScript on and off: a
//! mother sends a request, loses the link, gets a new one by the request
//! number and her email, opens it and sees her request; the old link now
//! explains itself in her request's language.

use fantoccini::Locator;
use findkin_tests::browser::Browser;
use findkin_tests::relative::wait_for_status_link;
use findkin_tests::{staff_registry, Server};

async fn type_into(b: &Browser, id: &str, text: &str) {
    let field = b.c().find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("#{id}: {e}"));
    field.send_keys(text).await.unwrap_or_else(|e| panic!("typing into #{id}: {e}"));
}

/// Goes to a script-free page (the request and status pages carry none, so
/// nothing hydrates there) and checks that the console stayed clean.
async fn visit(b: &Browser, url: &str) {
    b.c().goto(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
    b.assert_console_clean(url).await;
}

async fn lose_the_link_and_get_it_back(javascript: bool) {
    let (dir, _) = staff_registry(&[]);
    let server = Server::start(dir.path(), &[]);
    let b = Browser::start(javascript).await;
    let c = b.c();

    // She sends a request in Ukrainian.
    visit(&b, &server.url("/request")).await;
    type_into(&b, "requester_name", "Оксана").await;
    type_into(&b, "relationship", "мати").await;
    type_into(&b, "email", "oksana@example.org").await;
    type_into(&b, "sought_name", "Лаврентьев Остап Ильич").await;
    c.find(Locator::Css("#language option[value=uk]")).await.expect("Ukrainian").click().await.expect("choose");
    c.find(Locator::Id("consent")).await.expect("consent").click().await.expect("tick");
    c.find(Locator::Css(".request-form button[type=submit]")).await.expect("submit").click().await.expect("send");
    let old =
        c.wait().for_element(Locator::Css("code.secret-link")).await.expect("the link").text().await.expect("text");
    let reference = old.split("/status/").nth(1).and_then(|r| r.split('?').next()).unwrap_or_default().to_string();
    assert!(reference.starts_with("FK-"), "{old}");
    b.assert_console_clean("the status page after sending").await;

    // She loses it: another page, the link forgotten.
    b.open(&server.url("/")).await;

    // The recovery form: the request number and her email.
    visit(&b, &server.url("/status/recover")).await;
    type_into(&b, "reference", &reference).await;
    type_into(&b, "contact", "oksana@example.org").await;
    c.find(Locator::Css(".recover button[type=submit]")).await.expect("button").click().await.expect("send");
    let sent = c.wait().for_element(Locator::Id("recover-sent")).await.expect("the answer").text().await.expect("text");
    assert!(sent.contains("Если номер и контакт совпадают"), "{sent}");
    assert!(sent.contains("только телефон"), "{sent}");
    b.assert_console_clean("the recovery answer").await;

    // The new link comes by mail and opens her request, in her language.
    let link = wait_for_status_link(dir.path(), &reference).await;
    assert!(!old.ends_with(link.split("?t=").nth(1).unwrap_or("-")), "a new secret");
    visit(&b, &server.url(&link)).await;
    let now = c.wait().for_element(Locator::Css(".panel.now")).await.expect("her request").text().await.expect("text");
    assert!(now.contains("Запит отримано"), "{now}");
    assert!(b.body_text().await.contains(&reference));

    // The old link: a helpful page in Ukrainian, with the way to a new link.
    c.goto(&old).await.expect("old link");
    let gone = c.wait().for_element(Locator::Css(".gone")).await.expect("the page").text().await.expect("text");
    assert!(gone.contains("Це посилання не відкриває запит"), "{gone}");
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("404") && e.contains(&reference)),
        "only the old link's own 404 is reported: {errors:#?}"
    );
    c.find(Locator::Css(".gone a.button")).await.expect("recover").click().await.expect("follow");
    let field = c.wait().for_element(Locator::Id("reference")).await.expect("the form again");
    assert_eq!(field.prop("value").await.ok().flatten().as_deref(), Some(reference.as_str()), "filled in");
    b.close().await;
}

#[tokio::test]
async fn a_lost_link_is_recovered_with_javascript() {
    lose_the_link_and_get_it_back(true).await;
}

#[tokio::test]
async fn a_lost_link_is_recovered_without_javascript() {
    lose_the_link_and_get_it_back(false).await;
}
