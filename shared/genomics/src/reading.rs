//! Small helpers over `std::io` readers, shared by the byte pipeline and the decoders under it.

use std::io::{self, BufRead, Read};

/// `Read::read` for a type whose reading is done by its `BufRead` side.
pub(crate) fn read_from_buffer<R: BufRead>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

/// Reads until `buf` is full or the end; a short chunk only at the end.
pub(crate) fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if filled > 0 {
                    // Deliver what was read; the error repeats on the next read.
                    break;
                }
                return Err(e);
            }
        }
    }
    Ok(filled)
}
