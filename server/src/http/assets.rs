//! The browser bundle (`SITE/pkg`: findkin.js, findkin_bg.wasm,
//! findkin.css and their `.br`/`.gz`) under a URL that names its content:
//! the pages load `/pkg/<hash>/findkin.js`, where `<hash>` is computed from
//! the files when the server starts. A new build gets a new URL, so browsers
//! and proxies may keep these files for a year without asking again. The
//! plain `/pkg/…` names stay for scripts, proxies and pages from before a
//! restart, revalidated on each use.

use std::io;
use std::path::{Path, PathBuf};

use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Response, StatusCode};
use axum::Router;
use leptos::config::LeptosOptions;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The bundle's directory under the site root, and its unhashed URL.
pub const PKG: &str = "pkg";

/// What a content-hashed file may be kept for: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Hex digits of the content hash in the URL: 64 bits, so two builds never
/// share a URL by chance.
const HASH_HEX_LEN: usize = 16;

/// The URL directory the pages name the bundle by (LeptosOptions'
/// `site_pkg_dir`): `pkg/<hash>`, or plain `pkg` when there are no files to
/// hash (then pages work without JavaScript, and nothing is kept long).
pub fn url_dir(site_root: &Path) -> String {
    match content_hash(&site_root.join(PKG)) {
        Ok(Some(hash)) => format!("{PKG}/{hash}"),
        Ok(None) => PKG.to_string(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the browser files to hash them: serving them unhashed");
            PKG.to_string()
        }
    }
}

/// A short hex SHA-256 over every file under `dir` (each one's relative
/// path, length and bytes, in path order), so a change to any file served
/// under the hashed URL changes the URL. `None` when there is no file.
pub fn content_hash(dir: &Path) -> io::Result<Option<String>> {
    let mut files = Vec::new();
    match list_files(dir, dir, &mut files) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        other => other?,
    }
    if files.is_empty() {
        return Ok(None);
    }
    files.sort();
    let mut hasher = Sha256::new();
    for (name, path) in files {
        let bytes = std::fs::read(path)?;
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let mut hex = hex::encode(hasher.finalize());
    hex.truncate(HASH_HEX_LEN);
    Ok(Some(hex))
}

/// The files under `dir`, as (path relative to `root` with `/`, full path).
fn list_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            list_files(root, &path, out)?;
        } else {
            let name = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            out.push((name, path));
        }
    }
    Ok(())
}

/// `/pkg/<hash>/…` (when `site_pkg_dir` is hashed) kept for a year, and
/// `/pkg/…` revalidated: the same files, sent as built (brotli or gzip when
/// the client takes it). An unknown hash finds no directory: 404, and the
/// page works without JavaScript.
pub fn routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = Path::new(&*options.site_root).join(PKG);
    let files = || ServeDir::new(&dir).precompressed_br().precompressed_gzip();
    let plain = Router::new().nest_service(&format!("/{PKG}"), files());
    if *options.site_pkg_dir == *PKG {
        return plain;
    }
    // Only a file actually sent may be kept: a 404 must not be, for a year.
    let immutable = SetResponseHeaderLayer::overriding(CACHE_CONTROL, |resp: &Response<_>| {
        (resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED)
            .then(|| HeaderValue::from_static(IMMUTABLE))
    });
    plain.nest_service(
        &format!("/{}", options.site_pkg_dir),
        tower::ServiceBuilder::new().layer(immutable).service(files()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn site() -> tempfile::TempDir {
        let site = tempfile::tempdir().expect("tmp");
        let pkg = site.path().join(PKG);
        std::fs::create_dir_all(pkg.join("snippets")).expect("mkdir");
        std::fs::write(pkg.join("findkin.js"), "import './findkin_bg.wasm';").expect("write");
        std::fs::write(pkg.join("findkin.css"), "body{}").expect("write");
        std::fs::write(pkg.join("snippets/a.js"), "export{}").expect("write");
        site
    }

    #[test]
    fn the_hash_follows_every_file() {
        let site = site();
        let pkg = site.path().join(PKG);
        let first = content_hash(&pkg).expect("hash").expect("files");
        assert_eq!(first.len(), HASH_HEX_LEN);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()), "{first}");
        assert_eq!(content_hash(&pkg).expect("hash"), Some(first.clone()), "the same files, the same hash");
        std::fs::write(pkg.join("findkin.css"), "body{color:red}").expect("write");
        let second = content_hash(&pkg).expect("hash").expect("files");
        assert_ne!(first, second, "a changed stylesheet");
        std::fs::write(pkg.join("snippets/a.js"), "export{a}").expect("write");
        let third = content_hash(&pkg).expect("hash").expect("files");
        assert_ne!(second, third, "a changed file in a subdirectory");
        // Bytes moved from one file to the next are a different bundle.
        std::fs::write(pkg.join("findkin.css"), "body{color:red}e").expect("write");
        std::fs::write(pkg.join("findkin.js"), "import './findkin_bg.wasm'").expect("write");
        assert_ne!(content_hash(&pkg).expect("hash").expect("files"), third);
        assert_eq!(url_dir(site.path()), format!("pkg/{}", content_hash(&pkg).expect("hash").expect("files")));
    }

    #[test]
    fn no_bundle_no_hash() {
        let site = tempfile::tempdir().expect("tmp");
        assert_eq!(content_hash(&site.path().join(PKG)).expect("missing dir"), None);
        assert_eq!(url_dir(site.path()), "pkg");
        std::fs::create_dir(site.path().join(PKG)).expect("mkdir");
        assert_eq!(url_dir(site.path()), "pkg", "an empty directory");
    }

    async fn fetch(router: &Router, path: &str) -> (StatusCode, Option<String>, String) {
        let resp =
            router.clone().oneshot(Request::get(path).body(Body::empty()).expect("request")).await.expect("answer");
        let cache = resp.headers().get(CACHE_CONTROL).and_then(|v| v.to_str().ok()).map(str::to_string);
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body");
        (status, cache, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn hashed_urls_are_kept_plain_ones_revalidated() {
        let site = site();
        let dir = url_dir(site.path());
        let options = LeptosOptions::builder()
            .output_name("findkin")
            .site_root(site.path().to_string_lossy().into_owned())
            .site_pkg_dir(dir.clone())
            .build();
        let router: Router = routes(&options);
        let (status, cache, body) = fetch(&router, &format!("/{dir}/findkin.css")).await;
        assert_eq!((status, cache.as_deref(), body.as_str()), (StatusCode::OK, Some(IMMUTABLE), "body{}"));
        let (status, cache, _) = fetch(&router, &format!("/{dir}/snippets/a.js")).await;
        assert_eq!((status, cache.as_deref()), (StatusCode::OK, Some(IMMUTABLE)));
        // A missing file under the hash is not kept.
        let (status, cache, _) = fetch(&router, &format!("/{dir}/nope.js")).await;
        assert_eq!((status, cache), (StatusCode::NOT_FOUND, None));
        // The plain names still answer; their Cache-Control is the site's default.
        let (status, cache, body) = fetch(&router, "/pkg/findkin.css").await;
        assert_eq!((status, cache, body.as_str()), (StatusCode::OK, None, "body{}"));
        // A hash from another build (a page from before a restart) finds nothing.
        let (status, cache, _) = fetch(&router, "/pkg/0123456789abcdef/findkin.css").await;
        assert_eq!((status, cache), (StatusCode::NOT_FOUND, None));
    }
}
