//! The sync thread ([`SyncPolicy::Batch`](super::SyncPolicy::Batch)):
//! `fsync`s sealed batch files in the background, so `record` never waits
//! for the disk.

use std::sync::PoisonError;

use super::{Shared, lock};

/// `fsync`s sealed batch files in order, skipping those already delivered
/// (deleted), and the directory whenever it caught up; stops at shutdown once
/// it caught up.
pub(super) fn syncer_loop(shared: &Shared) {
    loop {
        let (seq, file) = {
            let mut st = lock(&shared.state);
            loop {
                if let Some(next) = st.unsynced.pop_front() {
                    st.syncing = true;
                    break next;
                }
                if st.syncer_stop {
                    return;
                }
                st = shared
                    .sync_work
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let mut result = Ok(());
        if shared.spool.path(seq).exists() {
            result = file.sync_data();
        }
        drop(file);
        let caught_up = lock(&shared.state).unsynced.is_empty();
        if caught_up && result.is_ok() {
            result = shared.spool.sync_dir();
        }
        let mut st = lock(&shared.state);
        st.syncing = false;
        if let Err(e) = result {
            st.last_error = Some(format!(
                "cannot fsync the spool {}: {e}",
                shared.spool.dir().display()
            ));
        }
        drop(st);
        shared.progress.notify_all();
    }
}
