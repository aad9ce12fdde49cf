// Live seat states: the nchan EventSource at /events/shows/{id}, or, where
// EventSource is missing or the server has no events route, a poll of
// the map with its ETag every few seconds. Either way the caller gets
// changes (onChanges) and requests to refetch the map (onResync).
import { apiBase } from './api.js';

const POLL_MS = 3000;
// A resync that every open page gets at once (booking-events reconnected
// to the database, nginx restarted) is spread over this long, so that
// the pages do not all fetch the map in the same instant.
const RESYNC_SPREAD_MS = 2000;

// liveStart(showId, h): h.onChanges(msg) for {show, f, h, s, b};
// h.onResync(why) when the map must be refetched (the first connection
// and every reconnection, since messages may have been missed; a
// "resync" message; each poll); h.onMode(mode) with 'events', 'polling'
// or 'reconnecting'. ?live=poll in the page's URL forces polling.
// Returns the subscription, for liveStop.
export function liveStart(showId, h) {
    const sub = { showId, h, es: null, timer: 0, mode: '', opened: false,
                  spread: 0 };
    const forcePoll = new URLSearchParams(location.search).get('live') === 'poll';
    if (window.EventSource && !forcePoll) eventsStart(sub); else pollStart(sub);
    return sub;
}

export function liveStop(sub) {
    if (!sub) return;
    if (sub.es) sub.es.close();
    clearInterval(sub.timer);
    clearTimeout(sub.spread);
    sub.es = null;
    sub.timer = 0;
}

// A resync for every page at once: after a random pause, and one for
// several that come during it. Changes that arrive meanwhile are applied
// as they come, and those during the refetch again over it.
function resyncSpread(sub, why) {
    if (sub.spread) return;
    sub.spread = setTimeout(() => {
        sub.spread = 0;
        sub.h.onResync(why);
    }, Math.random() * RESYNC_SPREAD_MS);
}

function modeSet(sub, mode) {
    sub.mode = mode;
    sub.h.onMode(mode);
}

function eventsStart(sub) {
    const es = new EventSource(apiBase + '/events/shows/' + sub.showId);
    sub.es = es;
    // the first connection fetches the map at once; a reconnection (every
    // page's, when nginx restarts) after a random pause
    es.onopen = () => {
        modeSet(sub, 'events');
        if (sub.opened) resyncSpread(sub, 'open');
        else sub.h.onResync('open');
        sub.opened = true;
    };
    es.onmessage = ev => messageHandle(sub, ev.data);
    es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) {
            // not an event stream (no events route here): poll instead
            sub.es = null;
            pollStart(sub);
        } else {
            modeSet(sub, 'reconnecting');
        }
    };
}

// One message's data: changes for this show, or a resync (for this show,
// or for all, on channel "all"). Anything else is ignored.
function messageHandle(sub, data) {
    let msg;
    try { msg = JSON.parse(data); } catch (e) { return; }
    if (!msg || typeof msg !== 'object') return;
    if (msg.show !== undefined && msg.show !== sub.showId) return;
    if (msg.resync) resyncSpread(sub, 'message');
    else if (msg.show === sub.showId) sub.h.onChanges(msg);
}

function pollStart(sub) {
    modeSet(sub, 'polling');
    sub.h.onResync('poll');
    sub.timer = setInterval(() => {
        if (!document.hidden) sub.h.onResync('poll');
    }, POLL_MS);
}
