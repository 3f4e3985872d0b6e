//! One module per page.

mod home;
mod not_found;
mod search;

pub use home::HomePage;
pub use not_found::NotFound;
pub use search::SearchPage;
