// The seat map in SVG, to scale: one map unit is one seat's place, rows
// one unit apart (docs/seating.md). Two ways to draw the same seats:
//
// - up to SEAT_ELEMENTS_MAX seats, one <rect> per seat: each is a
//   focusable checkbox for the keyboard and screen readers (a roving
//   tabindex: one seat in the tab order, the arrows move it);
// - beyond, one <path> per row and per look (free, held, sold, ...):
//   a 50 000-seat stadium of 1000 rows is about 3 000 elements (rows,
//   their paths, their names) instead of 50 000, and a change redraws
//   only its rows. The map itself is then the one
//   focusable element, a cursor rect shows the keyboard's seat and the
//   page announces it; clicks are placed by their map coordinates.
//
// The caller says how each seat looks (look(i): a class such as 's-f',
// 'sel' or 'mine'), marks seats changed with viewUpdate(v, i), and the
// view redraws them on the next animation frame.
import { seatAt, seatLabel } from './layout.js';

export const SEAT_ELEMENTS_MAX = 3000;
const NS = 'http://www.w3.org/2000/svg';
const SIZE = 0.8;       // a seat's side, in map units: 0.2 between seats

function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
}

// viewCreate(svg, g, look, label): draw layout g (layoutBuild) into svg;
// label(i) is a seat's accessible name. Returns the view.
export function viewCreate(svg, g, look, label) {
    svg.replaceChildren();
    const mode = g.n <= SEAT_ELEMENTS_MAX ? 'seats' : 'rows';
    const v = { svg, g, look, label, mode, dirty: new Set(), frame: 0, cursor: -1 };
    frameDraw(v);
    v.layer = el('g', { class: 'seats' }, svg);
    if (mode === 'seats') seatsDraw(v); else rowsDraw(v);
    v.cursorRect = el('rect', { class: 'cursor', width: SIZE + 0.3, height: SIZE + 0.3,
                                rx: 0.2, visibility: 'hidden' }, svg);
    // seats mode: the seats are focusable, not the map
    if (mode === 'rows') svg.setAttribute('tabindex', '0'); else svg.removeAttribute('tabindex');
    svg.setAttribute('role', mode === 'rows' ? 'application' : 'group');
    return v;
}

// The stage, the section and row names, and the viewBox around them all.
function frameDraw(v) {
    const { g, svg } = v;
    // held seats are hatched, not only grey (seatmap.css)
    const pat = el('pattern', { id: 'held', width: 0.3, height: 0.3, patternUnits: 'userSpaceOnUse',
                                patternTransform: 'rotate(45)' }, el('defs', {}, svg));
    el('rect', { width: 0.3, height: 0.3, fill: '#c8c8c8' }, pat);
    el('rect', { width: 0.12, height: 0.3, fill: '#ffffffa0' }, pat);
    const fp = g.layout.focal_point;
    const w = Math.max(2, Math.min(12, (g.maxX - g.minX) * 0.4));
    const stage = el('g', { class: 'stage' }, svg);
    el('rect', { x: fp.x - w / 2, y: fp.y - 0.45, width: w, height: 0.9, rx: 0.3 }, stage);
    el('text', { x: fp.x, y: fp.y + 0.2 }, stage).textContent = 'Stage';
    const names = el('g', { class: 'names' }, svg);
    let margin = 1.5, seen = new Set();
    for (const r of g.rows) {
        const x0 = g.x[r.first];
        el('text', { x: x0 - 0.7, y: r.y + 0.2, class: 'row-name' }, names).textContent = r.name;
        if (!seen.has(r.sectionIndex)) {
            seen.add(r.sectionIndex);
            const t = el('text', { x: x0 - 0.7 - 0.32 * r.name.length - 0.5, y: r.y + 0.2,
                                   class: 'section-name' }, names);
            t.textContent = r.section;
            margin = Math.max(margin, (g.minX - x0) + 1.6 + 0.32 * r.name.length
                                      + 0.36 * r.section.length);
        }
    }
    const vb = [g.minX - margin, g.minY - 1, g.maxX - g.minX + margin + 1.5, g.maxY - g.minY + 2];
    svg.setAttribute('viewBox', vb.map(n => +n.toFixed(2)).join(' '));
    // no seat drawn wider than 44 CSS pixels at zoom 1
    v.maxWidth = vb[2] * 44;
}

function seatsDraw(v) {
    const { g } = v;
    const cats = g.layout.categories;
    v.rects = new Array(g.n);
    for (let i = 0; i < g.n; i++) {
        v.rects[i] = el('rect', {
            x: +(g.x[i] - SIZE / 2).toFixed(3), y: +(g.y[i] - SIZE / 2).toFixed(3),
            width: SIZE, height: SIZE, rx: g.accessible[i] ? SIZE / 2 : 0.15,
            fill: cats[g.cat[i]].colour, 'data-i': i, tabindex: '-1', role: 'checkbox',
        }, v.layer);
        seatPaint(v, i);
    }
    v.rects[0].setAttribute('tabindex', '0');
}

function seatPaint(v, i) {
    const r = v.rects[i], look = v.look(i);
    r.setAttribute('class', 'seat ' + look);
    r.setAttribute('aria-checked', look === 'sel' ? 'true' : 'false');
    r.setAttribute('aria-disabled', look === 's-f' || look === 'sel' ? 'false' : 'true');
    r.setAttribute('aria-label', v.label(i));
    r.setAttribute('data-label', seatLabel(v.g, i));
}

function rowsDraw(v) {
    v.rowGroups = v.g.rows.map(() => el('g', {}, v.layer));
    v.g.rows.forEach((_, ri) => rowPaint(v, ri));
}

// One path per look in row ri: squares, circles for accessible places.
function rowPaint(v, ri) {
    const { g } = v, row = g.rows[ri], h = SIZE / 2;
    const d = new Map();
    for (let i = row.first; i < row.first + row.count; i++) {
        const look = v.look(i);
        const x = +(g.x[i] - h).toFixed(3), y = +(g.y[i] - h).toFixed(3);
        const s = g.accessible[i]
            ? `M${x} ${g.y[i]}a${h} ${h} 0 1 0 ${SIZE} 0a${h} ${h} 0 1 0 ${-SIZE} 0`
            : `M${x} ${y}h${SIZE}v${SIZE}h${-SIZE}z`;
        d.set(look, (d.get(look) || '') + s);
    }
    const grp = v.rowGroups[ri], fill = g.layout.categories[row.cat].colour;
    grp.replaceChildren();
    for (const [look, path] of d)
        el('path', { class: 'seat ' + look, fill, d: path }, grp);
}

// Mark seat i changed; it is redrawn on the next animation frame.
export function viewUpdate(v, i) {
    v.dirty.add(v.mode === 'seats' ? i : v.g.row[i]);
    if (!v.frame) v.frame = requestAnimationFrame(() => viewFlush(v));
}

export function viewFlush(v) {
    if (v.frame) cancelAnimationFrame(v.frame);
    v.frame = 0;
    for (const k of v.dirty) (v.mode === 'seats' ? seatPaint : rowPaint)(v, k);
    v.dirty.clear();
}

// Move the keyboard's seat to i: the seat itself takes the focus (one
// per page in the tab order), or the cursor is drawn over it. takeFocus:
// false when the move came from a click or a reload, not the keyboard.
export function viewFocus(v, i, takeFocus) {
    if (i < 0 || i >= v.g.n) return;
    const g = v.g;
    if (v.mode === 'seats') {
        if (v.cursor >= 0) v.rects[v.cursor].setAttribute('tabindex', '-1');
        v.rects[i].setAttribute('tabindex', '0');
        if (takeFocus) v.rects[i].focus();
    } else {
        v.cursorRect.setAttribute('x', g.x[i] - SIZE / 2 - 0.15);
        v.cursorRect.setAttribute('y', g.y[i] - SIZE / 2 - 0.15);
        v.cursorRect.setAttribute('visibility', 'visible');
        if (takeFocus) {
            v.svg.focus();
            v.cursorRect.scrollIntoView({ block: 'nearest', inline: 'nearest' });
        }
    }
    v.cursor = i;
}

// The seat a pointer event is on, or -1.
export function viewSeatOf(v, ev) {
    if (v.mode === 'seats') {
        const i = ev.target.getAttribute && ev.target.getAttribute('data-i');
        return i === null || i === undefined ? -1 : +i;
    }
    const m = v.svg.getScreenCTM();
    if (!m) return -1;
    const p = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(m.inverse());
    return seatAt(v.g, p.x, p.y);
}
