#!/usr/bin/env node
// Check recorded HTTP answers against api/openapi.json: each one's method
// and path against the document's path templates, its status against that
// operation's responses, its content type against that response's media
// types, and a JSON body against that media type's schema with ajv
// (JSON Schema 2020-12, which is what OpenAPI 3.1 schemas are).
//
// usage: node validate.js OPENAPI.json RESPONSES.jsonl
// RESPONSES.jsonl: one JSON object a line, as tests/integration/lib.sh
// req() records them: {method, path, query, status, content_type, body}.
// Prints TAP lines ("ok - ..." / "not ok - ...") and "#" comments; exits 0
// once it has reported, 2 when it cannot run at all.
'use strict';

const fs = require('fs');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const SHOW_FAILURES = 5;    // mismatches printed per check

if (process.argv.length !== 4) {
    console.error('usage: node validate.js OPENAPI.json RESPONSES.jsonl');
    process.exit(2);
}
const [docFile, logFile] = process.argv.slice(2);
const doc = JSON.parse(fs.readFileSync(docFile, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// The document is added whole, so that every "#/components/..." $ref in a
// schema resolves against it; each schema is then compiled by its JSON
// pointer. strict: false because an OpenAPI document is not a schema (its
// "openapi", "paths", ... are not keywords); redocly lint checks its shape.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const DOC_ID = 'openapi.json';
ajv.addSchema(doc, DOC_ID);

const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (...parts) => '#/' + parts.map((p) => escape(String(p))).join('/');

function at(ptr) {
    let node = doc;
    for (const raw of ptr.slice(2).split('/')) {
        node = node[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
        if (node === undefined)
            return undefined;
    }
    return node;
}

// A response object and its pointer, following a $ref to components.
function deref(ptr) {
    let node = at(ptr);
    while (node && node.$ref) {
        ptr = node.$ref;
        node = at(ptr);
    }
    return node && { node, ptr };
}

const validators = new Map();
function validator(ptr) {
    if (!validators.has(ptr))
        validators.set(ptr, ajv.compile({ $ref: DOC_ID + ptr }));
    return validators.get(ptr);
}

// ---- which documented response an answer is ---------------------------------

const templates = Object.keys(doc.paths).map((t) => ({ t, segs: t.split('/') }));

// The template whose segments match path's: literals exactly, a "{param}"
// any one non-empty segment (the document's parameter schema says which
// values the service takes; others are answered 404 by that operation).
function matchTemplate(path) {
    const segs = path.split('/');
    for (const { t, segs: ts } of templates) {
        if (ts.length === segs.length
            && ts.every((s, i) => (/^\{.+\}$/.test(s) ? segs[i] !== '' : s === segs[i])))
            return t;
    }
    return null;
}

// Where the document says what this answer may be: the operation's
// responses, or x-unrouted's for an unknown path or a method the path
// does not list. Returns {where, responses pointer} .
function responsesFor(method, path) {
    const t = matchTemplate(path);
    const m = method.toLowerCase();
    if (t === null)
        return { where: `unknown path (x-unrouted paths)`, ptr: pointer('x-unrouted', 'paths') };
    if (METHODS.includes(m) && doc.paths[t][m])
        return { where: `${method} ${t}`, ptr: pointer('paths', t, m, 'responses') };
    return { where: `${method} on ${t} (x-unrouted methods)`, ptr: pointer('x-unrouted', 'methods') };
}

function responseFor(responsesPtr, status) {
    const all = at(responsesPtr) || {};
    for (const key of [String(status), `${String(status)[0]}XX`, 'default'])
        if (key in all)
            return deref(`${responsesPtr}/${escape(key)}`);
    return null;
}

const baseType = (ct) => (ct || '').split(';')[0].trim().toLowerCase();

// ---- the checks --------------------------------------------------------------

function check(name, failures, total) {
    if (failures.length === 0) {
        console.log(`ok - ${name}`);
        return;
    }
    console.log(`not ok - ${name}: ${failures.length} of ${total} fail; the first:`);
    for (const f of failures.slice(0, SHOW_FAILURES))
        console.log(`#   ${f}`);
}

// Every schema the document gives a response compiles (no dangling $ref).
const compileFailures = [];
let schemaCount = 0;
function compileAll(responsesPtr) {
    for (const code of Object.keys(at(responsesPtr) || {})) {
        const r = deref(`${responsesPtr}/${escape(code)}`);
        for (const mt of Object.keys((r && r.node.content) || {})) {
            const ptr = `${r.ptr}/content/${escape(mt)}/schema`;
            if (!at(ptr))
                continue;
            schemaCount++;
            try {
                validator(ptr);
            } catch (e) {
                compileFailures.push(`${ptr}: ${e.message}`);
            }
        }
    }
}
for (const t of Object.keys(doc.paths))
    for (const m of METHODS)
        if (doc.paths[t][m])
            compileAll(pointer('paths', t, m, 'responses'));
compileAll(pointer('x-unrouted', 'paths'));
compileAll(pointer('x-unrouted', 'methods'));
check(`the document's ${schemaCount} response schemas compile with ajv (JSON Schema 2020-12)`,
    compileFailures, schemaCount);

const lines = fs.existsSync(logFile)
    ? fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l !== '') : [];
const records = [];
const unreadable = [];
lines.forEach((l, i) => {
    try {
        records.push(JSON.parse(l));
    } catch (e) {
        unreadable.push(`line ${i + 1}: ${e.message}`);
    }
});
check(`${records.length} responses recorded (more than 100)`,
    records.length > 100 ? unreadable : unreadable.concat(['too few']), lines.length);

const unmatched = [];
const badType = [];
const invalid = [];
const tally = new Map();
let jsonBodies = 0;
for (const r of records) {
    const what = `${r.method} ${r.path}${r.query ? '?' + r.query.slice(0, 40) : ''} ${r.status}`;
    const { where, ptr } = responsesFor(r.method, r.path);
    const resp = responseFor(ptr, r.status);
    tally.set(`${where} ${r.status}`, (tally.get(`${where} ${r.status}`) || 0) + 1);
    if (!resp) {
        unmatched.push(`${what}: ${where} documents no ${r.status} (has ${Object.keys(at(ptr) || {}).join(' ') || 'nothing'})`);
        continue;
    }
    const content = resp.node.content || {};
    const media = Object.keys(content);
    if (r.method === 'HEAD' || media.length === 0) {
        // no body is documented: none may come
        if (r.body !== '' && r.method !== 'HEAD')
            badType.push(`${what}: ${where} documents no body, got ${JSON.stringify(r.body.slice(0, 80))}`);
        continue;
    }
    const mt = media.find((m) => baseType(m) === baseType(r.content_type));
    if (mt === undefined) {
        badType.push(`${what}: content type "${r.content_type}", documented: ${media.join(', ')}`);
        continue;
    }
    if (baseType(mt) !== 'application/json' || !content[mt].schema)
        continue;
    jsonBodies++;
    let body;
    try {
        body = JSON.parse(r.body);
    } catch (e) {
        invalid.push(`${what}: body is not JSON (${e.message}): ${JSON.stringify(r.body.slice(0, 80))}`);
        continue;
    }
    const validate = validator(`${resp.ptr}/content/${escape(mt)}/schema`);
    if (!validate(body)) {
        const errs = validate.errors.slice(0, 3).map((e) =>
            `${e.instancePath || '/'} ${e.message}${e.params && e.params.allowedValues ? ' ' + JSON.stringify(e.params.allowedValues) : ''}${e.params && e.params.additionalProperty ? ' (' + e.params.additionalProperty + ')' : ''}`);
        invalid.push(`${what}: ${errs.join('; ')}; body ${JSON.stringify(r.body.slice(0, 160))}`);
    }
}

check('every recorded response matches a documented route and status', unmatched, records.length);
check('every recorded response has a documented content type', badType, records.length);
check(`every JSON body validates against its schema (${jsonBodies} bodies)`, invalid, jsonBodies);

console.log(`# answers by documented response (count, where, status):`);
for (const [k, n] of [...tally.entries()].sort())
    console.log(`#   ${String(n).padStart(5)} ${k}`);
