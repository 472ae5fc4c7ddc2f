//! The persistent response cache of `cacheDir`: one redb file per directory,
//! keyed by the SHA-256 of the cache key (so neither URLs nor credentials
//! are stored in the clear as keys), valued by status, expiry and body.
//!
//! redb allows one open `Database` per file and process, while every engine
//! with the same `cacheDir` wants it: the process keeps one handle per
//! directory and engines share it. It is opened lazily, on the first batch
//! that uses it; when it cannot be opened (e.g. another executor process
//! holds it) the engine logs one warning and runs with its memory cache only.
//!
//! All calls block on file I/O: the engine makes them on the Spark task
//! thread, outside the async runtime.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redb::{Database, ReadableDatabase, TableDefinition};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("responses");
const FILE_NAME: &str = "spark-rest-cache.redb";
/// First byte of every value, so the layout can change later.
const FORMAT: u8 = 1;
/// Format byte, status and expiry come before the body.
const HEADER: usize = 11;
/// redb's page cache; its 1 GiB default is too much inside an executor.
const PAGE_CACHE_BYTES: usize = 64 << 20;

pub type Digest = [u8; 32];

/// A cached final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub status: u16,
    pub body: Vec<u8>,
    pub expires_at: SystemTime,
}

pub struct DiskCache {
    dir: PathBuf,
    db: OnceLock<Option<Arc<Database>>>,
    /// Expired keys seen by `get`, removed by the next `put_all`.
    expired: Mutex<Vec<Digest>>,
}

impl DiskCache {
    pub fn new(dir: PathBuf) -> DiskCache {
        DiskCache {
            dir,
            db: OnceLock::new(),
            expired: Mutex::new(Vec::new()),
        }
    }

    fn db(&self) -> Option<&Arc<Database>> {
        self.db
            .get_or_init(|| match shared_database(&self.dir) {
                Ok(db) => Some(db),
                Err(reason) => {
                    tracing::warn!(dir = %self.dir.display(), %reason, "cacheDir cannot be used; caching in memory only");
                    None
                }
            })
            .as_ref()
    }

    /// The unexpired entry of `key`; read errors count as a miss.
    pub fn get(&self, key: &Digest) -> Option<Entry> {
        let db = self.db()?;
        let read = || -> Result<Option<Entry>, redb::Error> {
            let txn = db.begin_read()?;
            let table = txn.open_table(TABLE)?;
            Ok(table.get(key.as_slice())?.and_then(|v| decode(v.value())))
        };
        match read() {
            Ok(Some(entry)) if entry.expires_at > SystemTime::now() => Some(entry),
            Ok(Some(_)) => {
                self.expired
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(*key);
                None
            }
            Ok(None) => None,
            Err(e) => {
                tracing::debug!(error = %e, "cacheDir read failed; treated as a miss");
                None
            }
        }
    }

    /// Writes `entries` (and drops the expired keys seen) in one transaction:
    /// one commit, i.e. one fsync, per batch instead of one per response.
    pub fn put_all(&self, entries: &[(Digest, Entry)]) {
        let expired = std::mem::take(&mut *self.expired.lock().unwrap_or_else(|p| p.into_inner()));
        if entries.is_empty() && expired.is_empty() {
            return;
        }
        let Some(db) = self.db() else {
            return;
        };
        let write = || -> Result<(), redb::Error> {
            let txn = begin_write(db)?;
            {
                let mut table = txn.open_table(TABLE)?;
                for key in &expired {
                    table.remove(key.as_slice())?;
                }
                for (key, entry) in entries {
                    table.insert(key.as_slice(), encode(entry).as_slice())?;
                }
            }
            txn.commit()?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %self.dir.display(), error = %e, entries = entries.len(), "cacheDir write failed; these responses are cached in memory only");
        }
    }
}

/// A write transaction with quick repair: executors are usually killed, not
/// shut down, and without it the next open after a kill walks the whole file
/// to rebuild its allocator state (seconds for a large cache). Commits get a
/// little slower; there is one per batch.
fn begin_write(db: &Database) -> Result<redb::WriteTransaction, redb::Error> {
    let mut txn = db.begin_write()?;
    txn.set_quick_repair(true);
    Ok(txn)
}

/// The process's one handle of the database in `dir`, opened on first use.
fn shared_database(dir: &Path) -> Result<Arc<Database>, String> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Arc<Database>>>> = OnceLock::new();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the directory: {e}"))?;
    let dir = dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve the directory: {e}"))?;
    let mut open = OPEN
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(db) = open.get(&dir) {
        return Ok(Arc::clone(db));
    }
    let db = Database::builder()
        .set_cache_size(PAGE_CACHE_BYTES)
        .create(dir.join(FILE_NAME))
        .map_err(|e| format!("cannot open {FILE_NAME}: {e}"))?;
    // Create the table now so readers never see it missing.
    let create = || -> Result<(), redb::Error> {
        let txn = begin_write(&db)?;
        txn.open_table(TABLE)?;
        txn.commit()?;
        Ok(())
    };
    create().map_err(|e| format!("cannot create the cache table: {e}"))?;
    let db = Arc::new(db);
    open.insert(dir, Arc::clone(&db));
    sweep_in_background(Arc::clone(&db));
    Ok(db)
}

/// Drops the expired entries earlier runs left behind, so the file does not
/// grow forever with answers nobody will read again. Once per directory and
/// process, on its own thread: it holds the write lock while it scans, so
/// the first batches' writes may wait for it, their reads do not.
fn sweep_in_background(db: Arc<Database>) {
    let spawned = std::thread::Builder::new()
        .name("spark-rest-cache-sweep".into())
        .spawn(move || match sweep(&db) {
            Ok(removed) => tracing::debug!(removed, "cacheDir: expired entries removed"),
            Err(e) => tracing::warn!(error = %e, "cacheDir: removing expired entries failed"),
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cacheDir: cannot start the sweep of expired entries");
    }
}

/// Removes every expired (or unreadable) entry; returns how many.
fn sweep(db: &Database) -> Result<u64, redb::Error> {
    let now = SystemTime::now();
    let mut removed = 0;
    let txn = begin_write(db)?;
    {
        let mut table = txn.open_table(TABLE)?;
        table.retain(|_, value| {
            let keep = expiry(value).is_some_and(|at| at > now);
            removed += u64::from(!keep);
            keep
        })?;
    }
    txn.commit()?;
    Ok(removed)
}

/// `[FORMAT][status: u16 BE][expiry, ms since the epoch: u64 BE][body]`
fn encode(entry: &Entry) -> Vec<u8> {
    let expiry_ms = entry
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut out = Vec::with_capacity(HEADER + entry.body.len());
    out.push(FORMAT);
    out.extend_from_slice(&entry.status.to_be_bytes());
    out.extend_from_slice(&expiry_ms.to_be_bytes());
    out.extend_from_slice(&entry.body);
    out
}

/// None for values of another format (they then count as a miss).
fn decode(value: &[u8]) -> Option<Entry> {
    let expires_at = expiry(value)?;
    Some(Entry {
        status: u16::from_be_bytes([value[1], value[2]]),
        body: value[HEADER..].to_vec(),
        expires_at,
    })
}

/// The expiry of a value, without copying its body.
fn expiry(value: &[u8]) -> Option<SystemTime> {
    if value.len() < HEADER || value[0] != FORMAT {
        return None;
    }
    let expiry_ms = u64::from_be_bytes(value[3..HEADER].try_into().ok()?);
    Some(UNIX_EPOCH + Duration::from_millis(expiry_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16, body: &[u8], in_ms: i64) -> Entry {
        let now = SystemTime::now();
        let delta = Duration::from_millis(in_ms.unsigned_abs());
        Entry {
            status,
            body: body.to_vec(),
            expires_at: if in_ms >= 0 { now + delta } else { now - delta },
        }
    }

    #[test]
    fn values_round_trip() {
        let mut e = entry(404, b"{\"error\":1}", 60_000);
        // Stored with millisecond precision.
        e.expires_at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(decode(&encode(&e)), Some(e));
        assert_eq!(decode(&[9, 0, 0]), None);
    }

    #[test]
    fn entries_survive_a_new_handle_and_expired_ones_are_dropped() {
        let dir = crate::test_support::temp_dir("disk-cache");
        let a = DiskCache::new(dir.clone());
        a.put_all(&[
            ([1; 32], entry(200, b"fresh", 60_000)),
            ([2; 32], entry(200, b"stale", -1_000)),
        ]);
        // Another engine's handle of the same directory shares the database.
        let b = DiskCache::new(dir.join(".").join(""));
        assert_eq!(b.get(&[1; 32]).map(|e| e.body), Some(b"fresh".to_vec()));
        assert_eq!(b.get(&[2; 32]), None);
        assert_eq!(b.get(&[3; 32]), None);
        b.put_all(&[]);
        let db = b.db().unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(TABLE).unwrap();
        assert!(
            table.get([2u8; 32].as_slice()).unwrap().is_none(),
            "expired key removed"
        );
        assert!(Arc::ptr_eq(a.db().unwrap(), db));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_sweep_removes_expired_and_unreadable_entries() {
        let dir = crate::test_support::temp_dir("disk-sweep");
        std::fs::create_dir_all(&dir).unwrap();
        let db = Database::create(dir.join("sweep.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TABLE).unwrap();
            let fresh = encode(&entry(200, b"a", 60_000));
            let stale = encode(&entry(200, b"b", -1_000));
            table
                .insert([1u8; 32].as_slice(), fresh.as_slice())
                .unwrap();
            table
                .insert([2u8; 32].as_slice(), stale.as_slice())
                .unwrap();
            table
                .insert([3u8; 32].as_slice(), [7u8].as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
        assert_eq!(sweep(&db).unwrap(), 2);
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(TABLE).unwrap();
        assert!(table.get([1u8; 32].as_slice()).unwrap().is_some());
        drop((table, txn, db));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
