// The booking API as the seat map page calls it: one fetch wrapper that
// turns every answer into {status, body, etag} and every failure into an
// ApiError carrying the service's JSON error (error, message, field).

// The API's origin: the page's own, unless index.html names another in
// <meta name="booking-api"> (a box office serving this page from its
// own site; nginx allows the origins in CORS_ORIGINS).
const meta = document.querySelector('meta[name="booking-api"]');
export const apiBase = (meta && meta.content ? meta.content : '').replace(/\/+$/, '');

// Milliseconds to add to Date.now() to read the server's clock, from the
// last answer's Date header: a countdown to expires_at then does not
// depend on the phone's clock being right.
export let clockSkew = 0;

export class ApiError extends Error {
    // status: HTTP status, 0 when the service could not be reached;
    // body: the parsed JSON error ({error, message, field, ...}) or {}.
    constructor(status, body, fallback) {
        super((body && body.message) || fallback);
        this.status = status;
        this.body = body || {};
        this.code = this.body.error || (status ? 'http_' + status : 'network');
        this.field = this.body.field;
    }
}

// api(method, path, opts): opts.body (an object, sent as JSON), opts.token
// (a booking's bk_... token), opts.etag (sent as If-None-Match),
// opts.key (an Idempotency-Key). Resolves {status, body, etag} for 2xx
// and 304 (link: the Link header, for pages); rejects with ApiError for
// anything else, network included.
export async function api(method, path, opts = {}) {
    const headers = {};
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.token) headers['Authorization'] = 'Bearer ' + opts.token;
    if (opts.etag) headers['If-None-Match'] = opts.etag;
    if (opts.key) headers['Idempotency-Key'] = opts.key;
    let res;
    try {
        res = await fetch(apiBase + path, {
            method, headers, cache: 'no-store',
            body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        });
    } catch (e) {
        throw new ApiError(0, null, 'cannot reach the booking service: ' + e.message);
    }
    // Date is whole seconds: the server's clock is half a second on, on average
    const date = Date.parse(res.headers.get('Date') || '');
    if (!Number.isNaN(date)) clockSkew = date + 500 - Date.now();
    let body = null;
    if (res.status !== 304 && res.status !== 204) {
        const text = await res.text();
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    }
    if (res.ok || res.status === 304)
        return { status: res.status, body, etag: res.headers.get('ETag'),
                 link: res.headers.get('Link') };
    throw new ApiError(res.status, body && typeof body === 'object' ? body : null,
                       'the service answered ' + res.status);
}

// A fresh Idempotency-Key for one user action (kept by the caller for
// its retries, so that a hold made but not answered is not made twice).
export function newKey() {
    if (crypto.randomUUID) return 'seatmap-' + crypto.randomUUID();
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return 'seatmap-' + Array.from(a, b => b.toString(16).padStart(2, '0')).join('');
}
