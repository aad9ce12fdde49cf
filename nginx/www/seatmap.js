// The seat map page (/seatmap/): pick a show, draw its seats with their
// live states, and hand seat clicks and keys to the cart. Keeps the map's
// states current from live messages (live.js) and refetches of
// GET /shows/{id}/seats with If-None-Match.
//
// For tests and the curious, window.seatmap counts what happened:
// applied (live messages applied), fetches and notModified (map
// refetches and their 304s), mode ('events', 'polling', 'reconnecting').
import { api } from './api.js';
import { layoutBuild, seatLabel, seatMove } from './layout.js';
import { viewCreate, viewUpdate, viewFlush, viewFocus, viewSeatOf } from './draw.js';
import { liveStart, liveStop } from './live.js';
import { cartOpen, cartToggle, cartLost, cartBind } from './cart.js';
import { $, say, showError, money } from './ui.js';
import { zoomBind, zoomReset } from './zoom.js';

const STATE_NAMES = { f: 'free', h: 'held', s: 'sold', b: 'not for sale' };
const stats = window.seatmap = { applied: 0, fetches: 0, notModified: 0, mode: '', showId: 0, ready: false };

// The map context of the show on screen, shared with cart.js.
let m = null;

function mapNew(showId, body, etag) {
    const g = layoutBuild(body.layout);
    return {
        showId, g, etag, snapshot: body.states, states: body.states.split(''), cursor: 0,
        selected: new Set(), mine: new Set(), taken: new Set(),
        buffer: null, again: false, sub: null, view: null,
        stateName: c => STATE_NAMES[c] || c,
        paint: i => viewUpdate(m.view, i),
        stateSet: (i, c) => stateSet(i, c),
        refetch: () => mapFetch(),
    };
}

// How seat i looks: this tab's own booking, picked, refused by the last
// hold (until picked again or the next hold), or its state.
function look(i) {
    if (m.mine.has(i)) return 'mine';
    if (m.selected.has(i)) return 'sel';
    if (m.taken.has(i)) return 'taken';
    return 's-' + m.states[i];
}

// A seat's accessible name: label, category, price, state.
function seatName(i) {
    const c = m.g.layout.categories[m.g.cat[i]];
    const state = m.mine.has(i) ? 'yours' : m.selected.has(i) ? 'selected' : m.stateName(m.states[i]);
    return seatLabel(m.g, i) + ', ' + c.name + ' ' + money(c.price) + ', ' + state
        + (m.g.accessible[i] ? ', wheelchair place' : '');
}

function stateSet(i, c) {
    if (m.states[i] === c) return;
    m.states[i] = c;
    viewUpdate(m.view, i);
    if (c !== 'f') cartLost(i);
    countsShow();
}

// ---- live states ---------------------------------------------------------

// A live message: the seats that changed, by their new state. While a
// refetch runs it is kept too, and applied again over the fetched map,
// which may be older than the message.
function changesApply(msg) {
    for (const c of ['f', 'h', 's', 'b']) {
        if (!Array.isArray(msg[c])) continue;
        for (const i of msg[c])
            if (Number.isInteger(i) && i >= 0 && i < m.g.n) stateSet(i, c);
    }
}

function onChanges(msg) {
    stats.applied++;
    if (m.buffer) m.buffer.push(msg);
    changesApply(msg);
}

// Refetch the map (If-None-Match: a 304 when nothing changed). One at a
// time: asked again while one runs, it runs once more after it.
async function mapFetch() {
    const map = m;
    if (!map) return;
    if (map.buffer) { map.again = true; return; }
    map.buffer = [];
    try {
        const r = await api('GET', '/shows/' + map.showId + '/seats', { etag: map.etag });
        if (m !== map) return;
        stats.fetches++;
        if (r.status === 304) stats.notModified++;
        else { map.etag = r.etag; map.snapshot = r.body.states; }
        // the map as fetched (a 304: as last fetched, which the server
        // says it still is), then the messages that came meanwhile
        for (let i = 0; i < map.g.n; i++) stateSet(i, map.snapshot[i]);
        for (const msg of map.buffer) changesApply(msg);
    } catch (err) {
        if (m === map) $('live-mode').textContent = 'Live: ' + stats.mode
            + ' (the last refresh failed: ' + err.message + ')';
    } finally {
        map.buffer = null;
        if (map.again && m === map) { map.again = false; mapFetch(); }
    }
}

function countsShow() {
    if (m.countsFrame) return;
    m.countsFrame = requestAnimationFrame(() => {
        m.countsFrame = 0;
        let free = 0;
        for (let i = 0; i < m.g.n; i++) if (m.states[i] === 'f') free++;
        $('free-count').textContent = free + ' of ' + m.g.n + ' seats free';
    });
}

// ---- the show on screen ----------------------------------------------------

// Open show id: its map (a show sold by count has none: 404 not_seated),
// the legend, the cart, then the live states.
async function showOpen(id) {
    if (m) { liveStop(m.sub); m = null; }
    stats.ready = false;
    stats.showId = id;
    showError(null);
    $('map-area').hidden = true;
    $('cart').hidden = true;
    $('show-note').textContent = 'Loading the seat map…';
    const url = new URL(location.href);
    url.searchParams.set('show', id);
    history.replaceState(null, '', url);
    let r;
    try {
        r = await api('GET', '/shows/' + id + '/seats');
    } catch (err) {
        if (stats.showId !== id) return;
        $('show-note').textContent = err.code === 'not_seated'
            ? 'This show is general admission, sold by count: it has no seat map to pick from.'
            : err.code === 'show_not_found' ? 'There is no show ' + id + '.' : '';
        if (!$('show-note').textContent) showError(err);
        return;
    }
    if (stats.showId !== id) return;
    m = mapNew(id, r.body, r.etag);
    $('show-note').textContent = '';
    $('map-area').hidden = false;
    $('cart').hidden = false;
    m.view = viewCreate($('map'), m.g, look, seatName);
    viewFlush(m.view);
    viewFocus(m.view, 0, false);
    legendDraw();
    countsShow();
    zoomReset();
    $('map-help').textContent = m.view.mode === 'seats'
        ? 'Tab to the map; arrow keys move between seats, Enter or Space picks one.'
        : 'A large hall: drawn by rows. Tab to the map; arrow keys move, Enter or Space picks.';
    await cartOpen(m);
    m.sub = liveStart(id, {
        onChanges, onResync: () => mapFetch(),
        onMode: mode => { stats.mode = mode; $('live-mode').textContent = 'Live: ' + mode; },
    });
    stats.ready = true;
}

function legendDraw() {
    const ul = $('legend');
    ul.replaceChildren();
    const item = (cls, colour, text) => {
        const li = document.createElement('li');
        const sw = document.createElement('span');
        sw.className = 'swatch ' + cls;
        if (colour) sw.style.background = colour;
        li.append(sw, text);
        ul.appendChild(li);
    };
    for (const c of m.g.layout.categories) item('', c.colour, c.name + ' ' + money(c.price));
    item('held', '', 'held');
    item('sold', '', 'sold');
    item('blocked', '', 'not for sale');
    item('sel', '', 'your pick');
    item('mine', '', 'your booking');
    if (m.g.accessible.some(a => a)) item('wheelchair', '#888', 'wheelchair place');
}

// ---- the keyboard and the pointer -------------------------------------------

const KEYS = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down',
               Home: 'home', End: 'end' };

function cursorTo(i, byKey) {
    m.cursor = i;
    viewFocus(m.view, i, byKey);
    if (m.view.mode === 'rows' && byKey) say(seatName(i));
}

function mapBind() {
    const svg = $('map');
    svg.addEventListener('keydown', e => {
        if (!m) return;
        if (KEYS[e.key]) {
            e.preventDefault();
            cursorTo(seatMove(m.g, m.cursor, KEYS[e.key]), true);
        } else if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            cartToggle(m.cursor);
        }
    });
    // a seat focused by Tab, a click or a screen reader: the arrows go
    // on from there
    svg.addEventListener('focusin', e => {
        const i = m && m.view.mode === 'seats' ? viewSeatOf(m.view, e) : -1;
        if (i >= 0 && i !== m.cursor) cursorTo(i, false);
    });
    svg.addEventListener('click', e => {
        if (!m) return;
        const i = viewSeatOf(m.view, e);
        if (i < 0) return;
        cursorTo(i, false);
        cartToggle(i);
    });
}

// ---- the list of shows -------------------------------------------------------

let nextPage = '/shows?limit=100';

// One page of GET /shows into the picker; its Link header names the next.
async function showsMore() {
    let r;
    try {
        r = await api('GET', nextPage);
    } catch (err) {
        showError(err);
        return;
    }
    const sel = $('show');
    for (const s of r.body) {
        const when = new Date(s.start_time).toLocaleString();
        sel.add(new Option(s.name + ' (' + when + ', ' + s.available_seats + ' of '
                           + s.total_seats + ' free)', s.id));
    }
    const link = /<([^>]+)>;\s*rel="next"/.exec(r.link || '');
    nextPage = link ? link[1] : null;
    $('more-shows').hidden = !nextPage;
}

async function boot() {
    mapBind();
    zoomBind(() => m && m.view);
    cartBind();
    $('show').addEventListener('change', e => { if (e.target.value) showOpen(Number(e.target.value)); });
    $('more-shows').addEventListener('click', showsMore);
    await showsMore();
    const want = Number(new URLSearchParams(location.search).get('show'));
    if (Number.isInteger(want) && want > 0) {
        if (!Array.from($('show').options).some(o => o.value === String(want)))
            $('show').add(new Option('Show ' + want, want));
        $('show').value = String(want);
        await showOpen(want);
    }
}

boot();
