//! Line-oriented reading for the text formats, in bounded memory.
//!
//! Lines are handed out in pieces as they sit in the reader's buffer, so a line of any length is
//! read without being held whole; formats that need whole lines (SAM, VCF) ask for them with a
//! length cap. `\r\n` line ends are accepted and the `\r` removed.

use std::io::{self, BufRead};

/// Default cap on a line that must be held whole (a SAM or VCF record, a FASTQ title).
pub const DEFAULT_MAX_LINE_BYTES: usize = 32 << 20;

/// A piece of a line: the bytes (without line terminator) and whether the line ends here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece<'a> {
    pub data: &'a [u8],
    pub end_of_line: bool,
    /// The 1-based line number.
    pub line: u64,
}

/// Reads lines in pieces from a buffered reader, counting lines.
pub(crate) struct LineReader<R> {
    inner: R,
    to_consume: usize,
    /// A `\r` held back at the end of a buffer until we know whether `\n` follows.
    held_cr: bool,
    /// The 1-based number of the line the last piece belongs to.
    line: u64,
    /// Whether the next piece starts a new line.
    at_line_start: bool,
    /// Whether the input ended without a final line terminator.
    missing_final_newline: bool,
    /// Bytes handed out so far, line terminators included.
    offset: u64,
}

impl<R: BufRead> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            to_consume: 0,
            held_cr: false,
            line: 0,
            at_line_start: true,
            missing_final_newline: false,
            offset: 0,
        }
    }

    /// The 1-based number of the line of the most recent piece.
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    /// Whether the last line had no terminator.
    pub(crate) fn missing_final_newline(&self) -> bool {
        self.missing_final_newline
    }

    /// Decoded bytes consumed so far.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Hands over what was handed out last (pieces or whole lines) to the inner reader.
    fn release(&mut self) {
        self.inner.consume(self.to_consume);
        self.offset += self.to_consume as u64;
        self.to_consume = 0;
    }

    /// The buffered bytes when the reader stands at the start of a line, so that whole lines can
    /// be checked in place (then passed with [`Self::skip_whole_lines`]) instead of piece by piece.
    /// `None` in the middle of a line or at the end of the input.
    pub(crate) fn buffered_lines(&mut self) -> io::Result<Option<&[u8]>> {
        if !self.at_line_start || self.held_cr {
            return Ok(None);
        }
        self.release();
        let buf = self.inner.fill_buf()?;
        Ok((!buf.is_empty()).then_some(buf))
    }

    /// Passes `bytes` bytes of the buffer returned by [`Self::buffered_lines`], which hold exactly
    /// `lines` whole lines with their terminators.
    pub(crate) fn skip_whole_lines(&mut self, bytes: usize, lines: u64) {
        self.to_consume = bytes;
        self.line += lines;
    }

    /// The next piece, or `None` at the end of the input.
    pub(crate) fn next_piece(&mut self) -> io::Result<Option<Piece<'_>>> {
        self.release();
        if self.at_line_start {
            // Peek first so that the end of input does not count as a line.
            if self.inner.fill_buf()?.is_empty() && !self.held_cr {
                return Ok(None);
            }
            self.line += 1;
            self.at_line_start = false;
        }
        if !self.held_cr && self.inner.fill_buf()? == b"\r" {
            // A '\r' alone in the buffer makes no piece: an empty piece that does not end the
            // line would hide that a line such as "\r\n" is blank.
            self.inner.consume(1);
            self.offset += 1;
            self.held_cr = true;
        }
        let buf = self.inner.fill_buf()?;
        if self.held_cr {
            self.held_cr = false;
            if buf.first() == Some(&b'\n') || buf.is_empty() {
                // "\r\n" (or a final "\r"): the line ends here, without the '\r'.
                if buf.is_empty() {
                    self.missing_final_newline = true;
                } else {
                    self.to_consume = 1;
                }
                self.at_line_start = true;
                return Ok(Some(Piece {
                    data: &[],
                    end_of_line: true,
                    line: self.line,
                }));
            }
            return Ok(Some(Piece {
                data: b"\r",
                end_of_line: false,
                line: self.line,
            }));
        }
        if buf.is_empty() {
            self.missing_final_newline = true;
            self.at_line_start = true;
            return Ok(Some(Piece {
                data: &[],
                end_of_line: true,
                line: self.line,
            }));
        }
        match memchr::memchr(b'\n', buf) {
            Some(i) => {
                self.to_consume = i + 1;
                self.at_line_start = true;
                let data = buf[..i].strip_suffix(b"\r").unwrap_or(&buf[..i]);
                Ok(Some(Piece {
                    data,
                    end_of_line: true,
                    line: self.line,
                }))
            }
            None => {
                let len = buf.len();
                self.to_consume = len;
                if buf[len - 1] == b'\r' {
                    self.held_cr = true;
                    return Ok(Some(Piece {
                        data: &buf[..len - 1],
                        end_of_line: false,
                        line: self.line,
                    }));
                }
                Ok(Some(Piece {
                    data: buf,
                    end_of_line: false,
                    line: self.line,
                }))
            }
        }
    }

    /// Reads a whole line (without terminator) into `line`, or returns `false` at the end.
    ///
    /// A line longer than `max` bytes is an error of kind `InvalidData` naming the limit.
    pub(crate) fn read_line(&mut self, line: &mut Vec<u8>, max: usize) -> io::Result<bool> {
        line.clear();
        loop {
            let Some(piece) = self.next_piece()? else {
                return Ok(false);
            };
            if line.len() + piece.data.len() > max {
                let line_number = self.line;
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {line_number} is longer than the {max}-byte limit for one line"),
                ));
            }
            line.extend_from_slice(piece.data);
            if piece.end_of_line {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::BufReader;

    use super::*;

    fn lines(input: &[u8], capacity: usize) -> Vec<(u64, Vec<u8>)> {
        let mut reader = LineReader::new(BufReader::with_capacity(capacity, input));
        let mut out = Vec::new();
        let mut line = Vec::new();
        while reader.read_line(&mut line, 1 << 20).unwrap() {
            out.push((reader.line(), line.clone()));
        }
        out
    }

    #[test]
    fn splits_lf_and_crlf_lines_across_tiny_buffers() {
        for capacity in [1, 2, 3, 7, 64] {
            let got = lines(b"ab\r\ncd\n\r\ne\rf\ng", capacity);
            let want: Vec<(u64, Vec<u8>)> = vec![
                (1, b"ab".to_vec()),
                (2, b"cd".to_vec()),
                (3, b"".to_vec()),
                (4, b"e\rf".to_vec()),
                (5, b"g".to_vec()),
            ];
            assert_eq!(got, want, "buffer capacity {capacity}");
        }
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(lines(b"", 8).is_empty());
    }

    #[test]
    fn over_long_line_is_an_error() {
        let mut reader = LineReader::new(&b"abcdef\n"[..]);
        let mut line = Vec::new();
        let error = reader.read_line(&mut line, 3).unwrap_err();
        assert!(error.to_string().contains("3-byte limit"), "{error}");
    }
}
