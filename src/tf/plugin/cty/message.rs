//! Text from a request quoted in an error message: cut to a readable
//! length (at a character boundary), so a huge value cannot flood a
//! diagnostic.

/// At most 64 bytes of `s`, with `...` when cut.
pub(super) fn quoted(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}
