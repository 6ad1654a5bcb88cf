//! How bytes and lines of the input are shown in messages.

/// A byte as a user reads it: the character if printable, else its code.
pub(crate) fn shown_byte(b: u8) -> String {
    match b {
        b' ' => "' ' (space)".to_owned(),
        b'\t' => "'\\t' (tab)".to_owned(),
        b'\r' => "'\\r' (carriage return)".to_owned(),
        _ if b.is_ascii_graphic() => format!("'{}'", char::from(b)),
        _ => format!("0x{b:02x}"),
    }
}

/// The start of a line, quoted, for messages.
pub(crate) fn shown_line(data: &[u8]) -> String {
    const SHOWN: usize = 40;
    let text = String::from_utf8_lossy(&data[..data.len().min(SHOWN)]);
    if data.len() > SHOWN {
        format!("{text:?}…")
    } else {
        format!("{text:?}")
    }
}
