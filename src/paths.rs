//! Confining user-given file names to the folder they must stay inside.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why a name could not be resolved inside its folder.
#[derive(Debug)]
pub enum Confine {
    /// The folder does not exist, cannot be read or is not a folder.
    NoFolder(String),
    /// The file does not exist or cannot be read.
    Missing(String),
    /// The name leads outside the folder (after following symlinks).
    Escapes(String),
}

/// Refuses names that cannot name a file inside a folder whatever the file system says: NUL
/// bytes, backslashes (Windows separators) and `..` components.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    if name.contains('\0') {
        Err("contains a NUL byte")
    } else if name.contains('\\') {
        Err("contains a backslash; use / or the plain file name")
    } else if name.split('/').any(|part| part == "..") {
        Err("climbs out of its folder with \"..\"; use the plain file name")
    } else if name.len() > 4096 || name.split('/').any(|part| part.len() > 255) {
        Err("is longer than a file name can be")
    } else {
        Ok(())
    }
}

/// Resolves `file` inside `root`, following symlinks, and refuses anything outside it.
pub fn confine(root: &Path, file: &Path) -> Result<PathBuf, Confine> {
    let root_real = fs::canonicalize(root).map_err(|e| {
        Confine::NoFolder(format!(
            "the folder {} cannot be opened: {}",
            shown(root),
            io_reason(&e)
        ))
    })?;
    if !root_real.is_dir() {
        return Err(Confine::NoFolder(format!(
            "{} is a file, not a folder",
            shown(root)
        )));
    }
    let real = fs::canonicalize(root_real.join(file)).map_err(|e| {
        Confine::Missing(format!(
            "no such file in the folder {}: {}{}",
            shown(root),
            io_reason(&e),
            near_names(&root_real, file)
        ))
    })?;
    if real.starts_with(&root_real) {
        Ok(real)
    } else {
        Err(Confine::Escapes(format!(
            "{} resolves outside the folder {}; name a file inside it",
            shown(file),
            shown(root)
        )))
    }
}

/// ` (did you mean "x"?)` with the name in `folder` closest to `file`'s, else nothing: the
/// folder's first 1,000 entries are read, no more.
fn near_names(folder: &Path, file: &Path) -> String {
    let Ok(entries) = fs::read_dir(folder) else {
        return String::new();
    };
    let names: Vec<String> = entries
        .take(1000)
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::error::did_you_mean(&file.to_string_lossy(), &names)
}

/// A path as messages show it: cut to 256 bytes, as every received value is.
pub fn shown(path: &Path) -> String {
    crate::error::shorten(&path.display().to_string())
}

/// Opens a file to read; a folder (which opens, and fails only when read) is refused here,
/// as `IsADirectory`.
pub fn open_file(path: &Path) -> io::Result<std::fs::File> {
    let file = std::fs::File::open(path)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(io::ErrorKind::IsADirectory.into());
    }
    Ok(file)
}

/// A short reason for an I/O error, without the OS error number.
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "not found".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::IsADirectory => "is a folder, not a file".to_owned(),
        _ => e.to_string(),
    }
}
