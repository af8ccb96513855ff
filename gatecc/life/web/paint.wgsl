// gatecc Game of Life: set or clear the cells of a paint list (one invocation,
// so two cells in one word never race).

struct Params {
    size: u32,
    words_per_row: u32,
    count: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> cells: array<u32>;        // (x, y, alive) triples
@group(0) @binding(2) var<storage, read_write> board: array<u32>;

@compute @workgroup_size(1)
fn paint() {
    for (var i = 0u; i < params.count; i = i + 1u) {
        let x = cells[3u * i];
        let y = cells[3u * i + 1u];
        let idx = y * params.words_per_row + x / 32u;
        let bit = 1u << (x % 32u);
        if (cells[3u * i + 2u] != 0u) {
            board[idx] = board[idx] | bit;
        } else {
            board[idx] = board[idx] & ~bit;
        }
    }
}
