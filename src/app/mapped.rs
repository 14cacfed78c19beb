//! A document's file mapped in the decoding child: read as one slice, as a document read into
//! memory is, and given back to the kernel part by part as it is decoded, so that the child's
//! resident memory follows what the decoder reads at a time, not the file's length (a
//! 2,000-page PDF is read a page at a time; its pages are in the page cache, read again if
//! they are needed again).

use std::fs::File;
use std::io;
use std::ops::Deref;

/// A regular file, mapped read-only.
pub struct MappedFile {
    map: memmap2::Mmap,
}

#[allow(unsafe_code)]
impl MappedFile {
    /// Maps `file` when it is a regular file of at least one byte; None for anything else (a
    /// pipe is read).
    pub fn of(file: &File) -> io::Result<Option<MappedFile>> {
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() == 0 {
            return Ok(None);
        }
        // SAFETY: the mapping is read-only and shared with the file: bytes written into the
        // file in place while it is mapped change under the slices borrowed from it, which
        // Rust's rules do not allow for a `&[u8]`. The risk is taken in this one process,
        // which exists to be lost: the decoding child, which trusts no offset or length it
        // reads, and whose output its parent reads as untrusted lines. A file truncated under
        // it makes a read past the new end raise SIGBUS, which ends the child; the parent
        // keeps what it reported and warns that the decoder stopped (`document_partial`). The
        // action's own process never maps an attachment.
        let map = unsafe { memmap2::Mmap::map(file)? };
        Ok(Some(MappedFile { map }))
    }

    /// Gives the pages read so far back to the kernel: the child holds none of the file until
    /// it reads on (the pages come back from the page cache, or from the file).
    pub fn release(&self) {
        // SAFETY: on a read-only file mapping, `MADV_DONTNEED` loses nothing (no page was
        // written): a page read again is read from the page cache or the file, as it is then.
        let _ = unsafe {
            self.map
                .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
        };
    }
}

impl Deref for MappedFile {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.map
    }
}
