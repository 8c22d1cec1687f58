// The `xen/...` requests of protocol.ts, for the extension's tree views, timeline and
// sequence diagram. Bodies are computed from the world at the current position.
import { describe } from '../emulator/timeline/describe';
import type { World, WorldEvent } from '../emulator/world';
import { XS_TYPE_NAMES } from '../emulator/xenstore/wire';
import type { Timeline } from './history';
import { devicesOf, grantsOf, portsOf, type DeviceNames } from './inspect';
import type {
  DevicesBody, EventChannelsBody, GrantsBody, SequenceBody, SequenceMessage, TimelineBody, TimelineEvent, XenstoreBody, XenstoreNodeInfo,
} from './protocol';
import { frameLine } from './stack';
import { type Args, UserError, optInt, optStr, reqStr } from './util';
import { xsChanges } from './xsevents';
import { childPath, xsPerms, xsText } from './xsview';

/** Bound on events scanned to tell which nodes changed since the previous stop. */
const CHANGED_SCAN = 500_000;

export class Views {
  /** clock value after each event, filled lazily (timeline times) */
  private times: number[] = [];
  private changedCache: { from: number; to: number; set: Set<string> | null } | null = null;

  constructor(private readonly tl: Timeline, private readonly names: () => DeviceNames) {}

  /** Paths written or removed between two positions (either order); null when too far apart. */
  changedBetween(a: number, b: number): Set<string> | null {
    const from = Math.min(a, b), to = Math.max(a, b);
    const c = this.changedCache;
    if (c !== null && c.from === from && c.to === to) return c.set;
    let set: Set<string> | null = new Set();
    if (to - from > CHANGED_SCAN) set = null;
    else for (let i = from; i < to; i++) for (const ch of xsChanges(this.tl.event(i))) set.add(ch.path);
    this.changedCache = { from, to, set };
    return set;
  }

  xenstore(a: Args, prevStop: number): XenstoreBody {
    const w = this.tl.world;
    const path = reqStr(a, 'path');
    const start = optInt(a, 'start', 0, 0);
    const count = optInt(a, 'count', 1000, 0, 100_000);
    const n = w.xs.nodes.get(path);
    if (n === undefined) return { node: null, children: [], total: 0 };
    const watched = new Set<string>();
    for (const c of w.xs.conns.values()) for (const wt of c.watches) watched.add(wt.path);
    const changed = this.changedBetween(prevStop, this.tl.position);
    const info = (p: string, name: string): XenstoreNodeInfo => {
      const x = w.xs.nodes.get(p)!;
      return { name, path: p, value: xsText(x.v), perms: xsPerms(x), childCount: x.ch.length, watched: watched.has(p), changed: changed?.has(p) ?? false };
    };
    const children = n.ch.slice(start, start + count).map((c) => info(childPath(path, c), c));
    return { node: info(path, path === '/' ? '/' : path.slice(path.lastIndexOf('/') + 1)), children, total: n.ch.length };
  }

  grants(a: Args): GrantsBody {
    const w = this.tl.world;
    const only = a.domid === undefined || a.domid === null ? undefined : optInt(a, 'domid', 0, 0);
    const domains: GrantsBody['domains'] = [];
    for (const d of w.hv.domains.values()) {
      if (only !== undefined && d.domid !== only) continue;
      domains.push({ domid: d.domid, name: d.name, nrFrames: d.grant.nrFrames, entries: grantsOf(w, d) });
    }
    return { domains };
  }

  eventChannels(a: Args): EventChannelsBody {
    const w = this.tl.world;
    const only = a.domid === undefined || a.domid === null ? undefined : optInt(a, 'domid', 0, 0);
    const domains: EventChannelsBody['domains'] = [];
    for (const d of w.hv.domains.values()) {
      if (only !== undefined && d.domid !== only) continue;
      domains.push({ domid: d.domid, name: d.name, ports: portsOf(d) });
    }
    return { domains };
  }

  devices(): DevicesBody {
    return { devices: devicesOf(this.tl.world, this.names()) };
  }

  /** Virtual time just after event i. */
  timeAt(i: number): number {
    const t = this.times;
    if (i < t.length) return t[i];
    let now = t.length === 0 ? 0 : t[t.length - 1];
    for (let k = t.length; k <= i; k++) {
      const e = this.tl.event(k);
      if (e.k === 'clock.advance') now = e.to;
      t.push(now);
    }
    return now;
  }

  private timelineEvent(w: World, i: number): TimelineEvent {
    const e = this.tl.event(i);
    const ev: TimelineEvent = { index: i, timeNs: this.timeAt(i), actor: actorName(w, e), kind: e.k, text: describe(e) };
    if (e.k === 'frame.push' && e.a === this.tl.scenarioActor) {
      const l = frameLine({ fn: e.fn, locals: {}, step: e.step ?? '', line: e.line });
      if (l !== undefined) ev.line = l;
    }
    return ev;
  }

  timeline(a: Args): TimelineBody {
    const w = this.tl.world;
    const total = this.tl.length;
    const start = optInt(a, 'start', 0, 0);
    const count = optInt(a, 'count', 100, 0, 10_000);
    const filter = optStr(a, 'filter');
    const events: TimelineEvent[] = [];
    if (filter === undefined || filter === '') {
      for (let i = start; i < Math.min(total, start + count); i++) events.push(this.timelineEvent(w, i));
    } else {
      const f = filter.toLowerCase();
      for (let i = start, scanned = 0; i < total && events.length < count && scanned < 2_000_000; i++, scanned++) {
        const e = this.tl.event(i);
        if (describe(e).toLowerCase().includes(f) || e.k.includes(f)) events.push(this.timelineEvent(w, i));
      }
    }
    return { total, position: this.tl.position, events };
  }

  sequence(a: Args): SequenceBody {
    const before = optInt(a, 'before', 20, 0, 1000), after = optInt(a, 'after', 20, 0, 1000);
    const w = this.tl.world;
    const cur = this.tl.position - 1;
    const lanes = new Set<string>(['xen', 'xenstored']);
    const lane = (dom: number): string => {
      const d = w.hv.domains.get(dom);
      const name = dom === 0 ? 'dom0' : d?.name ?? `dom${dom}`;
      lanes.add(name);
      return name;
    };
    const msg = (e: WorldEvent, i: number): SequenceMessage | null => {
      const actorDom = w.actors.actors[e.a ?? 0]?.dom ?? 0;
      switch (e.k) {
        case 'xs.msg': {
          const c = w.xs.conns.get(e.c);
          const d = lane(c?.dom ?? 0);
          const ty = XS_TYPE_NAMES[e.ty] ?? `type ${e.ty}`;
          const arg = e.data.split('\0')[0].slice(0, 48);
          return e.d === 0 ? { index: i, from: d, to: 'xenstored', label: `${ty} ${arg}`, current: false } : { index: i, from: 'xenstored', to: d, label: `${ty === 'WATCH_EVENT' ? 'watch' : ty} ${arg}`, current: false };
        }
        case 'evtchn.bit':
          if (e.which !== 'p' || e.v !== 1) return null;
          return { index: i, from: actorDom === 0x7ff0 ? 'xen' : lane(actorDom), to: lane(e.dom), label: `notify port ${e.port}`, current: false };
        case 'gnt.map':
          return { index: i, from: lane(e.mapper), to: lane(e.granter), label: `map gref ${e.ref}`, current: false };
        case 'dom.state':
          return { index: i, from: 'xen', to: lane(e.domid), label: `domain ${e.state}`, current: false };
        case 'violation':
          return { index: i, from: 'xen', to: 'xen', label: `VIOLATION ${e.cls}`, current: false };
        default:
          return null;
      }
    };
    const earlier: SequenceMessage[] = [];
    for (let i = cur; i >= 0 && earlier.length < before + 1 && cur - i < 200_000; i--) { const m = msg(this.tl.event(i), i); if (m !== null) earlier.push(m); }
    const later: SequenceMessage[] = [];
    for (let i = cur + 1; i < this.tl.length && later.length < after && i - cur < 200_000; i++) { const m = msg(this.tl.event(i), i); if (m !== null) later.push(m); }
    earlier.reverse();
    if (earlier.length > 0) earlier[earlier.length - 1].current = true;
    return { lanes: [...lanes], messages: [...earlier, ...later] };
  }
}

export function actorName(w: World, e: WorldEvent): string {
  return w.actors.actors[e.a ?? 0]?.name ?? `actor ${e.a ?? 0}`;
}

export function checkGoto(tl: Timeline, event: number): number {
  if (event < -1) throw new UserError(`event ${event}: events are numbered from 0 (-1 = the start)`, 3400);
  if (event >= tl.length) {
    throw new UserError(`event #${event} has not happened${tl.live !== null && !tl.liveDone ? ' yet: continue to produce it' : ''} (the log holds #0..#${tl.length - 1})`, 3401);
  }
  return event + 1;
}
