// The buyer's side panel: the seats picked on the map (or best available
// of N), held with POST /book, then the hold with its countdown, and
// confirm, extend or cancel. The map context m (seatmap.js) holds the
// seats' states and the picked, own and refused seats; cart.js changes
// them through m.stateSet and m.paint.
import { newKey } from './api.js';
import { seatLabel } from './layout.js';
import { bookingLoad, bookingForget, bookingHold, bookingAct, bookingRead,
         bookingSecondsLeft } from './booking.js';
import { $, say, showError, money, busy } from './ui.js';

let m = null;           // the map context of the show on screen
let kept = null;        // {id, token, booking}: this tab's booking of it
let holdKey = null;     // the Idempotency-Key of a hold not yet answered
let ticker = 0;
let lapseNext = 0;      // when a lapsed hold may be read again

// A new show on screen: its categories in the best-available form, and
// the booking this tab kept for it, read again.
export async function cartOpen(map) {
    m = map;
    kept = bookingLoad(m.showId);
    holdKey = null;
    const sel = $('best-category');
    sel.replaceChildren(new Option('Any', ''));
    for (const c of m.g.layout.categories) sel.add(new Option(c.name + ' (' + money(c.price) + ')', c.name));
    mineSet();
    cartRender();
    if (!kept) return;
    try {
        await bookingRead(m.showId, kept);
    } catch (err) {
        if (err.status === 404) { bookingForget(m.showId); kept = null; }
        else showError(err);
    }
    if (m === map) { mineSet(); cartRender(); }
}

// Seat i clicked or toggled with the keyboard.
export function cartToggle(i) {
    if (!m) return;
    const label = seatLabel(m.g, i);
    if (kept) {
        say(kept.booking.status === 'PENDING' ? 'Confirm or cancel your hold first.'
            : 'Press New booking to pick more seats.');
        return;
    }
    if (m.selected.has(i)) {
        m.selected.delete(i);
        say(label + ' unselected.');
    } else if (m.states[i] === 'f') {
        m.selected.add(i);
        m.taken.delete(i);
        say(label + ' selected.');
    } else {
        say(label + ' is not for sale now (' + m.stateName(m.states[i]) + ').');
        return;
    }
    m.paint(i);
    cartRender();
}

// A seat picked here turned held, sold or blocked elsewhere (a live
// message or a refetched map): it is no longer picked.
export function cartLost(i) {
    if (!m || !m.selected.delete(i)) return;
    say(seatLabel(m.g, i) + ' was just taken by someone else.');
    cartRender();
}

function live() {
    return kept && (kept.booking.status === 'PENDING' || kept.booking.status === 'CONFIRMED');
}

// The seats of this tab's live booking are drawn as its own.
function mineSet() {
    const before = Array.from(m.mine);
    m.mine.clear();
    if (live())
        for (const l of kept.booking.seats || []) {
            const i = m.g.byLabel.get(l);
            if (i !== undefined) m.mine.add(i);
        }
    for (const i of before) m.paint(i);
    for (const i of m.mine) m.paint(i);
}

function priceOf(seats) {
    return seats.reduce((t, i) => t + m.g.layout.categories[m.g.cat[i]].price, 0);
}

function listFill(ul, labels) {
    ul.replaceChildren(...labels.map(l => {
        const li = document.createElement('li');
        li.textContent = l;
        return li;
    }));
}

// Redraw the panel from kept and the picked seats.
export function cartRender() {
    clearInterval(ticker);
    ticker = 0;
    const b = kept && kept.booking;
    $('pick').hidden = !!b;
    $('booked').hidden = !b;
    if (!b) {
        const picked = Array.from(m.selected).sort((a, c) => a - c);
        listFill($('selected-list'), picked.map(i => seatLabel(m.g, i)));
        $('selected-total').textContent = picked.length
            ? picked.length + ' seat' + (picked.length > 1 ? 's' : '') + ', ' + money(priceOf(picked))
            : 'Click seats on the map, or ask for the best available.';
        $('hold').disabled = picked.length === 0;
        $('clear').disabled = picked.length === 0;
        return;
    }
    const titles = { PENDING: 'Held for you', CONFIRMED: 'Booked',
                     CANCELLED: 'Cancelled', FAILED: 'Your hold lapsed' };
    $('booked-title').textContent = titles[b.status] || b.status;
    listFill($('booked-list'), b.seats || []);
    $('booked-total').textContent = 'Booking ' + b.id + ': ' + (b.seats || []).length
        + ' seats, ' + money(b.price || 0);
    $('confirm').hidden = $('extend').hidden = b.status !== 'PENDING';
    $('cancel').hidden = !live();
    $('again').hidden = b.status === 'PENDING';
    countdownTick();
    if (b.status === 'PENDING') ticker = setInterval(countdownTick, 1000);
}

// The time left on the hold. At zero the booking is read again, at most
// every 2 s (the server's clock may be a little behind ours): once it
// reads FAILED (expired) the panel says so and the map is refetched (its
// seats are free again).
function countdownTick() {
    const b = kept && kept.booking, left = bookingSecondsLeft(b);
    const el = $('countdown');
    el.textContent = left === null ? '' : 'Expires in ' + Math.floor(left / 60) + ':'
        + String(left % 60).padStart(2, '0');
    el.classList.toggle('urgent', left !== null && left <= 30);
    if (left !== 0 || Date.now() < lapseNext) return;
    lapseNext = Date.now() + 2000;
    const map = m, mine = kept;
    bookingRead(m.showId, kept).then(() => {
        if (m !== map || kept !== mine || kept.booking.status === 'PENDING') return;
        mineSet();
        cartRender();
        m.refetch();
    }, showError);
}

// ---- actions ----------------------------------------------------------

// Hold: the picked seats, or the best available (req given). A 409
// seats_taken marks the seats refused on the map and unpicks them.
async function holdAsk(req) {
    showError(null);
    holdKey = holdKey || newKey();
    const map = m;
    try {
        kept = await bookingHold(m.showId, req, holdKey);
        holdKey = null;
    } catch (err) {
        // kept for a retry only when the hold may have been made
        if (!(err.status === 0 || err.code === 'outcome_unknown')) holdKey = null;
        if (m === map) holdRefused(err);
        return;
    }
    if (m !== map) return;
    m.selected.clear();
    const refused = Array.from(m.taken);
    m.taken.clear();
    refused.forEach(i => m.paint(i));
    mineSet();
    for (const i of m.mine) m.stateSet(i, 'h');
    say('Held ' + kept.booking.seats.join(', ') + '. Confirm before the time runs out.');
    cartRender();
}

function holdRefused(err) {
    showError(err);
    if (err.code === 'seats_taken' && Array.isArray(err.body.seats)) {
        for (const l of err.body.seats) {
            const i = m.g.byLabel.get(l);
            if (i === undefined) continue;
            m.selected.delete(i);
            m.taken.add(i);
            m.paint(i);
        }
        say('Not free any more: ' + err.body.seats.join(', ') + '. Pick other seats.');
    }
    if (err.status === 409) m.refetch();
    cartRender();
}

async function act(action) {
    showError(null);
    const map = m;
    let done = true;
    try {
        await bookingAct(m.showId, kept, action);
    } catch (err) {
        done = false;
        showError(err);
    }
    if (m !== map) return;
    const b = kept.booking;
    if (b.status === 'CONFIRMED') for (const i of m.mine) m.stateSet(i, 's');
    if (b.status === 'CANCELLED' || b.status === 'FAILED') {
        for (const i of m.mine) m.stateSet(i, 'f');
        m.refetch();
    }
    // a cancelled booking is done with: back to picking seats
    if (b.status === 'CANCELLED') { bookingForget(m.showId); kept = null; }
    mineSet();
    if (done) say('Booking ' + b.id + ' is ' + b.status.toLowerCase()
        + (b.status === 'PENDING' ? ' until ' + new Date(b.expires_at).toLocaleTimeString() : '') + '.');
    cartRender();
}

function again() {
    bookingForget(m.showId);
    kept = null;
    mineSet();
    showError(null);
    cartRender();
}

// A button's action, the button disabled while it runs; then the panel
// drawn again, which says which buttons apply now.
function run(button, fn) {
    return busy(button, fn).then(cartRender);
}

export function cartBind() {
    $('hold').addEventListener('click', e => run(e.currentTarget, () =>
        holdAsk({ seats: Array.from(m.selected).sort((a, c) => a - c).map(i => seatLabel(m.g, i)) })));
    $('clear').addEventListener('click', () => {
        const was = Array.from(m.selected);
        m.selected.clear();
        was.forEach(i => m.paint(i));
        cartRender();
    });
    $('best').addEventListener('submit', e => {
        e.preventDefault();
        const n = Number($('best-count').value), cat = $('best-category').value;
        const best = { together: $('best-together').checked };
        if (cat) best.categories = [cat];
        run($('best-go'), () => holdAsk({ seat_count: n, best_available: best }));
    });
    for (const a of ['confirm', 'extend', 'cancel'])
        $(a).addEventListener('click', e => run(e.currentTarget, () => act(a)));
    $('again').addEventListener('click', again);
}
