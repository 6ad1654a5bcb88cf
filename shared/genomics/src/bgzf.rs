//! Parallel BGZF decompression laid out for few cores: one thread reads the blocks (and, through
//! the stored reader, hashes them), workers inflate batches of blocks, and the consumer reads
//! the decoded bytes in order.
//!
//! Blocks are handed over in batches of about a megabyte of decoded data rather than one 64 KiB
//! block at a time, so threads hand off (and wake each other) sixteen times less often.

use std::{
    collections::BTreeMap,
    io::{self, BufRead, Read},
    num::NonZero,
    sync::{
        Arc, Mutex, PoisonError,
        mpsc::{Receiver, SyncSender, sync_channel},
    },
    thread,
};

use libdeflater::Decompressor;

use crate::reading::{fill, read_from_buffer};

/// Blocks per hand-off between threads.
const BLOCKS_PER_BATCH: usize = 16;
/// Bytes of a BGZF block header: the gzip header with the `BC` extra field (SAM spec §4.1).
const HEADER_SIZE: usize = 18;
/// Bytes of a gzip member trailer: CRC32 and ISIZE.
const TRAILER_SIZE: usize = 8;
/// Largest decoded size of one block.
const MAX_BLOCK_DATA: usize = 1 << 16;

/// Raw blocks read from the stored stream, back to back.
#[derive(Default)]
struct Batch {
    raw: Vec<u8>,
    /// Where each block ends in `raw`.
    ends: Vec<usize>,
    /// Whether the stream ends after this batch.
    last: bool,
}

/// A batch or the error that ended the stream, numbered in stream order.
type Job = (u64, io::Result<Batch>);
/// The decoded bytes of a batch: the first `len` bytes of `buf`.
#[derive(Default)]
struct DecodedBatch {
    buf: Vec<u8>,
    len: usize,
    /// Whether the stream ends after this batch.
    last: bool,
}

/// Decoded bytes of a batch, numbered in stream order.
type Decoded = (u64, io::Result<DecodedBatch>);

/// The decoded bytes of a BGZF stream, in order.
pub(crate) struct BgzfReader {
    decoded: Receiver<Decoded>,
    /// Batches decoded ahead of the one wanted next.
    early: BTreeMap<u64, io::Result<DecodedBatch>>,
    next: u64,
    current: DecodedBatch,
    pos: usize,
    done: bool,
    recycle: SyncSender<DecodedBatch>,
    /// Gives the reader back a slot for each batch consumed.
    slots: SyncSender<()>,
}

impl BgzfReader {
    /// Starts reading blocks from `stored` on one thread and inflating them on `workers` threads.
    pub(crate) fn spawn<R: Read + Send + 'static>(stored: R, workers: NonZero<usize>) -> Self {
        let workers = workers.get();
        // Memory: about a megabyte per batch, raw and decoded. The reader starts a batch only
        // with a slot, which comes back once the consumer is done with a batch: a worker that is
        // descheduled for long cannot let the others decode ever further ahead of it. Every
        // buffer freed goes back to a pool big enough for all of them, so none is freed and
        // allocated again (which, across threads, makes the allocator's arenas grow).
        let in_flight = 2 * workers + 2;
        let pool = in_flight + 2;
        let (slots_tx, slots_rx) = sync_channel::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = slots_tx.try_send(());
        }
        let (jobs_tx, jobs_rx) = sync_channel::<Job>(workers);
        let (raw_tx, raw_rx) = sync_channel::<Vec<u8>>(pool);
        let (decoded_tx, decoded_rx) = sync_channel::<Decoded>(workers);
        let (recycle_tx, recycle_rx) = sync_channel::<DecodedBatch>(pool);
        thread::spawn(move || read_batches(stored, &slots_rx, &jobs_tx, &raw_rx));
        let jobs = Arc::new(Mutex::new(jobs_rx));
        let recycled = Arc::new(Mutex::new(recycle_rx));
        for _ in 0..workers {
            let (jobs, recycled) = (Arc::clone(&jobs), Arc::clone(&recycled));
            let (decoded_tx, raw_tx) = (decoded_tx.clone(), raw_tx.clone());
            thread::spawn(move || inflate_batches(&jobs, &recycled, &decoded_tx, &raw_tx));
        }
        Self {
            decoded: decoded_rx,
            early: BTreeMap::new(),
            next: 0,
            current: DecodedBatch::default(),
            pos: 0,
            done: false,
            recycle: recycle_tx,
            slots: slots_tx,
        }
    }

    /// The next batch in stream order.
    fn next_batch(&mut self) -> io::Result<DecodedBatch> {
        loop {
            if let Some(batch) = self.early.remove(&self.next) {
                self.next += 1;
                return batch;
            }
            // The threads end only after the last batch or an error: a closed channel here means
            // one of them failed, and the stream must not look complete.
            let (number, batch) = self.decoded.recv().map_err(|_| {
                io::Error::other("the BGZF decoding threads stopped before the end of the stream")
            })?;
            self.early.insert(number, batch);
        }
    }
}

impl Read for BgzfReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl BufRead for BgzfReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len && !self.done {
            if self.current.last {
                self.done = true;
                break;
            }
            match self.next_batch() {
                Ok(batch) => {
                    let used = std::mem::replace(&mut self.current, batch);
                    let _ = self.recycle.try_send(used);
                    let _ = self.slots.try_send(());
                    self.pos = 0;
                }
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            }
        }
        Ok(&self.current.buf[self.pos.min(self.current.len)..self.current.len])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// Reads blocks into batches until the end, an error, or the consumer going away.
fn read_batches<R: Read>(
    mut stored: R,
    slots: &Receiver<()>,
    jobs: &SyncSender<Job>,
    raw: &Receiver<Vec<u8>>,
) {
    let mut number = 0;
    while slots.recv().is_ok() {
        let mut batch = Batch {
            raw: raw.try_recv().unwrap_or_default(),
            ends: Vec::with_capacity(BLOCKS_PER_BATCH),
            last: false,
        };
        let mut outcome = Ok(Some(0));
        while batch.ends.len() < BLOCKS_PER_BATCH {
            let start = batch.ends.last().copied().unwrap_or(0);
            outcome = read_block(&mut stored, &mut batch.raw, start);
            match outcome {
                Ok(Some(end)) => batch.ends.push(end),
                _ => break,
            }
        }
        batch.last = matches!(outcome, Ok(None));
        if !batch.ends.is_empty() || batch.last {
            if jobs.send((number, Ok(batch))).is_err() {
                return;
            }
            number += 1;
        }
        match outcome {
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(e) => {
                // After the blocks before it, in its place in the stream.
                let _ = jobs.send((number, Err(e)));
                return;
            }
        }
    }
}

/// Reads the next block into `raw` from `start` on (growing `raw` if needed; what lies beyond is
/// stale, not zeroed again); returns where the block ends, or `None` at the end of the stream.
fn read_block<R: Read>(
    stored: &mut R,
    raw: &mut Vec<u8>,
    start: usize,
) -> io::Result<Option<usize>> {
    grow(raw, start + HEADER_SIZE);
    let header = &mut raw[start..start + HEADER_SIZE];
    let got = fill(stored, header)?;
    if got == 0 {
        return Ok(None);
    }
    if got < HEADER_SIZE {
        // The end of the stream, or an error that stopped the read: the next read says which.
        return Err(match stored.read(&mut header[got..]) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => e,
            _ => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the stream ends inside a block header ({got} of {HEADER_SIZE} bytes)"),
            ),
        });
    }
    if !is_block_header(header) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "invalid BGZF block header",
        ));
    }
    let block_size = usize::from(u16::from_le_bytes([header[16], header[17]])) + 1;
    if block_size < HEADER_SIZE + TRAILER_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("invalid BGZF block size {block_size}"),
        ));
    }
    let end = start + block_size;
    grow(raw, end);
    stored.read_exact(&mut raw[start + HEADER_SIZE..end])?;
    Ok(Some(end))
}

/// Makes `buf` at least `len` long; a reused buffer keeps its (stale) bytes instead of being
/// zeroed again.
fn grow(buf: &mut Vec<u8>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0);
    }
}

/// Whether `header` is a gzip member header carrying only the BGZF `BC` field.
fn is_block_header(header: &[u8]) -> bool {
    header[..4] == [0x1f, 0x8b, 0x08, 0x04]
        && header[10..16] == [0x06, 0x00, b'B', b'C', 0x02, 0x00]
}

/// Inflates batches until there are no more or the consumer goes away.
fn inflate_batches(
    jobs: &Mutex<Receiver<Job>>,
    recycled: &Mutex<Receiver<DecodedBatch>>,
    decoded: &SyncSender<Decoded>,
    raw_back: &SyncSender<Vec<u8>>,
) {
    let mut inflater = Decompressor::new();
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((number, batch)) = job else {
            return;
        };
        let result = batch.and_then(|batch| {
            let out = recycled
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_recv()
                .unwrap_or_default();
            let out = inflate_batch(&mut inflater, &batch, out);
            let _ = raw_back.try_send(batch.raw);
            out
        });
        if decoded.send((number, result)).is_err() {
            return;
        }
    }
}

/// Inflates every block of `batch` into `out` (whose allocation is reused), checking each
/// block's size and CRC32.
fn inflate_batch(
    inflater: &mut Decompressor,
    batch: &Batch,
    mut out: DecodedBatch,
) -> io::Result<DecodedBatch> {
    out.len = 0;
    out.last = batch.last;
    let mut start = 0;
    for &end in &batch.ends {
        let block = &batch.raw[start..end];
        start = end;
        let (data, trailer) =
            block[HEADER_SIZE..].split_at(block.len() - HEADER_SIZE - TRAILER_SIZE);
        let expected_crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]) as usize;
        if size > MAX_BLOCK_DATA {
            return Err(corrupt(format!(
                "a block claims {size} bytes of data, more than BGZF's {MAX_BLOCK_DATA}"
            )));
        }
        let at = out.len;
        grow(&mut out.buf, at + size);
        let target = &mut out.buf[at..at + size];
        let produced = inflater
            .deflate_decompress(data, target)
            .map_err(|e| corrupt(format!("a block does not inflate: {e}")))?;
        if produced != size {
            return Err(corrupt(format!(
                "a block inflates to {produced} bytes, not its trailer's {size}"
            )));
        }
        if libdeflater::crc32(target) != expected_crc {
            return Err(corrupt("block data checksum mismatch".to_owned()));
        }
        out.len += size;
    }
    Ok(out)
}

fn corrupt(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Write;

    use noodles::bgzf;

    use super::*;

    fn bgzf(data: &[u8]) -> Vec<u8> {
        let mut writer = bgzf::io::Writer::new(Vec::new());
        writer.write_all(data).unwrap();
        writer.finish().unwrap()
    }

    fn decode(stored: Vec<u8>, workers: usize) -> io::Result<Vec<u8>> {
        let mut reader = BgzfReader::spawn(io::Cursor::new(stored), NonZero::new(workers).unwrap());
        let mut out = Vec::new();
        reader.read_to_end(&mut out).map(|_| out)
    }

    #[test]
    fn decodes_many_batches_in_order() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for workers in [1, 2, 3] {
            assert_eq!(
                decode(bgzf(&data), workers).unwrap(),
                data,
                "{workers} workers"
            );
        }
    }

    /// Hands out the bytes of a stream, then fails the way a bug would.
    struct PanicsAfter(io::Cursor<Vec<u8>>, usize);

    impl Read for PanicsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.0.position() < self.1 as u64, "a reader bug");
            self.0.read(buf)
        }
    }

    #[test]
    fn a_thread_that_dies_is_an_error_not_an_early_end() {
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 89) as u8).collect();
        let stored = bgzf(&data);
        let half = stored.len() / 2;
        let reader = PanicsAfter(io::Cursor::new(stored), half);
        let mut decoded = BgzfReader::spawn(reader, NonZero::new(2).unwrap());
        let mut out = Vec::new();
        let error = decoded.read_to_end(&mut out).unwrap_err();
        assert!(
            error.to_string().contains("stopped before the end"),
            "{error}"
        );
        assert!(out.len() < data.len());
    }

    #[test]
    fn damage_is_an_error_after_the_good_blocks() {
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 97) as u8).collect();
        let stored = bgzf(&data);
        let cut = stored.len() / 2;
        let error = decode(stored[..cut].to_vec(), 2).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);

        let mut flipped = stored.clone();
        flipped[cut] ^= 0x55;
        let error = decode(flipped, 2).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");

        let mut not_bgzf = stored;
        not_bgzf[12] = b'X';
        let error = decode(not_bgzf, 2).unwrap_err();
        assert!(error.to_string().contains("header"), "{error}");
    }
}
