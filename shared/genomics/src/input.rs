//! The byte pipeline under every validator: read the stored bytes once on their own thread
//! (counting and hashing them), decompress on other threads, and hand the validator decoded bytes
//! through a bounded number of fixed-size buffers, so memory stays constant whatever the size.

use std::{
    error::Error as StdError,
    fmt,
    io::{self, BufRead, Read},
    num::NonZero,
    sync::mpsc::{Receiver, SyncSender, sync_channel},
    thread::{self, JoinHandle},
};

use sha2::{Digest, Sha256};

use crate::format::Compression;

/// Size of the buffers passed between pipeline threads.
const CHUNK_SIZE: usize = 1 << 20;
/// Buffers in flight per stage; with `CHUNK_SIZE` this bounds each stage's memory.
const CHUNKS_IN_FLIGHT: usize = 4;
/// The 28-byte empty BGZF block that ends every well-formed BGZF file (SAM spec §4.1.2).
pub(crate) const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// What was learnt about the stored bytes once they have all been read.
#[derive(Debug, Clone)]
pub(crate) struct StoredSummary {
    /// Bytes read from the input as stored.
    pub bytes: u64,
    /// SHA-256 of those bytes.
    pub sha256: [u8; 32],
    /// The last (up to) 28 stored bytes, to check the BGZF end-of-file marker.
    pub tail: Vec<u8>,
}

impl StoredSummary {
    /// Whether the stored bytes end with the BGZF end-of-file block.
    pub(crate) fn has_bgzf_eof(&self) -> bool {
        self.tail == BGZF_EOF
    }
}

/// An error of the stored input itself (the file or stream the user gave), as opposed to a
/// decoding error of its content.
#[derive(Debug)]
pub(crate) struct SourceError(pub io::Error);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading the input failed: {}", self.0)
    }
}

impl StdError for SourceError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

/// Whether an error came from reading the stored input rather than from decoding it.
pub(crate) fn is_source_error(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<SourceError>())
}

/// The decompressed size went past the configured limit.
#[derive(Debug)]
pub(crate) struct LimitExceeded(pub u64);

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "decompressed data exceeds the limit of {} bytes; raise the limit (--max-decompressed-bytes) if the file is genuine",
            self.0
        )
    }
}

impl StdError for LimitExceeded {}

/// Reads the stored bytes, hashing and counting them; keeps the last 28 bytes.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    tail: Vec<u8>,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            tail: Vec::with_capacity(2 * BGZF_EOF.len()),
        }
    }

    fn summary(self) -> StoredSummary {
        StoredSummary {
            bytes: self.bytes,
            sha256: self.hasher.finalize().into(),
            tail: self.tail,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io::Error::other(SourceError(e))),
                Ok(n) => break n,
            }
        };
        let data = &buf[..n];
        self.hasher.update(data);
        self.bytes += n as u64;
        if n >= BGZF_EOF.len() {
            self.tail.clear();
            self.tail.extend_from_slice(&data[n - BGZF_EOF.len()..]);
        } else {
            self.tail.extend_from_slice(data);
            let excess = self.tail.len().saturating_sub(BGZF_EOF.len());
            self.tail.drain(..excess);
        }
        Ok(n)
    }
}

/// `Read::read` for a type whose reading is done by its `BufRead` side.
pub(crate) fn read_from_buffer<R: BufRead>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let available = reader.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    reader.consume(n);
    Ok(n)
}

/// A chunk of bytes sent between threads, or the error that ended the stream.
type Message = io::Result<Vec<u8>>;

/// Runs `reader` on its own thread, reading ahead into recycled buffers.
///
/// When the consumer goes away early and `drain` is set, the thread still reads to the end (so the
/// stored bytes are hashed whole) but sends nothing more.
fn read_ahead<R>(mut reader: R, drain: bool) -> (ChunkReader, JoinHandle<R>)
where
    R: Read + Send + 'static,
{
    let (data_tx, data_rx): (SyncSender<Message>, Receiver<Message>) =
        sync_channel(CHUNKS_IN_FLIGHT);
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    let handle = thread::spawn(move || {
        let mut consumer_alive = true;
        loop {
            let mut buf = recycle_rx
                .try_recv()
                .unwrap_or_else(|_| vec![0; CHUNK_SIZE]);
            buf.resize(CHUNK_SIZE, 0);
            match fill(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if consumer_alive && data_tx.send(Ok(buf)).is_err() {
                        consumer_alive = false;
                    }
                    if !consumer_alive && !drain {
                        break;
                    }
                }
                Err(e) => {
                    let _ = data_tx.send(Err(e));
                    break;
                }
            }
        }
        reader
    });
    let reader = ChunkReader {
        rx: data_rx,
        recycle: recycle_tx,
        current: Vec::new(),
        pos: 0,
        done: false,
    };
    (reader, handle)
}

/// Reads until `buf` is full or the end; a short chunk only at the end.
fn fill<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
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

/// The consuming end of [`read_ahead`].
pub(crate) struct ChunkReader {
    rx: Receiver<Message>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    self.pos = 0;
                    if used.capacity() > 0 {
                        let _ = self.recycle.try_send(used);
                    }
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        Ok(&self.current[self.pos.min(self.current.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// Stops the stream with an error once more than `limit` bytes have passed.
pub(crate) struct LimitReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R> LimitReader<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            remaining: limit,
            limit,
        }
    }
}

impl<R: BufRead> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl<R: BufRead> BufRead for LimitReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let limit = self.limit;
        let remaining = self.remaining;
        let buf = self.inner.fill_buf()?;
        if remaining == 0 && !buf.is_empty() {
            return Err(io::Error::other(LimitExceeded(limit)));
        }
        let n = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        Ok(&buf[..n])
    }

    fn consume(&mut self, amt: usize) {
        self.remaining -= amt as u64;
        self.inner.consume(amt);
    }
}

/// The stored input, being read and hashed on its own thread.
pub(crate) struct Stored {
    handle: JoinHandle<HashingReader<Box<dyn Read + Send>>>,
}

impl Stored {
    /// Starts reading `source` on its own thread; returns the stored bytes as a stream.
    pub(crate) fn spawn(source: Box<dyn Read + Send>) -> (ChunkReader, Self) {
        let (reader, handle) = read_ahead(HashingReader::new(source), true);
        (reader, Self { handle })
    }

    /// Waits for the whole stored input to be read and returns its size, hash and tail.
    pub(crate) fn finish(self) -> io::Result<StoredSummary> {
        self.handle
            .join()
            .map(HashingReader::summary)
            .map_err(|_| io::Error::other("the input reader thread panicked"))
    }
}

/// Decodes the stored stream for the validator, which gets a buffered reader of decoded bytes.
pub(crate) fn decode(
    stored: ChunkReader,
    compression: Compression,
    threads: NonZero<usize>,
) -> Box<dyn BufRead + Send> {
    match compression {
        Compression::None => Box::new(stored),
        Compression::Gzip => {
            let decoder = flate2::read::MultiGzDecoder::new(stored);
            let (decoded, _handle) = read_ahead(decoder, false);
            Box::new(decoded)
        }
        Compression::Bzip2 => {
            let decoder = bzip2::read::MultiBzDecoder::new(stored);
            let (decoded, _handle) = read_ahead(decoder, false);
            Box::new(decoded)
        }
        Compression::Bgzf => Box::new(noodles::bgzf::io::MultithreadedReader::with_worker_count(
            threads, stored,
        )),
    }
}
