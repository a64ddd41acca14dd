//! The salsa database: the one place that owns query storage.
//!
//! Queries are free `#[salsa::tracked]` functions in their own modules; this trait only holds
//! capabilities that are not queries.

use std::sync::{Arc, Mutex};

/// The database trait every query takes as `&dyn Db`.
#[salsa::db]
pub trait Db: salsa::Database {
    /// Another handle on the same storage, for a helper thread that computes queries ahead of
    /// the caller. Inputs cannot change while a fork is alive (salsa waits for it).
    fn fork(&self) -> Box<dyn Db + Send>;
}

/// The concrete database used by the CLI and the tests.
#[salsa::db]
#[derive(Clone, Default)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

#[salsa::db]
impl Db for RootDatabase {
    fn fork(&self) -> Box<dyn Db + Send> {
        Box::new(self.clone())
    }
}

/// A database that records which queries executed, for incrementality tests.
#[salsa::db]
#[derive(Clone)]
pub struct LoggingDatabase {
    storage: salsa::Storage<Self>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Default for LoggingDatabase {
    fn default() -> Self {
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&log);
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                sink.lock().unwrap().push(format!("{database_key:?}"));
            }
        })));
        LoggingDatabase { storage, log }
    }
}

impl LoggingDatabase {
    /// Takes the names of the queries executed since the last call.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

#[salsa::db]
impl salsa::Database for LoggingDatabase {}

#[salsa::db]
impl Db for LoggingDatabase {
    fn fork(&self) -> Box<dyn Db + Send> {
        Box::new(self.clone())
    }
}
