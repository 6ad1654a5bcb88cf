//! Log lines no request can forge: keys, ids and messages come from clients (a dataset id in a
//! path, a blob key, a file name), so every control character in a field's value is written
//! escaped (`\n`, `\r`, `\u{1b}`, …): a value can neither start a new line nor drive a terminal.

use tracing_subscriber::{
    field::MakeExt,
    fmt::format::{FormatFields, Writer, debug_fn},
};

/// The field formatter of `genoflow serve`'s text logs: `name=value` separated by spaces (the
/// message bare), each value with its control characters escaped.
///
/// ```
/// use tracing_subscriber::fmt::MakeWriter;
/// # #[derive(Clone, Default)] struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
/// # impl std::io::Write for Buffer {
/// #     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
/// #     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// # }
/// # impl<'a> MakeWriter<'a> for Buffer { type Writer = Self; fn make_writer(&'a self) -> Self { self.clone() } }
/// let buffer = Buffer::default();
/// let subscriber = tracing_subscriber::fmt()
///     .fmt_fields(genoflow_server::escaped_fields())
///     .with_writer(buffer.clone())
///     .without_time()
///     .finish();
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::warn!(key = %"a\nINFO forged", "refused");
/// });
/// let logged = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
/// assert_eq!(logged.lines().count(), 1);
/// assert!(logged.contains(r"key=a\nINFO forged"), "{logged}");
/// ```
pub fn escaped_fields() -> impl for<'writer> FormatFields<'writer> + Send + Sync + 'static {
    debug_fn(|writer: &mut Writer<'_>, field, value| {
        let text = format!("{value:?}");
        if field.name() != "message" {
            write!(writer, "{}=", field.name())?;
        }
        write_escaped(writer, &text)
    })
    .delimited(" ")
}

/// Writes `text` with every control character (and the Unicode line and paragraph separators)
/// escaped.
fn write_escaped(writer: &mut Writer<'_>, text: &str) -> std::fmt::Result {
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            write!(writer, "{}", c.escape_default())?;
        } else {
            std::fmt::Write::write_char(writer, c)?;
        }
    }
    Ok(())
}
