// The observed behaviour of C xenstored 4.17.7 (xen-reference.md §12), one test per
// bullet that concerns C xenstored, with exact reply payloads and whole messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness';
import {
  XS_CONTROL, XS_DIRECTORY, XS_DIRECTORY_PART, XS_GET_DOMAIN_PATH, XS_GET_PERMS, XS_INTRODUCE, XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR, XS_READ, XS_RELEASE, XS_RESET_WATCHES, XS_RM, XS_SET_PERMS, XS_TRANSACTION_END, XS_TRANSACTION_START,
  XS_UNWATCH, XS_WATCH, XS_WRITE, encodeMessage,
} from '../../../src/emulator/xenstore/wire';

const W = (h: Harness, c: number, path: string, value: string, tid = 0) => h.call(c, XS_WRITE, `${path}\0${value}`, tid);

test('WATCH: OK, then one event with req_id and tx_id 0, even for a missing node; tx_id of WATCH ignored', () => {
  const h = new Harness();
  const c = h.socket();
  const out = h.send(c, XS_WATCH, '/nowhere\0tok\0', 0, 7);
  assert.deepEqual(out, [
    { type: XS_WATCH, rid: 7, tid: 0, data: 'OK\0' },
    { type: 15, rid: 0, tid: 0, data: '/nowhere\0tok\0' },
  ]);
  assert.equal(encodeMessage({ type: 15, rid: 0, tid: 0, data: out[1].data }).toString('hex'),
    '0f000000' + '00000000' + '00000000' + '0d000000' + Buffer.from('/nowhere\0tok\0', 'latin1').toString('hex'));
  const t = h.call(c, XS_TRANSACTION_START, '\0');
  const out2 = h.send(c, XS_WATCH, '/w2\0t\0', 999, 8);
  assert.deepEqual(out2.map((m) => [m.type, m.rid, m.tid, m.data]), [[XS_WATCH, 8, 999, 'OK\0'], [15, 0, 0, '/w2\0t\0']]);
  assert.equal(t, '1\0');
});

test('WATCH duplicates: same (path, token) EEXIST; other token OK; UNWATCH unknown ENOENT', () => {
  const h = new Harness();
  const c = h.socket();
  assert.equal(h.call(c, XS_WATCH, '/a\0t\0'), 'OK\0');
  assert.equal(h.call(c, XS_WATCH, '/a\0t\0'), 'ERROR:EEXIST');
  assert.equal(h.call(c, XS_WATCH, '/a\0u\0'), 'OK\0');
  assert.equal(h.call(c, XS_UNWATCH, '/a\0zz\0'), 'ERROR:ENOENT');
  assert.equal(h.call(c, XS_UNWATCH, '/a\0t\0'), 'OK\0');
  assert.equal(h.call(c, XS_UNWATCH, '/a\0t\0'), 'ERROR:ENOENT');
});

test('events fire for the path and its ancestors only; same value fires; SET_PERMS fires; MKDIR of an existing node and READ do not', () => {
  const h = new Harness();
  const w = h.socket();
  const c = h.socket();
  W(h, c, '/a/b', 'x');
  h.call(w, XS_WATCH, '/a\0anc\0');
  h.call(w, XS_WATCH, '/a/b/c\0desc\0');
  h.take(w);
  W(h, c, '/a/b', 'x');
  assert.deepEqual(h.events(w), ['/a/b anc']);
  W(h, c, '/a/b', 'x');
  assert.deepEqual(h.events(w), ['/a/b anc']);
  h.call(c, XS_SET_PERMS, '/a/b\0n0\0');
  assert.deepEqual(h.events(w), ['/a/b anc']);
  h.call(c, XS_MKDIR, '/a/b\0');
  h.call(c, XS_READ, '/a/b\0');
  assert.deepEqual(h.events(w), []);
  h.call(c, XS_MKDIR, '/a/new\0');
  assert.deepEqual(h.events(w), ['/a/new anc']);
});

test('writing /a/b/c/d with implicit parents fires once, with the leaf path', () => {
  const h = new Harness();
  const w = h.socket();
  const c = h.socket();
  h.call(w, XS_WATCH, '/\0root\0');
  h.take(w);
  W(h, c, '/a/b/c/d', 'v');
  assert.deepEqual(h.events(w), ['/a/b/c/d root']);
});

test('a relative watch gets relative event paths (dom0 socket home /local/domain/0)', () => {
  const h = new Harness();
  const c = h.socket();
  assert.deepEqual(h.send(c, XS_WATCH, 'relw\0r\0').map((m) => m.data), ['OK\0', 'relw\0r\0']);
  W(h, c, '/local/domain/0/relw/k', '1');
  assert.deepEqual(h.events(c), ['relw/k r']);
  const g = h.guest(3);
  h.call(c, XS_SET_PERMS, '/local/domain/0\0n0\0');
  W(h, c, '/local/domain/3/x', '');
  h.call(c, XS_SET_PERMS, '/local/domain/3\0n3\0');
  h.call(c, XS_SET_PERMS, '/local/domain/3/x\0n3\0');
  assert.deepEqual(h.send(g, XS_WATCH, 'x\0gt\0').map((m) => m.data), ['OK\0', 'x\0gt\0']);
  W(h, c, '/local/domain/3/x/y', '1');
  assert.deepEqual(h.events(g), ['x/y gt']);
});

test('RM fires the removed path on ancestor watches; a watch below fires with its own path only if that node existed', () => {
  const h = new Harness();
  const w = h.socket();
  const c = h.socket();
  W(h, c, '/r/s/t', '1');
  for (const [p, t] of [['/', 'root'], ['/r', 'r'], ['/r/s', 's'], ['/r/s/t', 't'], ['/r/s/never', 'n']]) h.call(w, XS_WATCH, `${p}\0${t}\0`);
  h.take(w);
  assert.equal(h.call(c, XS_RM, '/r/s\0'), 'OK\0');
  // C deletes children first: the exact event for /r/s/t comes before the root's
  assert.deepEqual(h.events(w), ['/r/s/t t', '/r/s root', '/r/s r', '/r/s s']);
});

test('transaction events are emitted only on a successful commit', () => {
  const h = new Harness();
  const w = h.socket();
  const c = h.socket();
  const o = h.socket();
  h.call(w, XS_WATCH, '/t\0tw\0');
  h.take(w);
  let t = Number(h.call(c, XS_TRANSACTION_START, '\0').slice(0, -1));
  W(h, c, '/t/x', '1', t);
  assert.deepEqual(h.events(w), []);
  assert.equal(h.call(c, XS_TRANSACTION_END, 'F\0', t), 'OK\0');
  assert.deepEqual(h.events(w), []);
  t = Number(h.call(c, XS_TRANSACTION_START, '\0').slice(0, -1));
  W(h, c, '/t/x', '1', t);
  W(h, o, '/t/x', 'outside');
  assert.deepEqual(h.events(w), ['/t/x tw']);
  assert.equal(h.call(c, XS_TRANSACTION_END, 'T\0', t), 'ERROR:EAGAIN');
  assert.deepEqual(h.events(w), []);
  t = Number(h.call(c, XS_TRANSACTION_START, '\0').slice(0, -1));
  W(h, c, '/t/x', '2', t);
  W(h, c, '/t/y/z', '3', t);
  assert.equal(h.call(c, XS_TRANSACTION_END, 'T\0', t), 'OK\0');
  assert.deepEqual(h.events(w), ['/t/x tw', '/t/y/z tw']);
});

test('RM of a missing node: OK if its parent exists, ENOENT if not; RM / is EINVAL', () => {
  const h = new Harness();
  const c = h.socket();
  assert.equal(h.call(c, XS_RM, '/tool/nothing\0'), 'OK\0');
  assert.equal(h.call(c, XS_RM, '/no/thing\0'), 'ERROR:ENOENT');
  assert.equal(h.call(c, XS_RM, '/\0'), 'ERROR:EINVAL');
});

test('reply payloads: ERROR "<name>\\0", OK\\0, raw READ, DIRECTORY, GET_PERMS, TRANSACTION_START, IS_DOMAIN_INTRODUCED', () => {
  const h = new Harness();
  const c = h.socket();
  assert.deepEqual(h.send(c, XS_READ, '/missing\0', 0, 5), [{ type: 16, rid: 5, tid: 0, data: 'ENOENT\0' }]);
  assert.equal(encodeMessage({ type: 16, rid: 5, tid: 0, data: 'ENOENT\0' }).toString('hex'), '10000000050000000000000007000000454e4f454e5400');
  assert.deepEqual(h.send(c, XS_WRITE, '/d/a\0bin\0ary', 0, 6), [{ type: XS_WRITE, rid: 6, tid: 0, data: 'OK\0' }]);
  assert.equal(h.call(c, XS_READ, '/d/a\0'), 'bin\0ary');
  W(h, c, '/d/b', '');
  assert.equal(h.call(c, XS_READ, '/d/b\0'), '');
  assert.equal(h.call(c, XS_DIRECTORY, '/d\0'), 'a\0b\0');
  assert.equal(h.call(c, XS_DIRECTORY, '/d/b\0'), '');
  h.call(c, XS_SET_PERMS, '/d\0n0\0r5\0');
  assert.equal(h.call(c, XS_GET_PERMS, '/d\0'), 'n0\0r5\0');
  assert.equal(h.call(c, XS_TRANSACTION_START, '\0'), '1\0');
  assert.equal(h.call(c, XS_IS_DOMAIN_INTRODUCED, '0\0'), 'T\0');
  assert.equal(h.call(c, XS_IS_DOMAIN_INTRODUCED, '9\0'), 'F\0');
  assert.equal(h.call(c, XS_GET_DOMAIN_PATH, '9\0'), '/local/domain/9\0');
  const bytes = [...Array(256).keys()].map((i) => String.fromCharCode(i)).join('');
  W(h, c, '/d/bin', bytes);
  assert.equal(h.call(c, XS_READ, '/d/bin\0'), bytes);
});

test('DIRECTORY_PART: <gencnt>\\0 children \\0 with an extra NUL; offset past the end gives <gencnt>\\0\\0', () => {
  const h = new Harness();
  const c = h.socket();
  W(h, c, '/p/aa', '');
  W(h, c, '/p/b', '');
  const gen = h.xs.nodes.get('/p')!.gen;
  assert.equal(h.call(c, XS_DIRECTORY_PART, '/p\x000\0'), `${gen}\0aa\0b\0\0`);
  assert.equal(h.call(c, XS_DIRECTORY_PART, '/p\x003\0'), `${gen}\0b\0\0`);
  assert.equal(h.call(c, XS_DIRECTORY_PART, '/p\x005\0'), `${gen}\0\0`);
  assert.equal(h.call(c, XS_DIRECTORY_PART, '/p\0'), 'ERROR:EINVAL');
  // a long list comes in parts that each fit the 4096-byte payload
  for (let i = 0; i < 500; i++) W(h, c, `/big/child-${String(i).padStart(4, '0')}`, '');
  assert.equal(h.call(c, XS_DIRECTORY, '/big\0'), 'ERROR:E2BIG');
  const all: string[] = [];
  let off = 0;
  for (;;) {
    const r = h.call(c, XS_DIRECTORY_PART, `/big\0${off}\0`);
    assert.ok(r.length <= 4096);
    const body = r.slice(r.indexOf('\0') + 1);
    if (body.endsWith('\0\0') || body === '\0') { all.push(...body.split('\0').filter((x) => x)); break; }
    const names = body.split('\0').filter((x) => x);
    all.push(...names);
    off += body.length;
  }
  assert.equal(all.length, 500);
  assert.equal(all[499], 'child-0499');
});

test('transactions: per-connection ids from 1, EAGAIN only at END T, the id is gone after (ENOENT), EBUSY, unknown id ENOENT', () => {
  const h = new Harness();
  const a = h.socket();
  const b = h.socket();
  assert.equal(h.call(a, XS_TRANSACTION_START, '\0'), '1\0');
  assert.equal(h.call(a, XS_TRANSACTION_START, '\0'), '2\0');
  assert.equal(h.call(b, XS_TRANSACTION_START, '\0'), '1\0');
  assert.equal(h.call(a, XS_TRANSACTION_START, '\0', 1), 'ERROR:EBUSY');
  assert.equal(h.call(a, XS_READ, '/tool\0', 77), 'ERROR:ENOENT');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'T\0'), 'ERROR:ENOENT');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'X\0', 1), 'ERROR:EINVAL');
  h.call(a, XS_READ, '/tool\0', 1);
  W(h, b, '/tool/x', '1');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'T\0', 1), 'ERROR:EAGAIN');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'T\0', 1), 'ERROR:ENOENT');
  // ids are not reused at once: the counter goes on
  assert.equal(h.call(a, XS_TRANSACTION_START, '\0'), '3\0');
});

test('C 4.17 fails a commit if anything read or written changed: read-only, blind write, listed directory', () => {
  const h = new Harness();
  const a = h.socket();
  const b = h.socket();
  W(h, b, '/c/k', '0');
  const run = (body: (t: number) => void, interfere: () => void): string => {
    const t = Number(h.call(a, XS_TRANSACTION_START, '\0').slice(0, -1));
    body(t);
    interfere();
    return h.call(a, XS_TRANSACTION_END, 'T\0', t);
  };
  assert.equal(run((t) => h.call(a, XS_READ, '/c/k\0', t), () => W(h, b, '/c/k', '1')), 'ERROR:EAGAIN');
  assert.equal(run((t) => W(h, a, '/c/k', 'mine', t), () => W(h, b, '/c/k', 'theirs')), 'ERROR:EAGAIN');
  assert.equal(h.call(b, XS_READ, '/c/k\0'), 'theirs');
  assert.equal(run((t) => h.call(a, XS_DIRECTORY, '/c\0', t), () => W(h, b, '/c/new', '')), 'ERROR:EAGAIN');
  assert.equal(run((t) => h.call(a, XS_READ, '/c/k\0', t), () => W(h, b, '/elsewhere', '')), 'OK\0');
});

test('transactions: writes invisible outside until commit, reads see the node as first accessed', () => {
  const h = new Harness();
  const a = h.socket();
  const b = h.socket();
  W(h, b, '/s/k', 'a');
  const t = Number(h.call(a, XS_TRANSACTION_START, '\0').slice(0, -1));
  assert.equal(h.call(a, XS_READ, '/s/k\0', t), 'a');
  W(h, b, '/s/k', 'b');
  assert.equal(h.call(a, XS_READ, '/s/k\0', t), 'a');
  W(h, a, '/s/k', 'c', t);
  W(h, a, '/s/n', 'new', t);
  assert.equal(h.call(a, XS_READ, '/s/k\0', t), 'c');
  assert.equal(h.call(b, XS_READ, '/s/k\0'), 'b');
  assert.equal(h.call(b, XS_READ, '/s/n\0'), 'ERROR:ENOENT');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'T\0', t), 'ERROR:EAGAIN');
  const t2 = Number(h.call(a, XS_TRANSACTION_START, '\0').slice(0, -1));
  W(h, a, '/s/n', 'new', t2);
  h.call(a, XS_RM, '/s/k\0', t2);
  assert.equal(h.call(b, XS_READ, '/s/k\0'), 'b');
  assert.equal(h.call(a, XS_TRANSACTION_END, 'T\0', t2), 'OK\0');
  assert.equal(h.call(b, XS_READ, '/s/n\0'), 'new');
  assert.equal(h.call(b, XS_READ, '/s/k\0'), 'ERROR:ENOENT');
});

test('transaction quota: a domain gets 11 (the check is >), the 12th ENOSPC; a socket is not limited', () => {
  const h = new Harness();
  const g = h.guest(4);
  for (let i = 1; i <= 11; i++) assert.equal(h.call(g, XS_TRANSACTION_START, '\0'), `${i}\0`);
  assert.equal(h.call(g, XS_TRANSACTION_START, '\0'), 'ERROR:ENOSPC');
  const s = h.socket();
  for (let i = 1; i <= 12; i++) assert.equal(h.call(s, XS_TRANSACTION_START, '\0'), `${i}\0`);
});

test('path syntax: relative for sockets too, charset, //, trailing /, empty', () => {
  const h = new Harness();
  const c = h.socket();
  assert.equal(W(h, c, 'rel/x', '1'), 'OK\0');
  assert.equal(h.call(c, XS_READ, '/local/domain/0/rel/x\0'), '1');
  for (const bad of ['/a.b', '/a b', '/a//b', '/a/', '', '/a\u00e9']) assert.equal(W(h, c, bad, '1'), 'ERROR:EINVAL', JSON.stringify(bad));
  assert.equal(W(h, c, '/A-Z_a@0', '1'), 'OK\0');
});

test('path length: 2048 characters OK, 2049 EINVAL, not counting a /local/domain/<id>/ prefix', () => {
  const h = new Harness();
  const c = h.socket();
  const abs = (n: number) => `/${'x'.repeat(n - 1)}`;
  assert.equal(W(h, c, abs(2048), ''), 'OK\0');
  assert.equal(W(h, c, abs(2049), ''), 'ERROR:EINVAL');
  const loc = (n: number) => `/local/domain/7/${'y'.repeat(n)}`;
  assert.equal(W(h, c, loc(2048), ''), 'OK\0');
  assert.equal(W(h, c, loc(2049), ''), 'ERROR:EINVAL');
});

test('@ paths are watch-only specials: READ/GET_PERMS/WRITE EINVAL, WATCH of any @x fires once', () => {
  const h = new Harness();
  const c = h.socket();
  assert.equal(h.call(c, XS_READ, '@introduceDomain\0'), 'ERROR:EINVAL');
  assert.equal(h.call(c, XS_GET_PERMS, '@releaseDomain\0'), 'ERROR:EINVAL');
  assert.equal(W(h, c, '@foo', '1'), 'ERROR:EINVAL');
  assert.deepEqual(h.send(c, XS_WATCH, '@whatever\0t\0').map((m) => m.data), ['OK\0', '@whatever\0t\0']);
});

test('node size quota: a guest value of 2030 bytes fails ENOSPC (2015 fits), dom0 wrote 4086', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/local/domain/8/x', '');
  h.call(s, XS_SET_PERMS, '/local/domain/8\0n8\0');
  h.call(s, XS_SET_PERMS, '/local/domain/8/x\0n8\0');
  assert.equal(W(h, g, 'x', 'v'.repeat(2030)), 'ERROR:ENOSPC');
  // 24-byte record header + 8 per permission + value: 2047 < 2048
  assert.equal(W(h, g, 'x', 'v'.repeat(2015)), 'OK\0');
  assert.equal(W(h, g, 'x', 'v'.repeat(2016)), 'ERROR:ENOSPC');
  assert.equal(W(h, g, 'y', 'v'.repeat(2030)), 'ERROR:ENOSPC');
  assert.equal(h.call(g, XS_READ, 'y\0'), 'ERROR:ENOENT');
  assert.equal(W(h, s, '/dom0big', 'v'.repeat(4086)), 'OK\0');
});

test('node size quota counts children names: a guest directory fails to gain its 532nd child n/0..n/531', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  h.call(s, XS_MKDIR, '/local/domain/8\0');
  h.call(s, XS_SET_PERMS, '/local/domain/8\0n8\0');
  for (let i = 0; i < 531; i++) assert.equal(h.call(g, XS_MKDIR, `n/${i}\0`), 'OK\0', `n/${i}`);
  assert.equal(h.call(g, XS_MKDIR, 'n/531\0'), 'ERROR:ENOSPC');
  assert.equal(h.call(g, XS_DIRECTORY, 'n\0').split('\0').length - 1, 531);
});

test('nodes quota: a guest owns at most 1000 nodes', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  h.call(s, XS_MKDIR, '/local/domain/8\0');
  h.call(s, XS_SET_PERMS, '/local/domain/8\0n0\0b8\0');
  // q0..q2 and 997 leaves below them: 1000 nodes owned by the guest
  for (let i = 0; i < 997; i++) assert.equal(h.call(g, XS_MKDIR, `q${Math.floor(i / 400)}/${i % 400}\0`), 'OK\0', String(i));
  assert.equal(h.xs.owned.get(8), 1000);
  assert.equal(h.call(g, XS_MKDIR, 'q9\0'), 'ERROR:ENOSPC');
  assert.equal(h.call(g, XS_RM, 'q0/0\0'), 'OK\0');
  assert.equal(h.call(g, XS_MKDIR, 'q9\0'), 'OK\0');
});

test('watch quota: a guest may hold 129 watches, the 130th fails E2BIG; sockets are not limited', () => {
  const h = new Harness();
  const g = h.guest(5);
  for (let i = 0; i < 129; i++) assert.equal(h.call(g, XS_WATCH, `w${i}\0t\0`), 'OK\0');
  assert.equal(h.call(g, XS_WATCH, 'w129\0t\0'), 'ERROR:E2BIG');
  const s = h.socket();
  for (let i = 0; i < 200; i++) assert.equal(h.call(s, XS_WATCH, `/w${i}\0t\0`), 'OK\0');
});

test('permissions: entry 0 is owner and default, the owner has everything, dom0 bypasses checks', () => {
  const h = new Harness();
  const s = h.socket();
  const g5 = h.guest(5);
  const g6 = h.guest(6);
  W(h, s, '/p', 'v');
  h.call(s, XS_SET_PERMS, '/p\0n5\0r6\0');
  assert.equal(h.call(g5, XS_READ, '/p\0'), 'v');
  assert.equal(W(h, g5, '/p', 'w5'), 'OK\0');
  assert.equal(h.call(g6, XS_READ, '/p\0'), 'w5');
  assert.equal(W(h, g6, '/p', 'w6'), 'ERROR:EACCES');
  h.call(s, XS_SET_PERMS, '/p\0b0\0');
  assert.equal(W(h, g6, '/p', 'w6'), 'OK\0');
  assert.equal(h.call(s, XS_READ, '/p\0'), 'w6');
});

test('creation inherits the parent list with the owner replaced by the guest, implicit parents included', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/inh', '');
  h.call(s, XS_SET_PERMS, '/inh\0n0\0b8\0r3\0');
  assert.equal(W(h, g, '/inh/a/b', '1'), 'OK\0');
  assert.equal(h.call(s, XS_GET_PERMS, '/inh/a\0'), 'n8\0b8\0r3\0');
  assert.equal(h.call(s, XS_GET_PERMS, '/inh/a/b\0'), 'n8\0b8\0r3\0');
  W(h, s, '/inh/d0', '');
  assert.equal(h.call(s, XS_GET_PERMS, '/inh/d0\0'), 'n0\0b8\0r3\0');
});

test('existing children keep their permissions after the parent SET_PERMS', () => {
  const h = new Harness();
  const s = h.socket();
  W(h, s, '/k/c', '');
  h.call(s, XS_SET_PERMS, '/k\0n0\0r5\0');
  assert.equal(h.call(s, XS_GET_PERMS, '/k/c\0'), 'n0\0');
});

test('XSA-115: a guest may SET_PERMS its own node but not change the owner (EPERM)', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/own', '');
  h.call(s, XS_SET_PERMS, '/own\0n8\0');
  assert.equal(h.call(g, XS_SET_PERMS, '/own\0n8\0r0\0'), 'OK\0');
  assert.equal(h.call(g, XS_SET_PERMS, '/own\0n0\0'), 'ERROR:EPERM');
  assert.equal(h.call(g, XS_SET_PERMS, '/tool\0n0\0'), 'ERROR:EACCES');
  assert.equal(h.call(g, XS_SET_PERMS, '/own\0n8\0r1\0r2\0r3\0r4\0r5\0'), 'ERROR:ENOSPC');
});

test('hiding: a guest READ of a missing node under an unreadable parent is EACCES; of /, EACCES', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/hid', '');
  assert.equal(h.call(g, XS_READ, '/hid/missing\0'), 'ERROR:EACCES');
  h.call(s, XS_SET_PERMS, '/hid\0n0\0r8\0');
  assert.equal(h.call(g, XS_READ, '/hid/missing\0'), 'ERROR:ENOENT');
  assert.equal(h.call(s, XS_GET_PERMS, '/\0'), 'n0\0');
  for (const t of [XS_READ, XS_DIRECTORY, XS_GET_PERMS]) assert.equal(h.call(g, t, '/\0'), 'ERROR:EACCES');
});

test('a guest may RM its own home', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/local/domain/8/x', '1');
  h.call(s, XS_SET_PERMS, '/local/domain/8\0n8\0');
  assert.equal(h.call(g, XS_RM, '/local/domain/8\0'), 'OK\0');
  assert.equal(h.call(s, XS_READ, '/local/domain/8/x\0'), 'ERROR:ENOENT');
});

test('perm entries naming domains xenstored does not know are kept (shown, but grant nothing)', () => {
  const h = new Harness();
  const s = h.socket();
  W(h, s, '/e', '');
  assert.equal(h.call(s, XS_SET_PERMS, '/e\0n0\0r13\0'), 'OK\0');
  assert.equal(h.call(s, XS_GET_PERMS, '/e\0'), 'n0\0r13\0');
  assert.equal(h.call(s, XS_SET_PERMS, '/e\0n13\0'), 'ERROR:ENOENT');
});

test('a guest may watch a node it cannot read (OK + the initial event) but gets no events for it', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(8);
  W(h, s, '/secret/k', '1');
  assert.deepEqual(h.send(g, XS_WATCH, '/secret/k\0gt\0').map((m) => m.data), ['OK\0', '/secret/k\0gt\0']);
  W(h, s, '/secret/k', '2');
  assert.deepEqual(h.events(g), []);
  h.call(s, XS_SET_PERMS, '/secret/k\0n0\0r8\0');
  assert.deepEqual(h.events(g), ['/secret/k gt']);
  W(h, s, '/secret/k', '3');
  assert.deepEqual(h.events(g), ['/secret/k gt']);
});

test('RELEASE of an unknown domain ENOENT, RELEASE 0 EINVAL, INTRODUCE with port 0 EINVAL; guests get EACCES', () => {
  const h = new Harness();
  const s = h.socket();
  assert.equal(h.call(s, XS_RELEASE, '12\0'), 'ERROR:ENOENT');
  assert.equal(h.call(s, XS_RELEASE, '0\0'), 'ERROR:EINVAL');
  assert.equal(h.call(s, XS_INTRODUCE, '5\x001234\x000\0'), 'ERROR:EINVAL');
  const g = h.guest(5);
  assert.equal(h.call(g, XS_RELEASE, '5\0'), 'ERROR:EACCES');
  assert.equal(h.call(g, XS_CONTROL, 'print\0x\0'), 'ERROR:EACCES');
});

test('RELEASE deletes the nodes the domain owned and fires @releaseDomain for dom0 watchers only', () => {
  const h = new Harness();
  const s = h.socket();
  const g = h.guest(5);
  const other = h.guest(6);
  W(h, s, '/local/domain/5/a', '');
  h.call(s, XS_SET_PERMS, '/local/domain/5/a\0n5\0');
  W(h, s, '/local/domain/5/b', '');
  h.call(s, XS_WATCH, '@releaseDomain\0rel\0');
  h.call(s, XS_WATCH, '/local/domain/5/a\0a\0');
  h.call(other, XS_WATCH, '@releaseDomain\0orel\0');
  h.take(s);
  h.take(other);
  assert.equal(h.call(s, XS_RELEASE, '5\0'), 'OK\0');
  assert.equal(h.xs.conns.has(g), false);
  assert.equal(h.call(s, XS_READ, '/local/domain/5/a\0'), 'ERROR:ENOENT');
  assert.equal(h.call(s, XS_READ, '/local/domain/5/b\0'), '');
  assert.deepEqual(h.events(s), ['/local/domain/5/a a', '@releaseDomain rel']);
  assert.deepEqual(h.events(other), []);
  h.call(s, XS_SET_PERMS, '@releaseDomain\0n0\0r6\0');
  const g7 = h.guest(7);
  h.call(s, XS_RELEASE, '7\0');
  assert.equal(h.xs.conns.has(g7), false);
  assert.deepEqual(h.events(other), ['@releaseDomain orel']);
});

test('malformed requests: READ without its NUL ENOENT, WRITE without NUL EINVAL, unknown type ENOSYS', () => {
  const h = new Harness();
  const c = h.socket();
  assert.equal(h.call(c, XS_READ, '/tool'), 'ERROR:ENOENT');
  assert.equal(h.call(c, XS_WRITE, '/tool'), 'ERROR:EINVAL');
  assert.equal(h.call(c, 99, 'x\0'), 'ERROR:ENOSYS');
  for (const t of [15, 16, 20, 23, 24, 25, 26, 0xffff]) assert.equal(h.call(c, t, ''), 'ERROR:ENOSYS', String(t));
  assert.equal(h.call(c, XS_WATCH, '/x\0t\0extra\0'), 'ERROR:EINVAL');
  assert.equal(h.call(c, XS_SET_PERMS, '/tool\0'), 'ERROR:EINVAL');
  assert.equal(h.call(c, XS_SET_PERMS, '/tool\0q0\0'), 'ERROR:EINVAL');
});

test('CONTROL from a dom0 socket: print, log, quota, help', () => {
  const h = new Harness();
  const c = h.socket();
  const seen: string[] = [];
  h.xsd.onControl = (cmd, a) => seen.push(`${cmd} ${a.join(' ')}`);
  assert.equal(h.call(c, XS_CONTROL, 'print\0hello\0'), 'OK\0');
  assert.equal(h.call(c, XS_CONTROL, 'log\0on\0'), 'OK\0');
  assert.equal(h.call(c, XS_CONTROL, 'log\0maybe\0'), 'ERROR:EINVAL');
  assert.deepEqual(seen, ['print hello', 'log on']);
  const q = h.call(c, XS_CONTROL, 'quota\0');
  assert.ok(q.startsWith('Quota settings:\nnodes            :     1000 Nodes per domain\n'), q);
  assert.ok(q.includes('node-size        :     2048 Max. size of a node\n'));
  assert.equal(h.call(c, XS_CONTROL, 'quota\0set\0watches\x00200\0'), 'OK\0');
  assert.equal(h.xs.quota.watches, 200);
  assert.equal(h.call(c, XS_CONTROL, 'quota\0set\0bogus\x00200\0'), 'ERROR:EINVAL');
  assert.ok(h.call(c, XS_CONTROL, 'help\0').startsWith('check           \n'));
  assert.equal(h.call(c, XS_CONTROL, 'nope\0'), 'ERROR:EINVAL');
});

test('RESET_WATCHES drops the watches and transactions of the caller only', () => {
  const h = new Harness();
  const a = h.socket();
  const b = h.socket();
  h.call(a, XS_WATCH, '/x\0t\0');
  h.call(b, XS_WATCH, '/x\0t\0');
  h.call(a, XS_TRANSACTION_START, '\0');
  assert.equal(h.call(a, XS_RESET_WATCHES, '\0'), 'OK\0');
  assert.equal(h.xs.conns.get(a)!.watches.length, 0);
  assert.equal(h.xs.conns.get(a)!.txs.size, 0);
  assert.equal(h.xs.conns.get(b)!.watches.length, 1);
});
