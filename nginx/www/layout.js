// A seated show's layout (GET /shows/{id}/seats, docs/seating.md) turned
// into flat per-seat arrays: where each seat is drawn, its label, row and
// category, and the moves of the keyboard between seats. Pure: no DOM.

// Seat i (in the show's seat order) of a normalized layout: its row's
// first seat is row.first, its number comes from the row's ranges, and it
// is drawn at the row's x plus its place in the row, one more for each
// aisle (gaps_after) and each break between ranges before it, at the
// row's y. The same rule as seats.pos in sql/functions/60_seating.sql.
export function layoutBuild(layout) {
    const n = layout.seat_count;
    const g = {
        layout, n,
        x: new Float64Array(n), y: new Float64Array(n),
        row: new Int32Array(n), num: new Int32Array(n),
        cat: new Uint8Array(n), accessible: new Uint8Array(n),
        rows: [],               // {section, name, first, count, y, cat}
        byLabel: new Map(),
        minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity,
    };
    layout.sections.forEach((sec, si) => {
        for (const r of sec.rows) rowBuild(g, sec, si, r);
    });
    const fp = layout.focal_point;
    g.minX = Math.min(g.minX, fp.x); g.maxX = Math.max(g.maxX, fp.x);
    g.minY = Math.min(g.minY, fp.y); g.maxY = Math.max(g.maxY, fp.y);
    rowsOrder(g);
    return g;
}

function rowBuild(g, sec, si, r) {
    const gaps = (r.gaps_after || []).slice().sort((a, b) => a - b);
    const acc = new Set(r.accessible || []);
    const ri = g.rows.length;
    let i = r.first, pos = 0, prev = null, gi = 0;
    r.seats.forEach(([lo, hi], k) => {
        for (let num = lo; num <= hi; num++, i++) {
            // each aisle numbered below this seat, and each break
            // between ranges, adds one place (seats.pos in SQL)
            while (gi < gaps.length && gaps[gi] < num) { gi++; pos++; }
            if (prev !== null) pos += 1 + (num === lo && k > 0 ? 1 : 0);
            g.x[i] = r.x + pos;
            g.y[i] = r.y;
            g.row[i] = ri;
            g.num[i] = num;
            g.cat[i] = r.category;
            g.accessible[i] = acc.has(num) ? 1 : 0;
            g.byLabel.set(sec.name + '-' + r.name + '-' + num, i);
            prev = num;
        }
    });
    g.rows.push({ section: sec.name, sectionIndex: si, name: r.name, first: r.first,
                  count: i - r.first, y: r.y, cat: r.category });
    g.minX = Math.min(g.minX, r.x); g.maxX = Math.max(g.maxX, r.x + pos);
    g.minY = Math.min(g.minY, r.y); g.maxY = Math.max(g.maxY, r.y);
}

// The distinct y of the rows, ascending, each with the rows drawn there:
// up and down move between them.
function rowsOrder(g) {
    const at = new Map();
    g.rows.forEach((r, ri) => {
        if (!at.has(r.y)) at.set(r.y, []);
        at.get(r.y).push(ri);
    });
    g.levels = Array.from(at.keys()).sort((a, b) => a - b).map(y => at.get(y));
    g.levelOf = new Int32Array(g.rows.length);
    g.levels.forEach((rs, li) => { for (const ri of rs) g.levelOf[ri] = li; });
}

export function seatLabel(g, i) {
    const r = g.rows[g.row[i]];
    return r.section + '-' + r.name + '-' + g.num[i];
}

// The seat the keyboard moves to from seat i: 'left'/'right' along its
// row, 'home'/'end' its row's ends, 'up'/'down' the nearest seat (by x)
// of the rows drawn just above or below. Returns i when there is none.
export function seatMove(g, i, dir) {
    const r = g.rows[g.row[i]];
    const last = r.first + r.count - 1;
    switch (dir) {
    case 'left': return i > r.first ? i - 1 : i;
    case 'right': return i < last ? i + 1 : i;
    case 'home': return r.first;
    case 'end': return last;
    }
    const li = g.levelOf[g.row[i]] + (dir === 'up' ? -1 : 1);
    if (li < 0 || li >= g.levels.length) return i;
    let best = i, bestD = Infinity;
    for (const ri of g.levels[li]) {
        const row = g.rows[ri];
        for (let j = row.first; j < row.first + row.count; j++) {
            const d = Math.abs(g.x[j] - g.x[i]);
            if (d < bestD) { best = j; bestD = d; }
        }
    }
    return best;
}

// The seat drawn at map point (x, y), or -1: rows are one unit apart and
// seats one unit wide, so the row is the level nearest y and the seat the
// nearest x within half a unit.
export function seatAt(g, x, y) {
    let lo = 0, hi = g.levels.length - 1;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (g.rows[g.levels[mid][0]].y < y) lo = mid + 1; else hi = mid;
    }
    for (const li of [lo - 1, lo]) {
        if (li < 0) continue;
        for (const ri of g.levels[li]) {
            const row = g.rows[ri];
            if (Math.abs(row.y - y) > 0.5) continue;
            const j = rowSeatNear(g, row, x);
            if (j >= 0 && Math.abs(g.x[j] - x) <= 0.5) return j;
        }
    }
    return -1;
}

// Binary search of a row's seats (x ascending) for the one nearest x.
function rowSeatNear(g, row, x) {
    let lo = row.first, hi = row.first + row.count - 1;
    if (hi < lo) return -1;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (g.x[mid] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > row.first && Math.abs(g.x[lo - 1] - x) < Math.abs(g.x[lo] - x)) return lo - 1;
    return lo;
}
