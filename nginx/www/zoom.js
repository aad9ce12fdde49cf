// Zooming the seat map: at 1 the map is as wide as its scrolling box (no
// seat wider than 44 px), and a hall taller than wide scrolls down, as a
// page does; each step doubles it, up to seats about 48 px wide, and
// the box scrolls both ways. A phone's own pinch zoom works as well.
import { $ } from './ui.js';

let zoom = 1;
let viewOf = () => null;

function fitWidth(v) {
    const box = $('map-scroll');
    return Math.max(50, Math.min(box.clientWidth - 2, v.maxWidth));
}

function maxZoom(v) {
    const seatPx = fitWidth(v) / v.svg.viewBox.baseVal.width;
    return Math.max(1, 2 ** Math.ceil(Math.log2(48 / seatPx)));
}

function zoomApply() {
    const v = viewOf();
    if (!v) return;
    v.svg.style.width = Math.round(fitWidth(v) * zoom) + 'px';
    $('zoom-in').disabled = zoom >= maxZoom(v);
    $('zoom-out').disabled = zoom <= 1;
    $('zoom-level').textContent = zoom + '×';
}

export function zoomReset() {
    zoom = 1;
    zoomApply();
}

// Zoom about the keyboard's seat: it stays in view.
function zoomBy(f) {
    const v = viewOf();
    if (!v) return;
    zoom = Math.min(maxZoom(v), Math.max(1, zoom * f));
    zoomApply();
    if (v.cursor < 0) return;
    const c = v.mode === 'seats' ? v.rects[v.cursor] : v.cursorRect;
    c.scrollIntoView({ block: 'nearest', inline: 'center' });
}

export function zoomBind(getView) {
    viewOf = getView;
    $('zoom-in').addEventListener('click', () => zoomBy(2));
    $('zoom-out').addEventListener('click', () => zoomBy(0.5));
    $('zoom-fit').addEventListener('click', zoomReset);
    window.addEventListener('resize', zoomApply);
}
