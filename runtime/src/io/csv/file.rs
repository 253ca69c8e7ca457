//! Bounded reading: a data file is read only if it is a regular file within the size limit
//! ([`ReadOptions::max_bytes`], checked from its metadata before any read and again while
//! reading), and a header read stops after [`MAX_HEADER_BYTES`].

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::{ReadOptions, MAX_HEADER_BYTES, UTF8_BOM};
use crate::io::error::{self, DataError};

/// The first line of the file at `path` (any byte-order mark included, with its `\n` if it has
/// one), after [`open_regular`]'s checks, reading at most [`MAX_HEADER_BYTES`] + 5 bytes.
pub(super) fn read_first_line(path: &Path, opts: &ReadOptions) -> Result<Vec<u8>, DataError> {
    let (file, _) = open_regular(path, opts)?;
    let mut first = Vec::new();
    BufReader::new(file.take(MAX_HEADER_BYTES as u64 + UTF8_BOM.len() as u64 + 2)).read_until(b'\n', &mut first).map_err(|e| io_error(path, &e))?;
    Ok(first)
}

/// The whole file at `path`, after [`open_regular`]'s checks, reading at most
/// `opts.max_bytes` + 1 bytes: a file that has grown past the limit since is `too_large`.
pub(super) fn read_all(path: &Path, opts: &ReadOptions) -> Result<Vec<u8>, DataError> {
    let (file, size) = open_regular(path, opts)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size.saturating_add(1)).unwrap_or(usize::MAX).min(1 << 30));
    file.take(opts.max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > opts.max_bytes {
        return Err(too_large(path, bytes.len() as u64, opts));
    }
    Ok(bytes)
}

/// `n` bytes for messages: `123 bytes`, or with a binary unit, `5368709120 bytes (5.0 GiB)`.
pub(super) fn format_size(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (u, m) in UNITS {
        if n >= m {
            return if n.is_multiple_of(m) { format!("{n} bytes ({} {u})", n / m) } else { format!("{n} bytes ({:.1} {u})", n as f64 / m as f64) };
        }
    }
    format!("{n} bytes")
}

/// Opens `path` for reading after checking, from its metadata, that it is a regular file (not a
/// directory, device, FIFO or socket: reading those never ends, blocks or fails) of at most
/// `opts.max_bytes` bytes. Returns the file and its size.
pub(crate) fn open_regular(path: &Path, opts: &ReadOptions) -> Result<(std::fs::File, u64), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        let ft = meta.file_type();
        let what = if ft.is_dir() { "a directory" } else { special_file_kind(&ft) };
        return Err(DataError::new(path, format!("not a regular file ({what})"))
            .with_code(error::NOT_A_FILE)
            .with_help("a data source must be a CSV file on disk; devices, pipes and directories are not read"));
    }
    let size = meta.len();
    if size > opts.max_bytes {
        return Err(too_large(path, size, opts));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    Ok((file, size))
}

#[cfg(unix)]
fn special_file_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "a device or other special file"
}

/// The data-file size limit error: names the size, the limit and the flag that raises it.
fn too_large(path: &Path, size: u64, opts: &ReadOptions) -> DataError {
    DataError::new(path, format!("the file is {}, larger than the data-file limit of {}", format_size(size), format_size(opts.max_bytes)))
        .with_code(error::TOO_LARGE)
        .with_help("raise the limit with --max-data-bytes, e.g. --max-data-bytes 16GiB, or keep only the rows and columns the strategy uses")
}

fn io_error(path: &Path, e: &std::io::Error) -> DataError {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read the file: {e}"),
    };
    DataError::new(path, what)
}
