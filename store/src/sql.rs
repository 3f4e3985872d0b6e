//! A statement built piece by piece, numbering its placeholders `$1, $2…`.
//!
//! sqlx's `QueryBuilder<Any>` writes `?`, which PostgreSQL does not read;
//! `$N` is read by both PostgreSQL and SQLite.

use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyQueryResult, AnyRow};
use sqlx::{Any, Arguments, Decode, Encode, Executor, FromRow, Type};

pub struct Sql<'a> {
    text: String,
    args: AnyArguments<'a>,
    n: usize,
    /// Bare `?` instead of `$N`: SQLite looks each named parameter up by a
    /// linear scan, so a 17,000-parameter batch insert with `$N` spends
    /// nearly all its time binding. Only for SQLite.
    bare: bool,
}

impl<'a> Sql<'a> {
    pub fn new(text: impl Into<String>) -> Self {
        Sql { text: text.into(), args: AnyArguments::default(), n: 0, bare: false }
    }

    /// Writes bare `?` placeholders when `conn` is SQLite (see `bare`).
    pub fn for_backend(mut self, conn: &super::Conn) -> Self {
        self.bare = super::Dialect::of_conn(conn) == super::Dialect::Sqlite;
        self
    }

    /// Appends SQL text as is.
    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Self {
        self.text.push_str(text.as_ref());
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        self.n += 1;
        if self.bare {
            self.text.push('?');
        } else {
            let _ = write!(self.text, "${}", self.n);
        }
        // Encoding into `Any` only copies the value; it cannot fail for the
        // integer, text, float and byte types this crate binds.
        let _ = self.args.add(value);
        self
    }

    /// Appends `VALUES (…), (…)`, one group per item, `row` binding its fields.
    pub fn values<I, F>(&mut self, items: I, mut row: F) -> &mut Self
    where
        I: IntoIterator,
        F: FnMut(&mut Row<'_, 'a>, I::Item),
    {
        self.text.push_str("VALUES ");
        for (i, item) in items.into_iter().enumerate() {
            self.text.push_str(if i == 0 { "(" } else { ", (" });
            row(&mut Row { sql: self, first: true }, item);
            self.text.push(')');
        }
        self
    }

    /// Appends `(v1, v2, …)` (`(NULL)` when empty, which matches nothing).
    pub fn list<T, I>(&mut self, items: I) -> &mut Self
    where
        I: IntoIterator<Item = T>,
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        self.text.push('(');
        let mut first = true;
        for item in items {
            if !first {
                self.text.push_str(", ");
            }
            first = false;
            self.bind(item);
        }
        if first {
            self.text.push_str("NULL");
        }
        self.text.push(')');
        self
    }

    /// The text and arguments, for `sqlx::query_with` and friends.
    pub fn build(self) -> (String, AnyArguments<'a>) {
        (self.text, self.args)
    }

    pub async fn execute<'c, E: Executor<'c, Database = Any>>(self, e: E) -> Result<AnyQueryResult, sqlx::Error> {
        let (text, args) = self.build();
        sqlx::query_with(&text, args).execute(e).await
    }

    pub async fn fetch_all<'c, E: Executor<'c, Database = Any>>(self, e: E) -> Result<Vec<AnyRow>, sqlx::Error> {
        let (text, args) = self.build();
        sqlx::query_with(&text, args).fetch_all(e).await
    }

    pub async fn fetch_one<'c, E: Executor<'c, Database = Any>>(self, e: E) -> Result<AnyRow, sqlx::Error> {
        let (text, args) = self.build();
        sqlx::query_with(&text, args).fetch_one(e).await
    }

    /// Every row, mapped by its `FromRow`.
    pub async fn fetch_as<'c, T, E>(self, e: E) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
        E: Executor<'c, Database = Any>,
    {
        let (text, args) = self.build();
        sqlx::query_as_with(&text, args).fetch_all(e).await
    }

    /// The one row, mapped by its `FromRow` (a tuple for a few columns).
    pub async fn fetch_as_one<'c, T, E>(self, e: E) -> Result<T, sqlx::Error>
    where
        T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
        E: Executor<'c, Database = Any>,
    {
        let (text, args) = self.build();
        sqlx::query_as_with(&text, args).fetch_one(e).await
    }

    /// The first column of the one row.
    pub async fn fetch_scalar<'c, T, E>(self, e: E) -> Result<T, sqlx::Error>
    where
        T: for<'r> Decode<'r, Any> + Type<Any> + Send + Unpin,
        E: Executor<'c, Database = Any>,
    {
        let (text, args) = self.build();
        sqlx::query_scalar_with(&text, args).fetch_one(e).await
    }
}

/// One `( … )` group of [`Sql::values`].
pub struct Row<'s, 'a> {
    sql: &'s mut Sql<'a>,
    first: bool,
}

impl<'a> Row<'_, 'a> {
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'a + Encode<'a, Any> + Type<Any>,
    {
        if !self.first {
            self.sql.text.push_str(", ");
        }
        self.first = false;
        self.sql.bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut q = Sql::new("INSERT INTO t (a, b) ");
        q.values([(1_i64, "x"), (2, "y")], |r, (a, b)| {
            r.bind(a).bind(b.to_string());
        });
        q.push(" WHERE c = ").bind(3_i64);
        let (text, _) = q.build();
        assert_eq!(text, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) WHERE c = $5");
    }
}
