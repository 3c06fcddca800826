//! Shapes to blocks: dimension merging, splitting into blocks, and the greedy assignment of
//! blocks to ranks. Everything here is a pure function of the shapes and the configuration,
//! so every process of a data-parallel run derives the same block list and assignment.

/// Drops size-1 dimensions, then merges adjacent dimensions from right to left while their
/// product stays `<= max_dim`. A 0-d (or all-ones) shape becomes `[1]`.
///
/// Merging adjacent dimensions of a row-major tensor keeps its flat order, so the merged
/// tensor is a reshape of the parameter.
///
/// ```
/// use rein::optim::shampoo::merge_dims;
/// assert_eq!(merge_dims(&[1, 2, 5, 1], 10), vec![10]);
/// assert_eq!(merge_dims(&[1, 2, 5, 1], 1), vec![2, 5]);
/// assert_eq!(merge_dims(&[32, 3, 64, 64], 8192), vec![96, 4096]);
/// assert_eq!(merge_dims(&[], 1024), vec![1]);
/// ```
pub fn merge_dims(shape: &[usize], max_dim: usize) -> Vec<usize> {
    let mut dims = shape.iter().copied().filter(|&d| d != 1).rev();
    let Some(mut current) = dims.next() else {
        return vec![1];
    };
    let mut merged = Vec::new();
    for d in dims {
        match current.checked_mul(d) {
            Some(p) if p <= max_dim => current = p,
            _ => {
                merged.push(current);
                current = d;
            }
        }
    }
    merged.push(current);
    merged.reverse();
    merged
}

/// One block of a (merged) parameter: the sub-tensor at `offsets` of extent `dims`, each
/// `dims[i] <= max_preconditioner_dim`. It has one Kronecker factor per dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Start of the block along each merged dimension.
    pub offsets: Vec<usize>,
    /// Extent of the block along each merged dimension (its factors are `d x d`).
    pub dims: Vec<usize>,
}

impl Block {
    /// Number of entries of the block.
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether the block has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Order `k` of the block (number of Kronecker factors).
    pub fn order(&self) -> usize {
        self.dims.len()
    }

    /// Bytes of the block's preconditioner state in `f64`: one factor and one root of
    /// `d_i x d_i` per dimension (the rank assignment uses
    /// [`ShampooConfig::block_state_bytes`](super::ShampooConfig::block_state_bytes), which
    /// also accounts for `f32` factors and diagonal vector blocks).
    pub fn state_bytes(&self) -> usize {
        self.dims.iter().map(|d| 2 * d * d * 8).sum()
    }
}

/// Splits every merged dimension into chunks of `max_dim` (the last chunk smaller), dim 0 the
/// outermost: the blocks in row-major order of their chunk indices.
///
/// ```
/// use rein::optim::shampoo::split_blocks;
/// let blocks = split_blocks(&[5, 3], 2);
/// assert_eq!(blocks.len(), 6);
/// assert_eq!(blocks[5].offsets, vec![4, 2]);
/// assert_eq!(blocks[5].dims, vec![1, 1]);
/// ```
pub fn split_blocks(dims: &[usize], max_dim: usize) -> Vec<Block> {
    let max_dim = max_dim.max(1);
    let chunks: Vec<Vec<(usize, usize)>> = dims
        .iter()
        .map(|&d| {
            (0..d)
                .step_by(max_dim)
                .map(|o| (o, max_dim.min(d - o)))
                .collect()
        })
        .collect();
    let mut blocks = vec![Block {
        offsets: Vec::new(),
        dims: Vec::new(),
    }];
    for per_dim in &chunks {
        blocks = blocks
            .iter()
            .flat_map(|b| {
                per_dim.iter().map(move |&(o, d)| {
                    let mut nb = b.clone();
                    nb.offsets.push(o);
                    nb.dims.push(d);
                    nb
                })
            })
            .collect();
    }
    blocks
}

/// The blocks of a parameter of shape `shape`: [`merge_dims`] then [`split_blocks`].
pub fn param_blocks(shape: &[usize], max_dim: usize) -> (Vec<usize>, Vec<Block>) {
    let merged = merge_dims(shape, max_dim);
    let blocks = split_blocks(&merged, max_dim);
    (merged, blocks)
}

/// The blocks of a whole model: `(path, block)` for every parameter `(path, shape)`, in order
/// of path (the order [`ParamGrads`](crate::optim::ParamGrads) iterates), each parameter's
/// blocks in [`split_blocks`] order. With [`assign_ranks`] over the blocks' state bytes, this
/// gives every process the same assignment.
pub fn block_list<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a [usize])>,
    max_dim: usize,
) -> Vec<(String, Block)> {
    let mut params: Vec<(&str, &[usize])> = params.into_iter().collect();
    params.sort_by(|a, b| a.0.cmp(b.0));
    params
        .into_iter()
        .flat_map(|(path, shape)| {
            param_blocks(shape, max_dim)
                .1
                .into_iter()
                .map(move |b| (path.to_string(), b))
        })
        .collect()
}

/// Greedy assignment of blocks to `ranks` processes (Shi et al. 2023 §4): blocks in order of
/// decreasing size (ties by index), each to the currently least-loaded rank (ties to the lowest
/// rank), sizes rounded up to a multiple of 64 bytes. Returns the rank of each block.
///
/// ```
/// use rein::optim::shampoo::assign_ranks;
/// assert_eq!(assign_ranks(&[128, 64, 500, 256], 2), vec![1, 1, 0, 1]);
/// ```
pub fn assign_ranks(sizes_bytes: &[usize], ranks: usize) -> Vec<usize> {
    let ranks = ranks.max(1);
    let rounded: Vec<usize> = sizes_bytes.iter().map(|s| s.div_ceil(64) * 64).collect();
    let mut order: Vec<usize> = (0..rounded.len()).collect();
    order.sort_by(|&a, &b| rounded[b].cmp(&rounded[a]).then(a.cmp(&b)));
    let mut load = vec![0usize; ranks];
    let mut out = vec![0; rounded.len()];
    for i in order {
        let r = (0..ranks).min_by_key(|&r| (load[r], r)).unwrap_or(0);
        load[r] += rounded[i];
        out[i] = r;
    }
    out
}

/// Copies block `b` of the row-major tensor `flat` of shape `dims` into a contiguous
/// row-major buffer.
pub(crate) fn gather(flat: &[f64], dims: &[usize], b: &Block) -> Vec<f64> {
    let mut out = Vec::with_capacity(b.len());
    for_each_run(dims, b, |start, len| {
        out.extend_from_slice(&flat[start..start + len])
    });
    out
}

/// Writes the contiguous block values `values` back into `flat` (inverse of [`gather`]).
pub(crate) fn scatter(flat: &mut [f64], dims: &[usize], b: &Block, values: &[f64]) {
    let mut pos = 0;
    for_each_run(dims, b, |start, len| {
        flat[start..start + len].copy_from_slice(&values[pos..pos + len]);
        pos += len;
    });
}

/// Calls `f(start, len)` for each contiguous run (along the last dimension) of the block, in
/// row-major order.
fn for_each_run(dims: &[usize], b: &Block, mut f: impl FnMut(usize, usize)) {
    let k = dims.len();
    if b.is_empty() {
        return;
    }
    let mut strides = vec![1usize; k];
    for i in (0..k.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * dims[i + 1];
    }
    let run = b.dims[k - 1];
    let mut idx = vec![0usize; k - 1];
    loop {
        let start: usize = (0..k)
            .map(|i| {
                let within = if i < k - 1 { idx[i] } else { 0 };
                (b.offsets[i] + within) * strides[i]
            })
            .sum();
        f(start, run);
        // Next multi-index over the leading k - 1 dimensions.
        let mut i = k - 1;
        loop {
            if i == 0 {
                return;
            }
            i -= 1;
            idx[i] += 1;
            if idx[i] < b.dims[i] {
                break;
            }
            idx[i] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_examples_of_merging() {
        assert_eq!(merge_dims(&[1, 2, 5, 1], 10), vec![10]);
        assert_eq!(merge_dims(&[1, 2, 5, 1], 1), vec![2, 5]);
        assert_eq!(merge_dims(&[32, 3, 64, 64], 8192), vec![96, 4096]);
        assert_eq!(merge_dims(&[], 1024), vec![1]);
        assert_eq!(merge_dims(&[1, 1], 1024), vec![1]);
        assert_eq!(merge_dims(&[784, 300], 1024), vec![784, 300]);
        assert_eq!(merge_dims(&[3, 4, 5], 1024), vec![60]);
    }

    #[test]
    fn splitting_five_by_three_in_chunks_of_two_gives_six_blocks() {
        let b = split_blocks(&[5, 3], 2);
        let got: Vec<(Vec<usize>, Vec<usize>)> = b
            .iter()
            .map(|b| (b.offsets.clone(), b.dims.clone()))
            .collect();
        let want = vec![
            (vec![0, 0], vec![2, 2]),
            (vec![0, 2], vec![2, 1]),
            (vec![2, 0], vec![2, 2]),
            (vec![2, 2], vec![2, 1]),
            (vec![4, 0], vec![1, 2]),
            (vec![4, 2], vec![1, 1]),
        ];
        assert_eq!(got, want);
        assert_eq!(split_blocks(&[1], 1024).len(), 1);
    }

    #[test]
    fn gather_and_scatter_partition_the_tensor() {
        let dims = [5, 3, 4];
        let flat: Vec<f64> = (0..60).map(f64::from).collect();
        let blocks = split_blocks(&dims, 2);
        assert_eq!(blocks.len(), 3 * 2 * 2);
        let mut back = vec![-1.0; 60];
        let mut total = 0;
        for b in &blocks {
            let v = gather(&flat, &dims, b);
            assert_eq!(v.len(), b.len());
            // First entry of the block is at its offsets.
            let o = &b.offsets;
            assert_eq!(v[0], (o[0] * 12 + o[1] * 4 + o[2]) as f64);
            scatter(&mut back, &dims, b, &v);
            total += v.len();
        }
        assert_eq!(total, 60);
        assert_eq!(back, flat);
    }

    #[test]
    fn block_list_is_sorted_by_path_and_assignable() {
        let (w, b): (&[usize], &[usize]) = (&[5, 3], &[3]);
        let list = block_list([("l.weight", w), ("l.bias", b)], 2);
        let paths: Vec<&str> = list.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths[..3], ["l.bias", "l.bias", "l.weight"]);
        assert_eq!(list.len(), 2 + 6);
        // 2 (d_1^2 + ... + d_k^2) f64 entries per block.
        let sizes: Vec<usize> = list.iter().map(|(_, b)| b.state_bytes()).collect();
        assert_eq!(sizes, [64, 16, 128, 80, 128, 80, 80, 32]);
        assert_eq!(assign_ranks(&sizes, 2), [1, 1, 0, 1, 0, 1, 0, 0]);
    }

    #[test]
    fn greedy_rank_assignment_documented_example() {
        assert_eq!(assign_ranks(&[128, 64, 500, 256], 2), vec![1, 1, 0, 1]);
        assert_eq!(assign_ranks(&[10, 20, 30], 1), vec![0, 0, 0]);
        // Rounded to 64 bytes: 1 and 64 weigh the same; ties go by index, then lowest rank.
        assert_eq!(assign_ranks(&[1, 64, 65], 2), vec![1, 1, 0]);
    }
}
