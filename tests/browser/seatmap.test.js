// The seat map page (nginx/www, served at /seatmap/) in headless Chromium
// against the running stack, as buyers use it: one holds two seats by
// clicking and confirms them, a second page already open sees them turn
// sold without reloading, a third asks for the best available 4 and gets
// 4 seats side by side; the keyboard picks seats, a refused seat is
// marked, a hold survives a reload and lapses on screen. Prints TAP lines
// (tests/integration/t1930-browser.sh runs it).
//
// Environment: BASE_URL; SHOW_ID, t1930's hall of 156 seats, all free;
// POS_FILE, its seats' places in their rows as the database counts them;
// GA_SHOW_ID, a show sold by count; BIG_SHOW_ID, t1930's 50 000-seat
// hall; CHROMIUM, the browser; SHOTS, the paths to save the screenshot
// to (space separated); EXPECT_EVENTS=1: browser 2's update must come by
// EventSource (else it polls); HOLD_TTL_SECONDS, how long a hold lasts.
'use strict';
const { chromium } = require('playwright-core');

const BASE = process.env.BASE_URL;
const SHOW = Number(process.env.SHOW_ID);
const EXPECT_EVENTS = process.env.EXPECT_EVENTS === '1';
const TTL = Number(process.env.HOLD_TTL_SECONDS || 120);
const WAIT = 15000;     // the longest any one step may take, in ms

let failures = 0;
function check(name, ok, detail) {
    console.log((ok ? 'ok - ' : 'not ok - ') + name);
    if (!ok) {
        failures++;
        if (detail !== undefined) console.log('#   ' + String(detail).split('\n').join('\n#   '));
    }
}

// A page of the seat map for SHOW in a context of its own (its own
// sessionStorage: another buyer), ready when the page says so.
async function buyer(browser, query = '') {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 },
                                           locale: 'en-GB', timezoneId: 'UTC' });
    const page = await ctx.newPage();
    page.errors = [];
    page.on('pageerror', e => page.errors.push(e.message));
    // a console error is a refused script or style (the site's CSP), a
    // failed request, or the page's own complaint
    page.on('console', m => { if (m.type() === 'error') page.errors.push('console: ' + m.text()); });
    await page.goto(`${BASE}/seatmap/?show=${SHOW}${query}`);
    await page.waitForFunction(() => window.seatmap && window.seatmap.ready, null, { timeout: WAIT });
    return page;
}

const seat = (page, label) => page.locator(`rect.seat[data-label="${label}"]`);
const looks = (page, label) => seat(page, label).getAttribute('class');

// Wait until every seat of labels has look cls (e.g. 's-s'); true if so.
async function waitLook(page, labels, cls, ms = WAIT) {
    try {
        await page.waitForFunction(([ls, c]) => ls.every(l => {
            const r = document.querySelector(`rect.seat[data-label="${l}"]`);
            return r && r.classList.contains(c);
        }), [labels, cls], { timeout: ms });
        return true;
    } catch (e) {
        return false;
    }
}

async function api(path, token) {
    const r = await fetch(BASE + path, { headers: token ? { Authorization: 'Bearer ' + token } : {} });
    return { status: r.status, body: await r.json() };
}

async function bookViaApi(labels, hold = false) {
    const r = await fetch(BASE + '/book', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                            body: JSON.stringify({ show_id: SHOW, seats: labels, hold }) });
    return r.status;
}

// The booking this page keeps in sessionStorage: {id, token, booking}.
const keptOf = page => page.evaluate(s => JSON.parse(sessionStorage.getItem('booking-seatmap.show.' + s)), SHOW);

// Every seat drawn at its row's x plus its place in the row as the
// database counts it (POS_FILE: [[seat, pos], ...] from seats.pos), at
// its row's y: the map is to scale, aisles and all.
async function toScale(page) {
    const pos = JSON.parse(require('fs').readFileSync(process.env.POS_FILE, 'utf8'));
    const layout = (await api('/shows/' + SHOW + '/seats')).body.layout;
    const rows = layout.sections.flatMap(s => s.rows);
    const want = pos.map(([seat, p]) => {
        const r = rows.filter(r => r.first <= seat).pop();
        return [r.x + p, r.y];
    });
    const drawn = await page.evaluate(() => Array.from(document.querySelectorAll('rect.seat'),
        r => [+r.getAttribute('data-i'), +r.getAttribute('x') + 0.4, +r.getAttribute('y') + 0.4]));
    const wrong = drawn.filter(([i, x, y]) => !want[i] || Math.abs(x - want[i][0]) > 1e-6
                                              || Math.abs(y - want[i][1]) > 1e-6);
    check(`every seat (${drawn.length}) drawn where the database places it`,
          drawn.length === layout.seat_count && wrong.length === 0,
          JSON.stringify(wrong.slice(0, 3).map(([i, x, y]) => ({ i, x, y, want: want[i] }))));
}

// The keyboard: arrows move between seats, Space picks and unpicks.
async function keyboard(page) {
    await seat(page, 'Stalls-B-1').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const at = await page.evaluate(() => document.activeElement.getAttribute('data-label'));
    check('keyboard: right then down from Stalls-B-1 is Stalls-C-2', at === 'Stalls-C-2', at);
    await page.keyboard.press(' ');
    const picked = await waitLook(page, ['Stalls-C-2'], 'sel');
    await page.keyboard.press('Enter');
    const unpicked = await waitLook(page, ['Stalls-C-2'], 's-f');
    check('keyboard: Space picks it, Enter unpicks it', picked && unpicked,
          await looks(page, 'Stalls-C-2'));
}

// Browser 1 holds two seats by clicking, extends and confirms; browser 2,
// open all along, sees them turn sold without reloading: by EventSource
// with EXPECT_EVENTS=1, else by polling (where nchan is served but no
// booking-events publishes, an EventSource would hear nothing).
async function twoSeatsSold(browser) {
    const watcher = await buyer(browser, EXPECT_EVENTS ? '' : '&live=poll');
    await watcher.evaluate(() => { window.notReloaded = true; });
    const p1 = await buyer(browser);
    await toScale(p1);
    await keyboard(p1);
    const seats = ['Stalls-A-5', 'Stalls-A-6'];
    for (const l of seats) await seat(p1, l).click();
    check('browser 1: the two seats clicked are picked, 2 x 65.00',
          await waitLook(p1, seats, 'sel')
          && (await p1.textContent('#selected-total')) === '2 seats, 130.00',
          await p1.textContent('#selected-total'));
    const before = await watcher.evaluate(() => window.seatmap.applied);
    await p1.click('#hold');
    await p1.waitForSelector('#booked:not([hidden])', { timeout: WAIT });
    const title = await p1.textContent('#booked-title'), count = await p1.textContent('#countdown');
    check('browser 1: held, with a countdown to expires_at',
          title === 'Held for you' && /^Expires in \d+:\d\d$/.test(count), title + ' ' + count);
    const kept = await keptOf(p1);
    check('browser 1: its booking id and bk_ token kept in sessionStorage',
          kept && kept.id > 0 && /^bk_/.test(kept.token), JSON.stringify(kept));
    await p1.click('#extend');
    await p1.waitForFunction(([s, was]) => {
        const k = JSON.parse(sessionStorage.getItem('booking-seatmap.show.' + s));
        return Date.parse(k.booking.expires_at) > Date.parse(was);
    }, [SHOW, kept.booking.expires_at], { timeout: WAIT }).then(
        () => check('browser 1: extend moves expires_at later', true),
        e => check('browser 1: extend moves expires_at later', false, e.message));
    await p1.click('#confirm');
    await p1.waitForFunction(() => document.getElementById('booked-title').textContent === 'Booked',
                             null, { timeout: WAIT }).catch(() => {});
    const b = await api('/bookings/' + kept.id, kept.token);
    check('browser 1: confirmed, and the API says CONFIRMED with those seats',
          b.body.booking && b.body.booking.status === 'CONFIRMED'
          && b.body.booking.seats.join() === seats.join(), JSON.stringify(b.body));
    const sold = await waitLook(watcher, seats, 's-s');
    check('browser 2: sees the two seats turn sold, without reloading',
          sold && await watcher.evaluate(() => window.notReloaded === true),
          await Promise.all(seats.map(l => looks(watcher, l))));
    const st = await watcher.evaluate(() => window.seatmap);
    console.log(`# browser 2 live: mode ${st.mode}, ${st.applied - before} messages applied, `
                + `${st.fetches} refetches (${st.notModified} 304)`);
    if (EXPECT_EVENTS)
        check('browser 2: by EventSource: mode events, live messages applied',
              st.mode === 'events' && st.applied > before, JSON.stringify(st));
    return [watcher, p1];
}

// Browser 3: the best available 4, together: one row, consecutive
// numbers, no aisle between them (by the API's booking and layout). Its
// screenshot, held, goes to each of shots; someone else holds two seats
// first, so that the picture has each look.
async function bestFour(browser, shots) {
    check('someone else holds Circle-B-9 and B-10 through the API',
          await bookViaApi(['Circle-B-9', 'Circle-B-10'], true) === 201);
    const p3 = await buyer(browser);
    await p3.fill('#best-count', '4');
    check('browser 3: together is ticked by default', await p3.isChecked('#best-together'));
    await p3.click('#best-go');
    await p3.waitForSelector('#booked:not([hidden])', { timeout: WAIT });
    const kept = await keptOf(p3);
    const b = (await api('/bookings/' + kept.id, kept.token)).body.booking || {};
    const labels = b.seats || [];
    const map = (await api('/shows/' + SHOW + '/seats')).body.layout;
    const parts = labels.map(l => l.split('-'));
    const row = parts.length && map.sections.find(s => s.name === parts[0][0])
        .rows.find(r => r.name === parts[0][1]);
    const nums = parts.map(p => Number(p[2]));
    const together = parts.length === 4 && row
        && parts.every(p => p[0] === parts[0][0] && p[1] === parts[0][1])
        && nums.every((n, k) => k === 0 || n === nums[k - 1] + 1)
        && !nums.slice(0, 3).some(n => (row.gaps_after || []).includes(n));
    check('browser 3: best available of 4 holds 4 seats beside each other in one row',
          together, labels.join(', '));
    check('browser 3: drawn as its own', labels.length === 4 && await waitLook(p3, labels, 'mine'),
          (await Promise.all(labels.map(l => looks(p3, l)))).join(' / '));
    for (const path of shots) await p3.screenshot({ path, fullPage: true });
    await p3.click('#confirm');
    const title = await p3.waitForFunction(() =>
        document.getElementById('booked-title').textContent === 'Booked',
        null, { timeout: WAIT }).then(() => 'Booked', () => p3.textContent('#booked-title'));
    check('browser 3: confirmed', title === 'Booked', title);
    return p3;
}

// Browser 4, polling (?live=poll) with its refetches cut off, so that it
// cannot know: a seat it picked is booked by someone else, its hold is
// refused 409 seats_taken, and the seat is marked. Then a hold of its
// own survives a reload, and lapses on screen (when holds are short).
async function refusedAndLapsed(browser) {
    const p4 = await buyer(browser, '&live=poll');
    check('browser 4: ?live=poll polls', await p4.evaluate(() => window.seatmap.mode) === 'polling');
    const l = 'Stalls-F-1';
    await seat(p4, l).click();
    await p4.route(/\/shows\/\d+\/seats/, r => r.abort());
    check('someone else books ' + l + ' through the API', await bookViaApi([l]) === 201);
    await p4.click('#hold');
    await p4.waitForSelector('#error:not([hidden])', { timeout: WAIT });
    const err = await p4.textContent('#error');
    check('browser 4: the 409 is shown with its code and the seat, and the seat marked',
          /seats_taken/.test(err) && err.includes(l) && await waitLook(p4, [l], 'taken'),
          err + ' / ' + await looks(p4, l));
    await p4.unroute(/\/shows\/\d+\/seats/);

    const mine = 'Stalls-F-10';
    await seat(p4, mine).click();
    await p4.click('#hold');
    await p4.waitForSelector('#booked:not([hidden])', { timeout: WAIT });
    const id = (await keptOf(p4)).id;
    await p4.reload();
    await p4.waitForFunction(() => window.seatmap && window.seatmap.ready, null, { timeout: WAIT });
    const kept = await keptOf(p4);
    check('browser 4: a reload keeps the hold (sessionStorage)',
          kept && kept.id === id && await waitLook(p4, [mine], 'mine', 2000)
          && /^(Held for you|Your hold lapsed)$/.test(await p4.textContent('#booked-title')),
          JSON.stringify(kept));
    if (TTL > 10) return;
    const lapsed = await p4.waitForFunction(() =>
        document.getElementById('booked-title').textContent === 'Your hold lapsed',
        null, { timeout: (TTL + 5) * 1000 }).then(() => true, () => false);
    check('browser 4: the hold lapses on screen, its seat free again',
          lapsed && await waitLook(p4, [mine], 's-f'), await looks(p4, mine));
}

// A show sold by count has no map: the page says so.
async function generalAdmission(browser) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${BASE}/seatmap/?show=${process.env.GA_SHOW_ID}`);
    const said = await page.waitForFunction(() => /sold by count/.test(
        document.getElementById('show-note').textContent), null, { timeout: WAIT }).then(() => true, () => false);
    check('a general admission show: the page says it is sold by count', said,
          await page.textContent('#show-note'));
}

// A 50 000-seat hall: drawn by rows (a few thousand elements, not 50 000)
// within seconds, and a click on a seat picks it.
async function stadium(browser) {
    if (!(Number(process.env.BIG_SHOW_ID) > 0)) {
        check('a 50 000-seat hall to open', false, 'BIG_SHOW_ID=' + process.env.BIG_SHOW_ID);
        return;
    }
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(`${BASE}/seatmap/?show=${process.env.BIG_SHOW_ID}`);
    await page.waitForFunction(() => window.seatmap && window.seatmap.ready, null, { timeout: 30000 });
    const ms = Date.now() - t0;
    const n = await page.evaluate(() => document.querySelectorAll('#map *').length);
    check(`a 50 000-seat hall drawn in ${ms} ms with ${n} SVG elements (under 10 s, 5 000)`,
          ms < 10000 && n < 5000);
    // the middle of row 3's seat 24, found from its drawn place (x 23:
    // its 24th place, before the aisle; y 2: the third row)
    const p = await page.evaluate(() => {
        const pt = new DOMPoint(23, 2).matrixTransform(document.getElementById('map').getScreenCTM());
        return { x: pt.x, y: pt.y };
    });
    await page.mouse.click(p.x, p.y);
    const list = await page.textContent('#selected-list');
    check('a 50 000-seat hall: a click on a seat picks it', list === 'Bowl-3-24', list);
    const width = () => page.evaluate(() => document.getElementById('map').getBoundingClientRect().width);
    const w1 = await width();
    await page.click('#zoom-in');
    const w2 = await width();
    check('a 50 000-seat hall: zoom in doubles the map', Math.abs(w2 - 2 * w1) < 2, w1 + ' -> ' + w2);
}

async function main() {
    const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
        headless: true,
        // root (CI) cannot have Chromium's sandbox
        args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
        timeout: 30000,
    });
    const pages = [];
    try {
        pages.push(...await twoSeatsSold(browser));
        pages.push(await bestFour(browser, (process.env.SHOTS || '').split(' ').filter(Boolean)));
        await refusedAndLapsed(browser);
        await generalAdmission(browser);
        await stadium(browser);
        const errors = pages.flatMap(p => p.errors);
        check('no script or console error on the pages of browsers 1 to 3', errors.length === 0,
              errors.join('\n'));
    } finally {
        await browser.close();
    }
}

// Nothing may hang the suite: the whole run is bounded too.
const guard = setTimeout(() => { console.log('not ok - browser test timed out after 150 s'); process.exit(1); }, 150000);
main().then(() => { clearTimeout(guard); process.exit(failures ? 1 : 0); },
            e => { console.log('not ok - browser test: ' + e.message.split('\n')[0]);
                   console.log('#   ' + (e.stack || '').split('\n').slice(0, 8).join('\n#   '));
                   process.exit(1); });
