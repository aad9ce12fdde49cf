// The buyer's booking on this page: made with POST /book (hold: true),
// then confirmed, extended or cancelled with its token. The booking's id
// and token are kept in sessionStorage, one per show, so that a reload
// of the tab finds its hold again and a closed tab forgets it.
import { api, clockSkew } from './api.js';

const KEY = 'booking-seatmap.show.';

// The booking kept for showId: {id, token, booking} or null.
export function bookingLoad(showId) {
    try {
        const s = JSON.parse(sessionStorage.getItem(KEY + showId) || 'null');
        return s && s.id && s.token ? s : null;
    } catch (e) {
        return null;
    }
}

export function bookingSave(showId, kept) {
    try { sessionStorage.setItem(KEY + showId, JSON.stringify(kept)); } catch (e) { /* private mode: the page still works, a reload forgets */ }
}

export function bookingForget(showId) {
    try { sessionStorage.removeItem(KEY + showId); } catch (e) { /* as above */ }
}

// Hold seats: req is the body's seat part ({seats} or {seat_count,
// best_available}); key the action's Idempotency-Key. Resolves the kept
// {id, token, booking}; rejects with the ApiError (409 seats_taken
// carries the labels not free in err.body.seats).
export async function bookingHold(showId, req, key) {
    const r = await api('POST', '/book', { body: { show_id: showId, ...req, hold: true }, key });
    const kept = { id: r.body.booking.id, token: r.body.token, booking: r.body.booking };
    bookingSave(showId, kept);
    return kept;
}

// action: 'confirm', 'extend' or 'cancel'. Resolves the booking as it is
// now. A 409 that returns the booking (lapsed, cancelled, ...) updates
// the kept booking before the error is passed on.
export async function bookingAct(showId, kept, action) {
    try {
        const r = await api('POST', '/bookings/' + kept.id + '/' + action, { token: kept.token });
        kept.booking = r.body.booking;
        bookingSave(showId, kept);
        return kept.booking;
    } catch (err) {
        if (err.body && err.body.booking) {
            kept.booking = err.body.booking;
            bookingSave(showId, kept);
        }
        throw err;
    }
}

// The booking read again (after a reload): GET /bookings/{id}.
export async function bookingRead(showId, kept) {
    const r = await api('GET', '/bookings/' + kept.id, { token: kept.token });
    kept.booking = r.body.booking;
    bookingSave(showId, kept);
    return kept.booking;
}

// Whole seconds until a PENDING booking's expires_at by the server's
// clock (0 in its last second and after), or null when it is not a live
// hold.
export function bookingSecondsLeft(b) {
    if (!b || b.status !== 'PENDING' || !b.expires_at) return null;
    const ms = Date.parse(b.expires_at) - (Date.now() + clockSkew);
    return Math.max(0, Math.floor(ms / 1000));
}
