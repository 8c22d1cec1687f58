// Conditions of `wait until` and `expect`, evaluated against the world as it is now.
import type { CompareOp, Condition, Name } from '../scenario/ast';
import { patternBytes } from '../hypervisor/memory';
import { readSectors } from '../devices/disk';
import { xenbus_strstate } from '../xenbus/states';
import type { Violation } from '../invariants/violation';
import { checkLostRequests } from '../invariants/block';
import { SHUTDOWN } from '../hypervisor/constants';
import type { XenSystem } from '../system/system';
import type { Topology } from './build';
import { patternSeed } from './patterns';
import { bioAt, bioTally } from '../guest/block_state';

export interface Verdict { ok: boolean; actual: string }

/** What the interpreter tracks besides the world: the data the scenario wrote, reconnects. */
export interface RunTrack {
  /** `${guest}/${devid}` -> sector -> seed the scenario last wrote there */
  written: Map<string, Map<number, number>>;
  reconnects: Map<string, number>;
}

function cmp(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
  }
}

/** A device's xenstore directories for one domid of its guest (it changes with migration). */
interface DevicePaths { frontend: string; backend: string; domid: number; frontendState: string; backendState: string }

export class Conditions {
  /** path strings per device, reused while the guest keeps its domid: `wait until` asks
   *  after every event, and a string seen before hashes for free in the store's map */
  private readonly pathCache = new Map<string, DevicePaths>();

  constructor(private readonly sys: XenSystem, private readonly topo: Topology, private readonly track: RunTrack) {}

  private device(n: Name) {
    const d = this.topo.devices.get(n.text);
    if (d === undefined) throw new Error(`no device "${n.text}"`);
    return d;
  }

  /** frontend / backend directory of a device, with the domid its guest has now */
  paths(n: Name): DevicePaths {
    const d = this.device(n);
    const domid = this.sys.domidOf(d.guest);
    const hit = this.pathCache.get(n.text);
    if (hit !== undefined && hit.domid === domid) return hit;
    const kind = d.dev.kind;
    const frontend = `/local/domain/${domid}/device/${kind}/${d.dev.devid}`;
    const backend = `/local/domain/${d.dev.backendDom}/backend/${kind}/${domid}/${d.dev.devid}`;
    const p: DevicePaths = { domid, frontend, backend, frontendState: `${frontend}/state`, backendState: `${backend}/state` };
    this.pathCache.set(n.text, p);
    return p;
  }

  private node(path: string): string | undefined { return this.sys.em.world.xs.nodes.get(path)?.v; }

  /** Are both ends of device `name` Connected? */
  deviceConnected(n: Name): boolean {
    const p = this.paths(n);
    return this.node(p.frontendState) === '4' && this.node(p.backendState) === '4';
  }

  /**
   * deviceConnected, false before the device's guest has a domain. Asked at every
   * xenstore event: an exception (an Error and its stack) each time made boot 30% slower.
   */
  connectedIfBooted(n: Name): boolean {
    const d = this.topo.devices.get(n.text);
    if (d === undefined || typeof this.sys.em.world.objects.objs.get('kernels')?.[d.guest] !== 'number') return false;
    return this.deviceConnected(n);
  }

  counter(n: Name, counter: string): number {
    switch (counter) {
      case 'completed': case 'inflight': case 'replayed': case 'lost': case 'errors': {
        const d = this.device(n);
        return bioTally(this.sys.em.world.blk, d.guest, String(d.dev.devid))[counter];
      }
      case 'reconnects': return this.track.reconnects.get(n.text) ?? 0;
      default: {
        const d = this.device(n);
        const v = this.sys.em.world.objects.objs.get(`${d.guest}/netif/${d.dev.devid}`)?.[counter];
        if (typeof v !== 'number') throw new Error(`${n.text}: counter "${counter}" is not available for this device`);
        return v;
      }
    }
  }

  domainState(name: string): string {
    const domid = this.sys.em.world.objects.objs.get('kernels')?.[name];
    if (domid === -1) return 'saved';
    const d = typeof domid === 'number' ? this.sys.em.hv.domains.get(domid) : undefined;
    if (d === undefined) return 'shutdown';
    if (d.state === 'shutdown') {
      if (d.shutdownReason === SHUTDOWN.suspend) return 'suspended';
      if (d.shutdownReason === SHUTDOWN.crash) return 'crashed';
      return 'shutdown';
    }
    return 'running';
  }

  eval(c: Condition): Verdict {
    switch (c.kind) {
      case 'xenstore': {
        const v = c.path.resolved === null ? undefined : this.node(c.path.resolved);
        const eq = v === c.value;
        return { ok: c.op === '==' ? eq : !eq, actual: v === undefined ? `${c.path.text} does not exist` : `${c.path.text} = "${v}"` };
      }
      case 'xenstore-exists': {
        const there = c.path.resolved !== null && this.sys.em.world.xs.nodes.has(c.path.resolved);
        return { ok: there === c.exists, actual: `${c.path.text} ${there ? 'exists' : 'does not exist'}` };
      }
      case 'device-state': {
        const p = this.paths(c.device);
        const raw = this.node(c.end === 'frontend' ? p.frontendState : p.backendState);
        const st = raw === undefined ? 0 : Number(raw);
        return { ok: cmp(c.op, st, c.state), actual: `${c.device.text} ${c.end} is ${xenbus_strstate(st)} (${st})` };
      }
      case 'connected': {
        if (this.topo.devices.has(c.subject.text)) {
          const ok = this.deviceConnected(c.subject);
          return { ok, actual: `${c.subject.text} is ${ok ? '' : 'not '}connected` };
        }
        const devs = [...this.topo.devices].filter(([, d]) => d.guest === c.subject.text);
        const down = devs.filter(([name]) => !this.deviceConnected({ text: name, span: c.subject.span })).map(([name]) => name);
        return { ok: down.length === 0 && this.domainState(c.subject.text) === 'running', actual: down.length === 0 ? `${c.subject.text} is ${this.domainState(c.subject.text)}` : `not connected: ${down.join(', ')}` };
      }
      case 'counter': {
        const v = this.counter(c.device, c.counter);
        return { ok: cmp(c.op, v, c.value), actual: `${c.device.text} ${c.counter} = ${v}` };
      }
      case 'data': {
        const d = this.device(c.device);
        const disk = this.sys.em.world.disks.disks.get(`${d.guest}:${d.dev.kind === 'vbd' ? d.dev.vdev : ''}`);
        if (disk === undefined) return { ok: false, actual: `${c.device.text} has no backing disk` };
        const got = readSectors(disk, c.sector, c.count);
        let firstBad = -1;
        for (let i = 0; i < c.count && firstBad < 0; i++) {
          const seed = c.expected.kind === 'written' ? this.track.written.get(`${d.guest}/${d.dev.devid}`)?.get(c.sector + i) : patternSeed(c.expected, 0);
          const want = seed === undefined ? new Uint8Array(512) : patternBytes(seed, c.sector + i, 1);
          for (let b = 0; b < 512; b++) if (got[i * 512 + b] !== want[b]) { firstBad = c.sector + i; break; }
        }
        const same = firstBad < 0;
        return { ok: c.op === '==' ? same : !same, actual: same ? `sectors ${c.sector}..${c.sector + c.count - 1} hold the expected data` : `sector ${firstBad} differs` };
      }
      case 'domain-state': {
        const st = this.domainState(c.domain.text);
        return { ok: c.op === '==' ? st === c.state : st !== c.state, actual: `${c.domain.text} is ${st}` };
      }
      case 'domain-number': {
        const v = c.property === 'domid'
          ? this.sys.domidOf(c.domain.text)
          : Number(this.sys.em.world.objects.objs.get(c.domain.text)?.suspend_result ?? NaN);
        return { ok: cmp(c.op, v, c.value), actual: `${c.domain.text} ${c.property} = ${Number.isNaN(v) ? 'none yet' : v}` };
      }
      case 'no-violations': {
        const vs = this.violations(c.violation, c.subject);
        return { ok: vs.length === 0, actual: vs.length === 0 ? 'no violations' : vs.map((v) => `${v.cls}: ${v.msg}`).join('; ') };
      }
      case 'violation': {
        // asking whether requests were lost is asking now: the check otherwise runs at the end
        if (c.violation === 'request-lost') checkLostRequests(this.sys.em);
        const vs = this.violations(c.violation, c.subject);
        const ok = c.count === null ? vs.length > 0 : vs.length === c.count;
        return { ok, actual: `${vs.length} ${c.violation} violation${vs.length === 1 ? '' : 's'}${c.subject === null ? '' : ` on ${c.subject.text}`}` };
      }
    }
  }

  violations(cls: string | null, subject: Name | null): Violation[] {
    return this.sys.em.world.checks.violations.filter((v) => (cls === null || v.cls === cls) && (subject === null || this.concerns(v, subject.text)));
  }

  /** Does a violation concern a device or a domain of the scenario? */
  concerns(v: Violation, subject: string): boolean {
    const dev = this.topo.devices.get(subject);
    const data = (typeof v.data === 'object' && v.data !== null && !Array.isArray(v.data) ? v.data : {}) as { [k: string]: unknown };
    if (dev === undefined) {
      // a domain: its kernel's bios and devices
      if (typeof data.bio === 'number') return bioAt(this.sys.em.world.blk, data.bio)?.kern === subject;
      return v.msg.startsWith(`${subject}:`) || [...this.topo.devices].some(([name, d]) => d.guest === subject && this.concerns(v, name));
    }
    if (typeof data.bio === 'number') {
      const b = bioAt(this.sys.em.world.blk, data.bio);
      return b !== undefined && b.kern === dev.guest && b.dev === String(dev.dev.devid);
    }
    const devid = String(dev.dev.devid);
    for (const val of Object.values(data)) if (typeof val === 'string' && (val.endsWith(`/${devid}`) || val.includes(`/${devid}/`))) return true;
    return v.msg.includes(`/${devid}`) || v.msg.includes(` ${devid}`) || v.msg.includes(`${devid}:`);
  }
}
