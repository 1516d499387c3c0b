//! The durable spool: a directory with one JSON-lines file per batch.
//!
//! ```text
//! SPOOL/
//!   lock                         held (flock) by the one sink using the spool
//!   webhook-url                  the URL the spooled transactions are for
//!   00000000000000000041.jsonl   a batch: one compact transaction per line
//!   00000000000000000042.jsonl   the open batch (appended to until sealed)
//!   rejected/00000000000000000007.jsonl   a batch the receiver refused (kept for a person)
//!   dead-letter/00000000000000000009.jsonl   a batch that kept failing while others got through
//! ```
//!
//! `flowc webhook-replay` (or [`replay`](super::replay)) sends what is in
//! `rejected/` and `dead-letter/` again.
//!
//! Batch numbers grow by one per batch and are never reused, so sorting the
//! names gives the delivery order. A file is deleted only after the receiver
//! answered 2xx for it. On start every batch file is queued again, oldest
//! first; a last line without its newline (the process died in the middle of
//! a write) is cut off, since its `record` never returned.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::WebhookError;

/// Name of the lock file.
const LOCK: &str = "lock";
/// Name of the file that remembers the URL.
const URL_FILE: &str = "webhook-url";
/// Folder for refused batches and unreadable lines.
pub(crate) const REJECTED: &str = "rejected";
/// Folder for batches given up after failing too often.
pub(crate) const DEAD_LETTER: &str = "dead-letter";
/// Digits of a batch number in a file name.
const DIGITS: usize = 20;

/// An open, locked spool directory.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    /// Holds the advisory lock for as long as the spool is open.
    _lock: File,
}

/// What a previous run left behind.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    /// `(batch number, transactions)`, oldest first.
    pub(crate) batches: VecDeque<(u64, u64)>,
    /// The first free batch number.
    pub(crate) next_seq: u64,
}

fn spool_err(path: &Path) -> impl FnOnce(io::Error) -> WebhookError + '_ {
    move |source| WebhookError::Spool {
        path: path.to_owned(),
        source,
    }
}

impl Spool {
    /// Creates or opens `dir`, locks it, checks it belongs to `url` and recovers its batches.
    pub(crate) fn open(dir: &Path, url: &str) -> Result<(Self, Recovered), WebhookError> {
        for folder in [REJECTED, DEAD_LETTER] {
            fs::create_dir_all(dir.join(folder)).map_err(spool_err(dir))?;
        }
        let lock_path = dir.join(LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(spool_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(WebhookError::SpoolInUse {
                    path: dir.to_owned(),
                });
            }
            // A file system without locks: go on unlocked rather than not at all.
            Err(fs::TryLockError::Error(e)) if e.kind() == io::ErrorKind::Unsupported => {}
            Err(fs::TryLockError::Error(e)) => return Err(spool_err(&lock_path)(e)),
        }
        let spool = Self {
            dir: dir.to_owned(),
            _lock: lock,
        };
        let mut seqs = Vec::new();
        for entry in fs::read_dir(dir).map_err(spool_err(dir))? {
            let entry = entry.map_err(spool_err(dir))?;
            if let Some(seq) = entry.file_name().to_str().and_then(parse_name) {
                seqs.push(seq);
            }
        }
        seqs.sort_unstable();
        let mut recovered = Recovered {
            batches: VecDeque::with_capacity(seqs.len()),
            next_seq: seqs.last().map_or(1, |last| last + 1),
        };
        for seq in seqs {
            let count = spool.recover(seq).map_err(spool_err(&spool.path(seq)))?;
            if count > 0 {
                recovered.batches.push_back((seq, count));
            }
        }
        spool.bind_url(url, !recovered.batches.is_empty())?;
        Ok((spool, recovered))
    }

    /// Refuses a spool that holds batches for another URL; remembers `url` otherwise.
    fn bind_url(&self, url: &str, has_batches: bool) -> Result<(), WebhookError> {
        let path = self.dir.join(URL_FILE);
        let stored = match fs::read_to_string(&path) {
            Ok(s) => Some(s.trim().to_owned()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(spool_err(&path)(e)),
        };
        match stored {
            Some(stored) if stored == url => Ok(()),
            Some(stored) if has_batches => Err(WebhookError::SpoolUrlMismatch {
                path: self.dir.clone(),
                spooled_for: stored,
                url: url.to_owned(),
            }),
            _ => fs::write(&path, format!("{url}\n")).map_err(spool_err(&path)),
        }
    }

    /// Cuts a torn last line; deletes an empty file; returns the number of lines.
    fn recover(&self, seq: u64) -> io::Result<u64> {
        let path = self.path(seq);
        let bytes = fs::read(&path)?;
        let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if complete == 0 {
            fs::remove_file(&path)?;
            return Ok(0);
        }
        if complete < bytes.len() {
            let file = OpenOptions::new().write(true).open(&path)?;
            file.set_len(complete as u64)?;
            file.sync_all()?;
        }
        Ok(bytes[..complete].iter().filter(|&&b| b == b'\n').count() as u64)
    }

    /// The spool directory.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of batch `seq`.
    pub(crate) fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(file_name(seq))
    }

    /// Creates the (empty) file of a new batch.
    pub(crate) fn create(&self, seq: u64) -> io::Result<File> {
        OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(self.path(seq))
    }

    /// `[` followed by the lines of batch `seq`; `None` when the file is gone.
    pub(crate) fn read(&self, seq: u64) -> io::Result<Option<Vec<u8>>> {
        let mut file = match File::open(self.path(seq)) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = file.metadata().map_or(0, |m| m.len() as usize);
        let mut buf = Vec::with_capacity(len + 2);
        buf.push(b'[');
        file.read_to_end(&mut buf)?;
        Ok(Some(buf))
    }

    /// Deletes a delivered batch.
    pub(crate) fn remove(&self, seq: u64) -> io::Result<()> {
        match fs::remove_file(self.path(seq)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Moves a refused batch to `rejected/`; returns its new path.
    pub(crate) fn reject(&self, seq: u64) -> io::Result<PathBuf> {
        let to = self.dir.join(REJECTED).join(file_name(seq));
        fs::rename(self.path(seq), &to)?;
        Ok(to)
    }

    /// Moves a batch that failed too often to `dead-letter/`; returns its new path.
    pub(crate) fn dead_letter(&self, seq: u64) -> io::Result<PathBuf> {
        let to = self.dir.join(DEAD_LETTER).join(file_name(seq));
        fs::rename(self.path(seq), &to)?;
        Ok(to)
    }

    /// Keeps the lines of batch `seq` that are not JSON in
    /// `rejected/<batch>.corrupt`, then rewrites the batch with its good
    /// `lines` only, so a later read (a retry, `dead-letter/`, a replay) finds
    /// a clean batch and the bad lines are set aside once.
    pub(crate) fn set_aside_corrupt(
        &self,
        seq: u64,
        corrupt: &[u8],
        lines: &[u8],
    ) -> io::Result<PathBuf> {
        let to = self
            .dir
            .join(REJECTED)
            .join(format!("{seq:0DIGITS$}.corrupt"));
        let mut file = OpenOptions::new().create(true).append(true).open(&to)?;
        file.write_all(corrupt)?;
        file.sync_data()?;
        // Written aside and renamed over, so the batch is never half rewritten.
        let path = self.path(seq);
        let tmp = path.with_extension("jsonl.tmp");
        let mut rewritten = File::create(&tmp)?;
        rewritten.write_all(lines)?;
        rewritten.sync_data()?;
        fs::rename(&tmp, &path)?;
        Ok(to)
    }

    /// `fsync`s the directory, so created and deleted names survive a machine crash.
    pub(crate) fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.dir)?.sync_all()
    }
}

fn file_name(seq: u64) -> String {
    format!("{seq:0DIGITS$}.jsonl")
}

fn parse_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".jsonl")?;
    if digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// Turns a trusted buffer `[` + lines (each ending in `\n`) into a JSON
/// array in place; returns it with the number of lines.
///
/// Compact JSON never holds a raw line break (serde_json escapes control
/// characters inside strings), so every `\n` is a record separator.
pub(crate) fn array_in_place(mut buf: Vec<u8>) -> (Vec<u8>, u64) {
    debug_assert_eq!(buf.first(), Some(&b'['));
    let mut lines = 0u64;
    // Lines are long (a transaction is a few KB): skip 64-byte chunks without a line break
    // with a test the compiler vectorizes.
    let mut chunks = buf[1..].chunks_exact_mut(64);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | (b == b'\n')) {
            lines += separate(chunk);
        }
    }
    lines += separate(chunks.into_remainder());
    match buf.last_mut() {
        Some(last) if *last == b',' => *last = b']',
        _ => buf.push(b']'),
    }
    (buf, lines)
}

/// Replaces each `\n` with `,`; returns how many there were.
fn separate(bytes: &mut [u8]) -> u64 {
    let mut lines = 0;
    for b in bytes {
        if *b == b'\n' {
            *b = b',';
            lines += 1;
        }
    }
    lines
}

/// A batch read back from disk, split into its good lines (`[` and the lines,
/// each ending in `\n`, ready for [`array_in_place`]) and the lines that are
/// not JSON (kept aside, never sent).
pub(crate) struct DiskBatch {
    pub(crate) lines: Vec<u8>,
    pub(crate) count: u64,
    pub(crate) corrupt: Vec<u8>,
    pub(crate) corrupt_count: u64,
}

/// Checks each line of a batch file not written by this process (given as
/// `[` and the lines); blank lines are dropped.
///
/// A good line holds no raw line break (it was split at them), so the good
/// lines stay a trusted buffer for [`array_in_place`].
pub(crate) fn check_lines(bytes: &[u8]) -> DiskBatch {
    let bytes = bytes.strip_prefix(b"[").unwrap_or(bytes);
    let mut batch = DiskBatch {
        lines: Vec::with_capacity(bytes.len() + 2),
        count: 0,
        corrupt: Vec::new(),
        corrupt_count: 0,
    };
    batch.lines.push(b'[');
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (out, count) = if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
            (&mut batch.lines, &mut batch.count)
        } else {
            (&mut batch.corrupt, &mut batch.corrupt_count)
        };
        out.extend_from_slice(line);
        out.push(b'\n');
        *count += 1;
    }
    batch
}

/// Names of the batch files in `folder`, oldest first (other files are left out).
pub(crate) fn batches_in(folder: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(folder)? {
        let name = entry?.file_name();
        if let Some(name) = name.to_str().filter(|n| parse_name(n).is_some()) {
            names.push(name.to_owned());
        }
    }
    names.sort_unstable();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(parse_name(&file_name(42)), Some(42));
        assert_eq!(parse_name("42.jsonl"), None);
        assert_eq!(parse_name("webhook-url"), None);
        assert_eq!(parse_name(&format!("{}.tmp", file_name(1))), None);
    }

    #[test]
    fn arrays() {
        let mut buf = b"[".to_vec();
        buf.extend_from_slice(b"{\"a\":\"x\\ny\"}\n{\"b\":2}\n");
        let (body, n) = array_in_place(buf);
        assert_eq!(
            (body.as_slice(), n),
            (&b"[{\"a\":\"x\\ny\"},{\"b\":2}]"[..], 2)
        );
        assert_eq!(array_in_place(b"[".to_vec()), (b"[]".to_vec(), 0));
        let disk = check_lines(b"[{\"a\":1}\nnot json\n\n{\"b\":2}");
        assert_eq!(disk.lines, b"[{\"a\":1}\n{\"b\":2}\n");
        assert_eq!((disk.count, disk.corrupt_count), (2, 1));
        assert_eq!(disk.corrupt, b"not json\n");
        assert_eq!(array_in_place(disk.lines).0, b"[{\"a\":1},{\"b\":2}]");
    }
}
