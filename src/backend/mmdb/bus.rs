//! Survives a database file truncated under a running reader.
//!
//! Databases are memory-mapped. When another process truncates a mapped file in place
//! (`: > GeoIP2-City.mmdb`, an upload written over the old file), every read of a page past the
//! new end raises `SIGBUS`, which would end the process with an empty stdout. This module's
//! handler turns such a fault into something the backend can answer for: it maps a page of
//! zeros over the faulting page of a registered mapping (so the read completes) and counts the
//! fault against that mapping. The backend checks the count after each batch of lookups and
//! answers `db_invalid` for a batch that read a damaged mapping; the open file is dropped and
//! opened again by the next action of a stream.
//!
//! A fault at any other address goes to the handler that was installed before (the standard
//! library's stack-overflow report, or the default action), as if this module were not there.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Mappings watched at most at once (files a stream keeps open, with room to spare).
const SLOTS: usize = 64;

/// One watched mapping: its first byte and length (0: a free slot), and the faults it took.
struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    faults: AtomicUsize,
}

static SLOTS_IN_USE: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        faults: AtomicUsize::new(0),
    }
}; SLOTS];

static PAGE_SIZE: AtomicUsize = AtomicUsize::new(4096);

/// The handler that was installed before ours, called for faults that are not ours.
static mut PREVIOUS: Option<libc::sigaction> = None;

static INSTALL: Once = Once::new();

/// A mapping watched for truncation, until dropped.
pub struct Watch {
    slot: Option<usize>,
}

impl Watch {
    /// Watches `bytes` (a mapping of a file) from now on. When all slots are in use the mapping
    /// is not watched: a truncation then ends the process as it would without this module.
    pub fn new(bytes: &[u8]) -> Watch {
        install();
        let (start, len) = (bytes.as_ptr() as usize, bytes.len());
        let slot = SLOTS_IN_USE.iter().position(|s| {
            s.len
                .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        if let Some(i) = slot {
            let s = &SLOTS_IN_USE[i];
            s.faults.store(0, Ordering::Release);
            s.start.store(start, Ordering::Release);
            s.len.store(len, Ordering::Release);
        }
        Watch { slot }
    }

    /// Whether a read of the mapping faulted: part of the file was cut off while it was mapped,
    /// and what was read there since is zeros, not the database.
    pub fn damaged(&self) -> bool {
        self.slot
            .is_some_and(|i| SLOTS_IN_USE[i].faults.load(Ordering::Acquire) > 0)
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // Reserved while it is cleared, so that no new watch takes it half cleared.
            let s = &SLOTS_IN_USE[i];
            s.len.store(usize::MAX, Ordering::Release);
            s.start.store(0, Ordering::Release);
            s.len.store(0, Ordering::Release);
        }
    }
}

/// Installs the handler, once per process.
#[allow(unsafe_code)]
fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf and sigaction are called with valid arguments; `PREVIOUS` is written
        // once, here, before the handler that reads it is installed.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE_SIZE.store(page as usize, Ordering::Release);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0 {
                PREVIOUS = Some(previous);
            }
        }
    });
}

/// The SIGBUS handler: async-signal-safe (atomics, `mmap`, `sigaction`).
#[allow(unsafe_code)]
extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel hands a valid siginfo to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    let page = PAGE_SIZE.load(Ordering::Acquire);
    for s in &SLOTS_IN_USE {
        let (start, len) = (
            s.start.load(Ordering::Acquire),
            s.len.load(Ordering::Acquire),
        );
        if len == 0 || len == usize::MAX || address < start || address - start >= len {
            continue;
        }
        let at = address & !(page - 1);
        // SAFETY: the page lies in a read-only mapping this process made of a database file;
        // replacing it with zeros changes what the reader sees there, which the fault count
        // makes the backend throw away.
        let mapped = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                page,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            s.faults.fetch_add(1, Ordering::AcqRel);
            return;
        }
        break;
    }
    // Not ours (or the page could not be replaced): what would have happened without us.
    // SAFETY: `PREVIOUS` was written before this handler was installed and never since.
    unsafe {
        match *std::ptr::addr_of!(PREVIOUS) {
            Some(previous)
                if previous.sa_sigaction != libc::SIG_DFL
                    && previous.sa_sigaction != libc::SIG_IGN =>
            {
                if previous.sa_flags & libc::SA_SIGINFO != 0 {
                    let handler: extern "C" fn(
                        libc::c_int,
                        *mut libc::siginfo_t,
                        *mut libc::c_void,
                    ) = std::mem::transmute(previous.sa_sigaction);
                    handler(signal, info, context);
                } else {
                    let handler: extern "C" fn(libc::c_int) =
                        std::mem::transmute(previous.sa_sigaction);
                    handler(signal);
                }
            }
            _ => {
                // The default action: the fault repeats on return and ends the process.
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_mapping_cut_short_reads_zeros_and_says_it_is_damaged() {
        let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
        file.write_all(&[7u8; 64 * 1024]).expect("written");
        let map = super::super::map(file.path()).expect("mapped");
        let watch = Watch::new(&map);
        assert!(!watch.damaged());
        assert_eq!(map[40_000], 7);
        file.as_file().set_len(4096).expect("truncated");
        let past_the_end = std::hint::black_box(&map[..])[40_000];
        assert_eq!(past_the_end, 0);
        assert!(watch.damaged());
        assert_eq!(map[100], 7, "what is still in the file reads as before");
    }
}
