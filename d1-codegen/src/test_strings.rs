//! Pseudo-random strings for the tests that hold a fast function to a plain one.

/// `count` strings, each up to `most` pieces of `pieces` joined, drawn by an xorshift generator
/// started at `seed`: the same strings on every run.
pub(crate) fn joined<'a>(
    pieces: &'a [&'a str],
    count: usize,
    most: u64,
    seed: u64,
) -> impl Iterator<Item = String> + 'a {
    let mut state = seed;
    (0..count).map(move |_| {
        let mut text = String::new();
        for _ in 0..state % (most + 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            text.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        text
    })
}
