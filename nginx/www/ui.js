// Small helpers the page's modules share: finding elements, telling the
// buyer what happened (a polite status line, read by screen readers, and
// an alert for errors), and prices.

export const $ = id => document.getElementById(id);

// A status line: what just happened, announced without stealing focus.
export function say(text) {
    $('status').textContent = text;
}

// An error, from the API's JSON where there is one: its message, its code
// and the field at fault, so that the buyer can see what to change.
export function showError(err) {
    const box = $('error');
    box.replaceChildren();
    if (!err) { box.hidden = true; return; }
    const msg = document.createElement('strong');
    msg.textContent = err.message || String(err);
    box.appendChild(msg);
    // 409 seats_taken names the seats that were not free
    if (err.body && Array.isArray(err.body.seats))
        box.append(': ' + err.body.seats.join(', '));
    const code = err.code ? err.code + (err.field ? ', field ' + err.field : '') : '';
    if (code) {
        const c = document.createElement('code');
        c.textContent = code;
        box.append(' ', c);
    }
    box.hidden = false;
}

// Prices are in minor units (cents); the API names no currency.
export function money(minor) {
    return (minor / 100).toFixed(2);
}

// A button's busy state while its request runs, so that a second tap does
// not send it twice.
export async function busy(button, fn) {
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try { return await fn(); } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
    }
}
