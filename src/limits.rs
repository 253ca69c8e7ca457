//! Resource limits: how much source, nesting, memory, data and output one command may use.
//!
//! Every limit has a default that no reasonable program reaches and a command-line flag that
//! overrides it (`--max-source-bytes`, `--max-depth`, `--max-memory`, `--max-data-bytes`,
//! `--max-output-bytes`). A limit that is exceeded is an error with a code and the flag to raise it,
//! never an abort (spec/limits.md).

/// One mebibyte (2^20 bytes).
pub const MIB: u64 = 1 << 20;
/// One gibibyte (2^30 bytes).
pub const GIB: u64 = 1 << 30;

/// The largest `max_depth` accepted: the compiler's stack grows with the depth (64 MiB per 256
/// levels), so the depth is bounded to keep that stack reservable.
pub const MAX_DEPTH_CEILING: usize = 4096;

/// The resource limits of one engine. Sizes are in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `.strat` source accepted (default 8 MiB).
    pub max_source_bytes: u64,
    /// Deepest expression nesting accepted (default 256 levels).
    pub max_depth: usize,
    /// Largest estimated memory of one run or sweep, before it starts (default 8 GiB).
    pub max_memory_bytes: u64,
    /// Largest data file read (default 4 GiB per file).
    pub max_data_bytes: u64,
    /// Largest file one output (`--out`, `--weights-out`, ...) may write (default 1 GiB).
    pub max_output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_source_bytes: 8 * MIB, max_depth: 256, max_memory_bytes: 8 * GIB, max_data_bytes: 4 * GIB, max_output_bytes: GIB }
    }
}

/// Parses a byte size: a whole number with an optional unit `B`, `KiB`, `MiB`, `GiB`, `TiB`
/// (powers of 1024) or `KB`, `MB`, `GB`, `TB` (powers of 1000), case-insensitive, e.g. `512MiB`,
/// `8GiB`, `1000000`.
///
/// Errors: an empty or non-numeric size, an unknown unit, or a size that overflows `u64`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("`{text}` is not a size; write e.g. 512MiB, 8GiB or 1000000"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        u => return Err(format!("unknown size unit `{u}` in `{text}`; use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("size `{text}` is too large"))
}

/// A byte size for messages: `8 GiB`, `512 MiB`, `1.5 KiB`, `300 B`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (u, m) in UNITS {
        if n >= m {
            let v = n as f64 / m as f64;
            return if n.is_multiple_of(m) { format!("{} {u}", n / m) } else { format!("{v:.1} {u}") };
        }
    }
    format!("{n} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_bytes("1000000"), Ok(1_000_000));
        assert_eq!(parse_bytes("512MiB"), Ok(512 << 20));
        assert_eq!(parse_bytes("8gib"), Ok(8 << 30));
        assert_eq!(parse_bytes("2 GB"), Ok(2_000_000_000));
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("-1").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
        assert!(parse_bytes("99999999999TiB").is_err());
    }

    #[test]
    fn sizes_format() {
        assert_eq!(format_bytes(8 << 30), "8 GiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(300), "300 B");
    }
}
