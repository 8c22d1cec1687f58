// The C xenstored trace importer on the real 4.17.7 trace, its 4.18/4.19 shapes, guest
// connections, and malformed input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImportError, importTrace } from '../../../src/emulator/import/index';
import { parseCTrace } from '../../../src/emulator/import/ctrace';
import { restorePayload } from '../../../src/emulator/import/payload';
import { xenstoreLs } from '../../../src/emulator/inspect/xenstore_ls';
import { makeNode, type XsNode } from '../../../src/emulator/xenstore/state';
import { parsePermList } from '../../../src/emulator/xenstore/perms';
import { XS_READ, XS_SET_PERMS, XS_TRANSACTION_START, XS_WATCH, XS_WRITE } from '../../../src/emulator/xenstore/wire';
import { C_TRACE, expectedDomain1, fixture, lineOf, lsBefore, requestEvent } from './fixtures';

const text = fixture(C_TRACE);

test('every line kind of the real C trace is understood or deliberately skipped', () => {
  const t = parseCTrace(text, 'c.trace');
  assert.deepEqual(t.counts, {
    '***': 1, blank: 1, 'CREATE connection': 15, 'DESTROY connection': 14, check_store: 2, wrl: 953, IN: 307, OUT: 308,
    'DESTROY transaction': 24, 'CREATE watch': 1, 'DESTROY watch': 1, 'CONN ignored': 1,
  });
  assert.equal(Object.values(t.counts).reduce((a, b) => a + b, 0), text.split('\n').length - 1);
  assert.equal(t.variant, 'C xenstored 4.17 trace');
  assert.deepEqual(t.notes, []);
  const kinds = new Map<string, number>();
  for (const o of t.ops) kinds.set(o.op, (kinds.get(o.op) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(kinds), { open: 15, close: 14, req: 307, out: 308, ignore: 1 });
});

test('replaying the C trace through the model: no reply disagrees, transactions inferred', () => {
  const res = importTrace(text, { file: 'c.trace' });
  assert.deepEqual(res.warnings.filter((w) => w.kind === 'mismatch'), []);
  assert.equal(res.stats.requests, 307);
  assert.equal(res.stats.checked, 321); // 308 OUT lines + 13 connections closed with nothing pending
  // the only warning: the xenstore-ls connection xenstored ignored before sending its last reply
  assert.deepEqual(res.warnings.map((w) => [w.line, w.kind]), [[lineOf(text, /^CONN /), 'lossy']]);
  assert.ok(res.stats.inferred > 100 && res.stats.backtracks > 0, JSON.stringify(res.stats));
});

test('at the xenstore-ls -p /local/domain/1 call, the imported store is the tree that call printed', () => {
  const res = importTrace(text, { file: 'c.trace' });
  const call = lineOf(text, /IN \S+ .* DIRECTORY \(\/local\/domain\/1 \)$/);
  const ls = lsBefore(res, call, '/local/domain/1');
  assert.equal(ls, expectedDomain1('c'));
  // and the same text rebuilt from the replies the real daemon gave that client
  assert.equal(ls, printedByTrace(text, call));
});

/** xenstore-ls -p output rebuilt from the DIRECTORY/READ/GET_PERMS replies of the client at `line`. */
function printedByTrace(t: string, line: number): string {
  const lines = t.split('\n');
  const conn = lines[line - 1].split(' ')[1];
  const nodes = new Map<string, XsNode>();
  let pending: { type: string; path: string } | null = null;
  const node = (p: string): XsNode => nodes.get(p) ?? makeNode('', [{ id: 0, p: 0 }], [], 0);
  for (let i = line - 1; i < lines.length && !lines[i].startsWith(`DESTROY connection ${conn}`); i++) {
    const m = /^(IN|OUT) (\S+) \S+ \S+ (\S+) \((.*)\)$/.exec(lines[i]);
    if (m === null || m[2] !== conn) continue;
    if (m[1] === 'IN') { pending = { type: m[3], path: m[4].trimEnd() }; continue; }
    const n = node(pending!.path);
    if (m[3] === 'DIRECTORY') nodes.set(pending!.path, makeNode(n.v, n.perms, m[4].split(' ').filter((x) => x !== ''), 0));
    else if (m[3] === 'READ') nodes.set(pending!.path, makeNode(m[4], n.perms, n.ch, 0));
    else if (m[3] === 'GET_PERMS') nodes.set(pending!.path, makeNode(n.v, parsePermList(m[4]), n.ch, 0));
  }
  return xenstoreLs(nodes, '/local/domain/1')!;
}

test('a request inside an open transaction: the reply decides whether it was in it (tx 7: read outside, tx 13: write outside)', () => {
  const res = importTrace(text, { file: 'c.trace' });
  /** the first `n` IN lines after line `from` */
  const reqs = (from: number, n: number): number[] => {
    const out: number[] = [];
    for (let at = from; out.length < n;) out.push(at = lineOf(text, /^IN 0x/, at));
    return out;
  };
  // tx 7: READ a, WRITE b, READ (b: inside), READ (a: test-xenstore's XBT_NULL read, outside)
  const seven = reqs(lineOf(text, /TRANSACTION_START \(7 \)/), 4);
  assert.deepEqual(seven.map((l) => requestEvent(res, l).e.ty), [XS_READ, XS_WRITE, XS_READ, XS_READ]);
  assert.deepEqual(seven.map((l) => requestEvent(res, l).e.tid), [7, 7, 7, 0]);
  // tx 13: READ, WRITE b outside (the conflict test-xenstore provokes), READ a, WRITE c, READ c, END -> EAGAIN
  const thirteen = reqs(lineOf(text, /TRANSACTION_START \(13 \)/), 6);
  assert.deepEqual(thirteen.map((l) => requestEvent(res, l).e.tid), [13, 0, 13, 13, 13, 13]);
});

test('restorePayload: NULs come back where the request type has them, spaces elsewhere stay', () => {
  assert.equal(restorePayload(XS_WRITE, '/local/domain/1/name guest one'), '/local/domain/1/name\0guest one');
  assert.equal(restorePayload(XS_WRITE, 'xenstore-test/1 '), 'xenstore-test/1\0');
  assert.equal(restorePayload(XS_READ, '/a/b '), '/a/b\0');
  assert.equal(restorePayload(XS_READ, '/a/b'), '/a/b'); // a READ without its NUL stays malformed
  assert.equal(restorePayload(XS_SET_PERMS, '/local/domain/1 n1 r0 '), '/local/domain/1\0n1\0r0\0');
  assert.equal(restorePayload(XS_WATCH, '/a tok en '), '/a\0tok en\0');
  assert.equal(restorePayload(XS_TRANSACTION_START, ' '), '\0');
});

/** The fixture rewritten as a 4.18 trace ("io: " and "obj: " prefixes). */
function as418(t: string): string {
  return t.split('\n').map((l) => (/^(IN|OUT) /.test(l) ? `io: ${l}` : /^(CREATE|DESTROY) /.test(l) ? `obj: ${l}` : l)).join('\n');
}

/** ... and as >= 4.19: "(d0)" after the pointer, long replies split into OUT(START)/OUT(END). */
function as419(t: string): string {
  return as418(t).split('\n').flatMap((l) => {
    const m = /^io: (IN|OUT) (\S+) (.*)$/.exec(l);
    if (m === null) return [l];
    const line = `io: ${m[1]} ${m[2]} (d0) ${m[3]}`;
    return m[1] === 'OUT' && l.length > 1000 ? [line.replace('io: OUT', 'io: OUT(START)'), line.replace('io: OUT', 'io: OUT(END)')] : [line];
  }).join('\n');
}

test('the 4.18 (io:/obj:) and 4.19 ((dN), OUT(START)/OUT(END)) shapes import to the same store', () => {
  const base = importTrace(text, { file: 'c.trace' });
  for (const [shape, t, variant] of [['4.18', as418(text), /4\.18/], ['4.19', as419(text), />= 4\.19/]] as const) {
    const res = importTrace(t, { file: `${shape}.trace` });
    assert.match(res.trace.variant, variant);
    assert.equal(res.stats.mismatches, 0, shape);
    assert.equal(res.events.length, base.events.length, shape);
    assert.deepEqual(res.events.map((e) => e.k), base.events.map((e) => e.k), shape);
  }
  const t419 = parseCTrace(as419(text), '4.19.trace');
  assert.equal(t419.counts['OUT(START)'], t419.counts['OUT(END)']);
  assert.ok((t419.counts['OUT(END)'] ?? 0) > 0);
});

const T = '20261121 22:00:00';

test('(dN) on a 4.19 line makes an unprivileged guest connection of domain N', () => {
  const t = [
    'obj: CREATE connection 0x10',
    `io: IN 0x10 (d0) ${T} WRITE (/local/domain/1/data x)`,
    `io: OUT 0x10 (d0) ${T} WRITE (OK )`,
    'obj: CREATE connection 0x20',
    `io: IN 0x20 (d1) ${T} READ (data )`,
    `io: OUT 0x20 (d1) ${T} ERROR (EACCES )`,
    `io: IN 0x10 (d0) ${T} SET_PERMS (/local/domain/1/data n1 )`,
    `io: OUT 0x10 (d0) ${T} SET_PERMS (OK )`,
    `io: IN 0x20 (d1) ${T} READ (data )`,
    `io: OUT 0x20 (d1) ${T} READ (x)`,
    `io: IN 0x20 (d1) ${T} WRITE (data/y 2)`,
    `io: OUT 0x20 (d1) ${T} WRITE (OK )`,
    `io: IN 0x20 (d1) ${T} GET_PERMS (/local/domain/1/data/y )`,
    `io: OUT 0x20 (d1) ${T} GET_PERMS (n1 )`,
    '',
  ].join('\n');
  const res = importTrace(t, { file: 'guest.trace' });
  assert.deepEqual(res.warnings, []);
  const ring = res.events.find((e) => e.k === 'xs.conn.open' && e.dom === 1);
  assert.deepEqual(ring !== undefined && ring.k === 'xs.conn.open' ? [ring.kind, ring.dom] : null, ['ring', 1]);
});

test('a connection created while an INTRODUCE runs (4.17) is that domain\'s, and @introduceDomain fires', () => {
  const t = [
    'CREATE connection 0x30',
    `IN 0x30 ${T} WATCH (@introduceDomain tok )`,
    'CREATE watch 0x31',
    `OUT 0x30 ${T} WATCH (OK )`,
    `OUT 0x30 ${T} WATCH_EVENT (@introduceDomain tok )`,
    'CREATE connection 0x10',
    `IN 0x10 ${T} INTRODUCE (5 1234 7 )`,
    'CREATE connection 0x20',
    `OUT 0x30 ${T} WATCH_EVENT (@introduceDomain tok )`,
    `OUT 0x10 ${T} INTRODUCE (OK )`,
    `IN 0x20 ${T} WRITE (data/x 1)`,
    `OUT 0x20 ${T} ERROR (EACCES )`,
    `IN 0x10 ${T} IS_DOMAIN_INTRODUCED (5 )`,
    `OUT 0x10 ${T} IS_DOMAIN_INTRODUCED (T )`,
    `IN 0x10 ${T} **UNKNOWN** ( )`,
    `OUT 0x10 ${T} ERROR (ENOSYS )`,
    '',
  ].join('\n');
  const res = importTrace(t, { file: 'intro.trace' });
  assert.deepEqual(res.warnings.filter((w) => w.kind === 'mismatch'), []);
  const conn = (res.header.import as { connections: { source: string; dom: number }[] }).connections;
  assert.deepEqual(conn.map((c) => [c.source, c.dom]), [['0x30', 0], ['0x10', 0], ['0x20', 5]]);
});

test('a value with a newline spans trace lines and comes back whole', () => {
  const t = ['CREATE connection 0x10', `IN 0x10 ${T} WRITE (/v line1`, 'line2)', `OUT 0x10 ${T} WRITE (OK )`,
    `IN 0x10 ${T} READ (/v )`, `OUT 0x10 ${T} READ (line1`, 'line2)', ''].join('\n');
  const res = importTrace(t, { file: 'nl.trace' });
  assert.equal(res.stats.mismatches, 0);
  assert.equal(res.trace.counts.continuation, 2);
  const w = res.events.find((e) => e.k === 'xs.mknod' && e.path === '/v');
  assert.equal(w !== undefined && w.k === 'xs.mknod' ? w.v : null, 'line1\nline2');
});

test('a malformed line is an error with file:line:col', () => {
  const bad = (lines: string[], detect = false): string => {
    try {
      importTrace(`${lines.join('\n')}\n`, { file: 'bad.trace', format: detect ? undefined : 'c' });
    } catch (e) {
      if (e instanceof ImportError) return e.message;
      throw e;
    }
    return 'no error';
  };
  const head = ['***', 'CREATE connection 0x10'];
  assert.equal(bad([...head, 'IN 0x10 2026112 22:00:00 WRITE (/a b)']), 'bad.trace:3:9: expected a time "YYYYMMDD HH:MM:SS", found "2026112 22:00:00 "');
  assert.equal(bad([...head, 'IN zz 20261121 22:00:00 WRITE (/a b)']), 'bad.trace:3:4: expected a connection pointer (0x...) after IN');
  assert.equal(bad([...head, 'io: OUT 0x10 20261121 22:00:00 write (OK )']), 'bad.trace:3:32: expected a message type and " (" (e.g. "WRITE ("), found "write (OK )"');
  assert.equal(bad([...head, 'OUT 0x10 20261121 22:00:00 WRITE (OK ']), 'bad.trace:3:38: the payload is not closed with ")"');
  assert.equal(bad([...head, 'CONN 0x10 dropped']), 'bad.trace:3:1: malformed CONN line: expected "CONN <pointer> ignored, reason <n>"');
  assert.match(bad(['hello', 'world'], true), /^bad\.trace:1:1: cannot tell the format/);
});
