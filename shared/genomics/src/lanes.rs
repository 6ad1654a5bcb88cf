//! Byte counting in blocks of 16 lanes with 8-bit counters, written so that the compiler turns
//! it into SIMD on any target (SSE2 on x86-64, NEON on ARM) without `unsafe` or intrinsics.
//!
//! A stretch of bytes is cut into 16-byte blocks; the last, partial block is taken as the 16
//! bytes that end the stretch, with a mask that keeps only the lanes not counted yet, so no byte
//! is copied and no lane is counted twice. Counters are folded into totals every 255 blocks,
//! before an 8-bit lane can overflow.

/// Lanes per block.
pub(crate) const LANES: usize = 16;
/// Blocks after which 8-bit lane counters must be folded into totals.
const MAX_BLOCKS: usize = u8::MAX as usize;

/// `KEEP[k..k + LANES]` keeps (0xFF) the last `k` lanes of a block and masks (0x00) the others.
const KEEP: [u8; 2 * LANES] = {
    let mut keep = [0u8; 2 * LANES];
    let mut i = LANES;
    while i < 2 * LANES {
        keep[i] = 0xFF;
        i += 1;
    }
    keep
};

/// A count over blocks of bytes.
pub(crate) trait LaneCounter {
    /// Counts the lanes of `bytes` where `keep` is 0xFF; lanes where it is 0 must not count.
    fn block(&mut self, bytes: &[u8; LANES], keep: &[u8; LANES]);
    /// Folds the lane counters into totals and clears them.
    fn fold(&mut self);
}

/// Runs `counter` over `data`, block by block, folding often enough and at the end.
#[inline(always)]
pub(crate) fn count<C: LaneCounter>(data: &[u8], counter: &mut C) {
    const ALL: [u8; LANES] = [0xFF; LANES];
    if data.len() < LANES {
        // Too short for a block of its own: counted from a copy, right-aligned like a last block.
        let mut padded = [0u8; LANES];
        padded[LANES - data.len()..].copy_from_slice(data);
        counter.block(&padded, last_lanes(data.len()));
        counter.fold();
        return;
    }
    // Groups leave room for the last, partial block, so that a short stretch (a read) is folded
    // once; the inner loop has no fold check, which keeps it vectorised.
    let whole = data.len() - data.len() % LANES;
    let groups = data[..whole].chunks((MAX_BLOCKS - 1) * LANES);
    let last_group = groups.len().saturating_sub(1);
    for (i, group) in groups.enumerate() {
        for block in group.chunks_exact(LANES) {
            counter.block(as_block(block), &ALL);
        }
        if i < last_group {
            counter.fold();
        }
    }
    let rest = data.len() - whole;
    if rest > 0 {
        counter.block(as_block(&data[data.len() - LANES..]), last_lanes(rest));
    }
    counter.fold();
}

/// The mask keeping the last `k` lanes.
fn last_lanes(k: usize) -> &'static [u8; LANES] {
    as_block(&KEEP[k..k + LANES])
}

fn as_block(bytes: &[u8]) -> &[u8; LANES] {
    bytes
        .first_chunk()
        .unwrap_or_else(|| unreachable!("blocks are cut LANES bytes long"))
}

/// The sum of the lanes (one `psadbw` on x86-64).
#[inline(always)]
pub(crate) fn sum(lanes: &[u8; LANES]) -> u64 {
    u64::from(lanes.iter().map(|&lane| u32::from(lane)).sum::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts bytes equal to `target`, one lane counter per lane.
    struct Equal {
        target: u8,
        lanes: [u8; LANES],
        total: u64,
    }

    impl LaneCounter for Equal {
        fn block(&mut self, bytes: &[u8; LANES], keep: &[u8; LANES]) {
            for i in 0..LANES {
                self.lanes[i] += u8::from(bytes[i] == self.target) & keep[i];
            }
        }

        fn fold(&mut self) {
            self.total += sum(&self.lanes);
            self.lanes = [0; LANES];
        }
    }

    #[test]
    fn every_byte_is_counted_once_whatever_the_length() {
        // Lengths around block edges and past the 255-block fold.
        for len in (0..70).chain([255 * LANES - 1, 255 * LANES, 255 * LANES + 1, 9000]) {
            let data: Vec<u8> = (0..len).map(|i| u8::from(i % 3 == 0)).collect();
            let mut counter = Equal {
                target: 1,
                lanes: [0; LANES],
                total: 0,
            };
            count(&data, &mut counter);
            assert_eq!(counter.total, len.div_ceil(3) as u64, "length {len}");
        }
    }
}
