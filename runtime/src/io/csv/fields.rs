//! RFC 4180 records: one record split into its fields, or only counted.

/// Splits one record (without its line terminator) into fields, RFC 4180 style: a field that
/// starts with `"` is quoted, `""` inside it is a literal quote, and the closing quote must end the
/// field. Returns the unquoted fields, or a message.
pub(super) fn split_record(rec: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = rec.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field"),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.peek() {
                None | Some(',') => {}
                Some(_) => return Err("unexpected text after a closing quote"),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("a '\"' inside an unquoted field (quote the whole field)");
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        match chars.next() {
            Some(',') => continue,
            _ => return Ok(fields),
        }
    }
}

/// The number of fields of one record, with exactly [`split_record`]'s checks and messages, but
/// without building the fields (the structure scan only needs their count).
pub(super) fn count_fields(rec: &str) -> Result<usize, &'static str> {
    let b = rec.as_bytes();
    let mut i = 0;
    let mut n = 0;
    loop {
        if i < b.len() && b[i] == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("unterminated quoted field"),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match b.get(i) {
                None | Some(b',') => {}
                Some(_) => return Err("unexpected text after a closing quote"),
            }
        } else {
            while let Some(&c) = b.get(i) {
                if c == b',' {
                    break;
                }
                if c == b'"' {
                    return Err("a '\"' inside an unquoted field (quote the whole field)");
                }
                i += 1;
            }
        }
        n += 1;
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return Ok(n),
        }
    }
}
