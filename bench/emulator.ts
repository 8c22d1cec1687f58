// Emulator throughput: raw events applied in-process (a grant + event-channel + xenstore
// write mix), and block I/O through the whole stack with suspend/migrate cycles.
// Goals (issue 2 and 3): >= 1M events/s; 100,000 block I/Os with 100 migrations <= 2 s.
import { Emulator } from '../src/emulator/emulator';
import { XenSystem } from '../src/emulator/system/system';
import { GUEST_FLAVOURS } from '../src/emulator/guests/index';

function eventMix(n: number): { eventsPerSec: number; ms: number } {
  const em = new Emulator({ seed: 1 });
  em.emit({ k: 'dom.create', domid: 1, name: 'g', privileged: false, vcpus: 1, nrPages: 64, mfnBase: 0x100 });
  em.emit({ k: 'gnt.setup', dom: 1, frames: 1 });
  em.emit({ k: 'evtchn.port', dom: 1, port: 5, st: { state: 1, vcpu: 0, remoteDom: 0 } });
  em.emit({ k: 'xs.mknod', path: '/local', v: '', perms: [{ id: 0, p: 0 }] });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    em.emit({ k: 'gnt.entry', dom: 1, ref: 8 + (i & 63), flags: 1, domid: 0, frame: 0x100 + (i & 63) });
    em.emit({ k: 'evtchn.bit', dom: 1, port: 5, which: 'p', v: (i & 1) as 0 | 1 });
    em.emit({ k: 'xs.write', path: '/local', v: String(i & 255) });
    em.emit({ k: 'mem.w32', dom: 1, pfn: 3, off: 0, v: i });
  }
  const ms = performance.now() - t0;
  return { eventsPerSec: (4 * n) / (ms / 1000), ms };
}

function blockIo(ios: number, migrations: number): { ms: number; events: number } {
  const sys = new XenSystem({ seed: 3, guests: GUEST_FLAVOURS });
  sys.create({ name: 'guest', flavour: 'linux', pages: 8192, vcpus: 1, devices: [{ kind: 'vbd', devid: 51712, vdev: 'xvda', backendDom: 0, sectors: 1 << 22, mode: 'w', backend: 'linux', limits: {} }] });
  sys.settle();
  const t0 = performance.now();
  const n0 = sys.em.history.length;
  const perCycle = Math.ceil(ios / Math.max(1, migrations));
  let done = 0;
  for (let c = 0; done < ios; c++) {
    for (let i = 0; i < perCycle && done < ios; i++, done++) sys.io('guest', 51712, done % 2 ? 'read' : 'write', (done % 4096) * 8, 8, 0x1000 + done);
    sys.settle();
    if (c < migrations) { sys.saveRestore('guest', { migrate: true }); sys.settle(); }
  }
  return { ms: performance.now() - t0, events: sys.em.history.length - n0 };
}

const mix = eventMix(250_000);
console.log(`events applied in-process (grant + evtchn + xenstore write + ring index mix): ${(mix.eventsPerSec / 1e6).toFixed(2)} M events/s  (goal >= 1 M/s)`);
const ios = 2_000, migs = 2;
const b = blockIo(ios, migs);
console.log(`block I/O through the whole stack: ${ios} I/Os with ${migs} migrations in ${(b.ms / 1000).toFixed(2)} s, ${b.events} events (${(b.events / (b.ms / 1000) / 1e6).toFixed(2)} M events/s)`);
console.log(`  extrapolated to 100,000 I/Os with 100 migrations: ${((b.ms / ios) * 100_000 / 1000).toFixed(1)} s  (goal <= 2 s)`);
