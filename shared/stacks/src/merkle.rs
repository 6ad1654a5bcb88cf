//! Merkle batches of 32-byte items, as anchored by `registry.anchor-batch`.
//!
//! The rule (docs/ARCHITECTURE.md, "Attestation and Merkle batches"; the Clarity
//! `registry.verify-inclusion` computes the same):
//!
//! - `leaf = SHA-256(0x00 ‖ item)`;
//! - `node = SHA-256(0x01 ‖ left ‖ right)`;
//! - at a level with an odd number of nodes the last node is paired with itself;
//! - the root of a one-item batch is that item's leaf;
//! - a proof is the list of siblings from the leaf up to the root, plus the leaf
//!   index; at level `k` the node being hashed is the left child when bit `k` of
//!   the index is 0 and the right child when it is 1;
//! - a proof whose index is not below the batch size is rejected, and so is one
//!   whose length is not the tree height for that size.
//!
//! ```
//! use genoflow_stacks::merkle::{MerkleTree, verify_inclusion};
//! let items: Vec<[u8; 32]> = (0u8..5).map(|i| [i; 32]).collect();
//! let tree = MerkleTree::build(&items)?;
//! let proof = tree.prove(3)?;
//! assert!(verify_inclusion(&tree.root(), &items[3], 3, items.len() as u64, &proof.siblings));
//! assert!(!verify_inclusion(&tree.root(), &items[2], 3, items.len() as u64, &proof.siblings));
//! # Ok::<(), genoflow_stacks::merkle::MerkleError>(())
//! ```

use sha2::{Digest, Sha256};

/// A 32-byte hash or item.
pub type Hash32 = [u8; 32];

/// Why a tree or a proof could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A batch needs at least one item.
    #[error("a Merkle batch needs at least one item")]
    Empty,
    /// The requested leaf index is past the end of the batch.
    #[error("leaf index {index} is outside a batch of {size} items")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of items in the batch.
        size: u64,
    },
}

/// `SHA-256(0x00 ‖ item)`.
pub fn leaf_hash(item: &Hash32) -> Hash32 {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(item);
    hasher.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Number of levels above the leaves in a batch of `size` items (the length of
/// every proof): 0 for one item, `ceil(log2(size))` otherwise.
pub fn tree_height(size: u64) -> usize {
    let mut height = 0;
    let mut width = size;
    while width > 1 {
        width = width.div_ceil(2);
        height += 1;
    }
    height
}

/// A built tree: every level from the leaves (level 0) to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash32>>,
}

/// An inclusion proof for one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerkleProof {
    /// Position of the item in the batch (0-based).
    pub index: u64,
    /// Sibling hashes from the leaf level up to just below the root.
    pub siblings: Vec<Hash32>,
}

impl MerkleTree {
    /// Builds the tree of `items` (in batch order).
    ///
    /// # Errors
    /// [`MerkleError::Empty`] when `items` is empty.
    pub fn build(items: &[Hash32]) -> Result<Self, MerkleError> {
        if items.is_empty() {
            return Err(MerkleError::Empty);
        }
        let mut levels = vec![items.iter().map(leaf_hash).collect::<Vec<_>>()];
        while let Some(level) = levels.last().filter(|level| level.len() > 1) {
            let parents = level
                .chunks(2)
                .map(|pair| node_hash(&pair[0], pair.get(1).unwrap_or(&pair[0])))
                .collect();
            levels.push(parents);
        }
        Ok(Self { levels })
    }

    /// The root hash.
    pub fn root(&self) -> Hash32 {
        // `build` guarantees a last level holding exactly one node.
        self.levels
            .last()
            .and_then(|level| level.first())
            .copied()
            .unwrap_or_default()
    }

    /// Number of items in the batch.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The inclusion proof of the item at `index`.
    ///
    /// # Errors
    /// [`MerkleError::IndexOutOfRange`] when `index` is not below the batch size.
    pub fn prove(&self, index: u64) -> Result<MerkleProof, MerkleError> {
        let size = self.size();
        if index >= size {
            return Err(MerkleError::IndexOutOfRange { index, size });
        }
        let mut position = index as usize;
        let mut siblings = Vec::with_capacity(self.levels.len() - 1);
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = level.get(position ^ 1).unwrap_or(&level[position]);
            siblings.push(*sibling);
            position /= 2;
        }
        Ok(MerkleProof { index, siblings })
    }
}

/// Root of the batch of `size` items computed from `item`, its `index` and its
/// `proof`, or `None` when the index is out of range or the proof has the wrong length.
pub fn root_from_proof(item: &Hash32, index: u64, size: u64, proof: &[Hash32]) -> Option<Hash32> {
    if index >= size || proof.len() != tree_height(size) {
        return None;
    }
    let mut node = leaf_hash(item);
    for (level, sibling) in proof.iter().enumerate() {
        node = if (index >> level) & 1 == 0 {
            node_hash(&node, sibling)
        } else {
            node_hash(sibling, &node)
        };
    }
    Some(node)
}

/// Whether `proof` shows that `item` is at `index` in the batch of `size` items
/// whose root is `root`.
pub fn verify_inclusion(
    root: &Hash32,
    item: &Hash32,
    index: u64,
    size: u64,
    proof: &[Hash32],
) -> bool {
    root_from_proof(item, index, size, proof).is_some_and(|computed| &computed == root)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn items(count: u8) -> Vec<Hash32> {
        (0..count).map(|i| [i; 32]).collect()
    }

    #[test]
    fn one_item_root_is_its_leaf_and_proof_is_empty() {
        let tree = MerkleTree::build(&items(1)).unwrap();
        assert_eq!(tree.root(), leaf_hash(&[0; 32]));
        assert!(tree.prove(0).unwrap().siblings.is_empty());
    }

    #[test]
    fn three_items_pair_the_last_node_with_itself() {
        let items = items(3);
        let tree = MerkleTree::build(&items).unwrap();
        let leaves: Vec<_> = items.iter().map(leaf_hash).collect();
        let left = node_hash(&leaves[0], &leaves[1]);
        let right = node_hash(&leaves[2], &leaves[2]);
        assert_eq!(tree.root(), node_hash(&left, &right));
        assert_eq!(tree.prove(2).unwrap().siblings, vec![leaves[2], left]);
    }

    #[test]
    fn every_proof_verifies_and_wrong_index_or_size_fails() {
        for count in 1..=33u8 {
            let items = items(count);
            let tree = MerkleTree::build(&items).unwrap();
            let size = u64::from(count);
            for (index, item) in items.iter().enumerate() {
                let proof = tree.prove(index as u64).unwrap();
                assert_eq!(proof.siblings.len(), tree_height(size));
                assert!(verify_inclusion(
                    &tree.root(),
                    item,
                    index as u64,
                    size,
                    &proof.siblings
                ));
                assert!(!verify_inclusion(
                    &tree.root(),
                    item,
                    size,
                    size,
                    &proof.siblings
                ));
            }
            assert_eq!(
                tree.prove(size),
                Err(MerkleError::IndexOutOfRange { index: size, size })
            );
        }
    }

    #[test]
    fn empty_batch_is_an_error() {
        assert_eq!(MerkleTree::build(&[]), Err(MerkleError::Empty));
    }
}
