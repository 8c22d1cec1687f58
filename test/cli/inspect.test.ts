// `xen-domu inspect` on a small hand-made recording: every view, exactly; and what it
// says about truncated, corrupt and newer recordings.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Emulator } from '../../src/emulator/emulator';
import { createRecording } from '../../src/emulator/recording/writer';
import { Xenstored } from '../../src/emulator/xenstore/runtime';
import { XS_SET_PERMS, XS_WRITE } from '../../src/emulator/xenstore/wire';
import { xenDomu } from './cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xen-inspect-'));
const REC = path.join(dir, 'small.xenrec');

/** dom0 + a guest with one grant, one channel and a vbd half-way through its handshake. */
before(() => {
  const em = new Emulator({ seed: 1 });
  const w = createRecording(REC, { format: 1, tool: 'test', scenario: '', seed: 1 }, { idleFlushMs: null });
  w.attach(em);
  em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 16, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: 1, name: 'guest', privileged: false, vcpus: 1, nrPages: 16, mfnBase: 0x2000 });
  em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
  em.emit({ k: 'gnt.entry', dom: 1, ref: 8, flags: 1, domid: 0, frame: 0x2005 });
  em.emit({ k: 'gnt.map', mapper: 0, handle: 1, granter: 1, ref: 8, readonly: false, frame: 0x2005, hostAddr: 0 });
  em.emit({ k: 'evtchn.port', dom: 1, port: 5, st: { state: 2, vcpu: 0, remoteDom: 0, remotePort: 7 } });
  em.emit({ k: 'evtchn.port', dom: 0, port: 7, st: { state: 2, vcpu: 0, remoteDom: 1, remotePort: 5 } });
  em.emit({ k: 'evtchn.bit', dom: 0, port: 7, which: 'p', v: 1 });
  em.emit({ k: 'clock.advance', to: 1_500_000 });
  const xsd = new Xenstored(em);
  const c = xsd.open('socket', 0);
  const req = (type: number, data: string): void => { xsd.request(c, { type, rid: 0, tid: 0, data }); };
  const fe = '/local/domain/1/device/vbd/768', be = '/local/domain/0/backend/vbd/1/768';
  req(XS_WRITE, `${fe}/backend\0${be}`);
  req(XS_WRITE, `${fe}/state\x003`);
  req(XS_WRITE, `${be}/frontend\0${fe}`);
  req(XS_WRITE, `${be}/state\x002`);
  req(XS_SET_PERMS, `${fe}\0n1\0r0\0`);
  req(XS_WRITE, '/local/domain/1/name\0guest\\one\n');
  w.close();
});

test('--xenstore prints xenstore-ls -p exactly, at the end or at an event', () => {
  const r = xenDomu(['inspect', REC, '--xenstore', '/local/domain/1']);
  assert.deepEqual(r, {
    code: 0, err: '',
    out: 'device = ""  . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
      + ' vbd = ""  . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
      + '  768 = "" . . . . . . . . . . . . . . . . . . . . . . . . .  (n1,r0)\n'
      + '   backend = "/local/domain/0/backend/vbd/1/768" . . . . . .  (n0)\n'
      + '   state = "3" . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
      + 'name = "guest\\\\one\\n"  . . . . . . . . . . . . . . . . . . .  (n0)\n',
  });
  const early = xenDomu(['inspect', REC, '--at', '20', '--xenstore', '/local']);
  assert.equal(early.code, 0, early.err);
  assert.equal(early.out,
    'domain = ""  . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
    + ' 1 = ""  . . . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
    + '  device = ""  . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
    + '   vbd = ""  . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
    + '    768 = "" . . . . . . . . . . . . . . . . . . . . . . . .  (n0)\n'
    + '     backend = "/local/domain/0/backend/vbd/1/768" . . . . .  (n0)\n'
    + '     state = "3" . . . . . . . . . . . . . . . . . . . . . .  (n0)\n');
  assert.deepEqual(xenDomu(['inspect', REC, '--xenstore', '/nope']), { code: 1, out: '', err: 'xen-domu inspect: /nope: no such node at event #39\n' });
});

test('--grants, --evtchn and --devices', () => {
  assert.deepEqual(xenDomu(['inspect', REC, '--grants']), {
    code: 0, err: '',
    out: 'dom0 "Domain-0" (paused, privileged): grant table v1, 0 frame(s)\n'
      + '  (no entries in use)\n'
      + '  maps handle 1: dom1 ref 8 frame 0x2005\n'
      + 'dom1 "guest" (paused): grant table v1, 1 frame(s)\n'
      + '  ref 8: permit_access|reading|writing domid 0 frame 0x2005  mapped (1 read, 1 write)\n',
  });
  assert.deepEqual(xenDomu(['inspect', REC, '--evtchn']), {
    code: 0, err: '',
    out: 'dom0 "Domain-0" (paused, privileged)\n'
      + '  port 7: interdomain remote dom1:5 vcpu 0 pending\n'
      + 'dom1 "guest" (paused)\n'
      + '  port 5: interdomain remote dom0:7 vcpu 0\n',
  });
  assert.deepEqual(xenDomu(['inspect', REC, '--devices']), {
    code: 0, err: '',
    out: 'dom1 vbd 768: frontend Initialised (3), backend dom0 InitWait (2)\n'
      + '  frontend /local/domain/1/device/vbd/768\n'
      + '  backend  /local/domain/0/backend/vbd/1/768\n',
  });
});

test('--events N shows the events around the position, marked', () => {
  const r = xenDomu(['inspect', REC, '--at', '8', '--events', '1']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out,
    '         0ns #7       -                        dom0 port 7 pending = 1\n'
    + '>      1.5ms #8       -                        time advances to 1500000 ns\n'
    + '       1.5ms #9       -                        xs.conn.open {"c":1,"kind":"socket","dom":0}\n');
});

test('a truncated, a corrupt and a newer recording: where it stopped, or why it cannot be read', () => {
  const bytes = fs.readFileSync(REC);
  const cut = path.join(dir, 'cut.xenrec');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 40));
  const t = xenDomu(['inspect', cut, '--devices']);
  assert.equal(t.code, 0);
  assert.match(t.err, /^xen-domu inspect: warning: .*cut\.xenrec: truncated at byte \d+ \(event #0\): chunk of \d+ bytes, \d+ present; loaded 0 events; showing what was loaded\n$/);
  assert.equal(t.out, 'no devices in the store (no /local/domain/*/device or backend directories)\n');

  const bad = Buffer.from(bytes);
  bad[bad.length - 60] ^= 0xff;
  const corrupt = path.join(dir, 'corrupt.xenrec');
  fs.writeFileSync(corrupt, bad);
  const c = xenDomu(['inspect', corrupt, '--at', '3', '--grants']);
  assert.match(c.err, /corrupt chunk at byte \d+ \(event #0\): CRC32 is 0x[0-9a-f]{8}, expected 0x[0-9a-f]{8}; loaded 0 events/);
  assert.equal(c.code, 2);
  assert.match(c.err, /--at 3: the recording has 0 events \(#0\.\.#-1\) \(loading stopped there: corrupt\)/);

  const newer = Buffer.from(bytes);
  newer.writeUInt32LE(99, 8);
  const nv = path.join(dir, 'newer.xenrec');
  fs.writeFileSync(nv, newer);
  assert.deepEqual(xenDomu(['inspect', nv]), {
    code: 1, out: '', err: `xen-domu inspect: ${nv}: recording format version 99 is newer than this build reads (version 1); open it with a newer xen-domu-debug\n`,
  });
});

test('bad arguments are usage errors', () => {
  const r = xenDomu(['inspect', REC, '--grants', '--evtchn']);
  assert.deepEqual([r.code, r.err], [2, 'xen-domu inspect: choose one view (--grants, --evtchn given)\n']);
  const at = xenDomu(['inspect', REC, '--at', 'x']);
  assert.deepEqual([at.code, at.err], [2, 'xen-domu inspect: --at x: expected an event number (0..39)\n']);
});
