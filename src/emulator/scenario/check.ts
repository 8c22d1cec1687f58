// Checks that need the whole scenario: declared names and their kinds, domids, devids,
// limits that depend on the backend flavour, xenstore paths resolved against the domid a
// domain has at that line, and a domain lifecycle (warnings only: a direct xenstore
// write can change a domain behind the checker's back).

import type {
  BackendDecl, BackendKeySpans, BackendKeys, Condition, Declaration, DeviceDecl, DomainDecl, Name, PathRef, Span, Statement,
} from './ast';
import { isDeclaration, isDevice, keywordOf } from './ast';
import type { DiagnosticSink } from './diagnostics';
import { listWords, suggest } from './suggest';
import { DEVICE_COUNTERS, MAX_SEGMENTS_BY_BLKBACK, RING_LAYOUT_FIELDS, type BlkbackFlavour, type DeviceKind } from './vocabulary';

type SymbolKind = 'domain' | 'backend' | DeviceKind;

interface Sym {
  kind: SymbolKind;
  /** Null for the implicit dom0. */
  decl: Declaration | null;
}

type Life = 'declared' | 'running' | 'suspended' | 'saved' | 'off' | 'unknown';

const WHAT: Readonly<Record<SymbolKind, string>> = {
  domain: 'a guest domain', backend: 'a backend domain', vbd: 'a vbd', vif: 'a vif', console: 'a console',
};

/** Where the statement keyword is (the whole line for an invalid one). */
function keywordSpan(s: Statement): Span {
  const kw = keywordOf(s);
  return { line: s.line, col: s.col, endCol: kw === '' ? s.endCol : s.col + kw.length };
}

class Checker {
  private readonly symbols = new Map<string, Sym>([['dom0', { kind: 'backend', decl: null }]]);
  private readonly domid = new Map<string, number>([['dom0', 0]]);
  private readonly life = new Map<string, { state: Life; line: number }>();
  private readonly deviceBackend = new Map<string, string>();
  private readonly labels = new Map<string, number>();
  private highestDomid = 0;
  private guests: string[] | undefined;

  constructor(private readonly sink: DiagnosticSink) {}

  run(statements: Statement[]): void {
    const decls = statements.filter(isDeclaration);
    this.declare(statements, decls);
    this.assignDomids(decls);
    for (const d of decls) if (isDevice(d)) this.checkDevice(d);
    this.assignVifHandles(decls);
    if (!decls.some((d) => d.kind === 'domain')) {
      const first = statements[0];
      const at = first === undefined ? { line: 1, col: 1, endCol: 1 } : keywordSpan(first);
      this.sink.error(at, 'no guest domain declared; a scenario starts with e.g. `domain web kernel linux` and `vbd xvda on web`');
    }
    for (const s of statements) {
      this.checkLabel(s);
      if (!isDeclaration(s)) this.checkAction(s);
    }
  }

  // ----- declarations

  private declare(statements: Statement[], decls: Declaration[]): void {
    const firstAction = statements.find((s) => !isDeclaration(s) && s.kind !== 'invalid');
    for (const d of decls) {
      if (firstAction !== undefined && d.line > firstAction.line) {
        this.sink.error(keywordSpan(d), `declarations come before the first action (\`${keywordOf(firstAction)}\` on line ${firstAction.line}); move this line up`);
      }
      const name = d.name.text;
      if (name === '') continue;
      const prev = this.symbols.get(name);
      if (prev !== undefined && !(prev.decl === null && d.kind === 'backend')) {
        const where = prev.decl === null ? 'names the control domain' : `is already declared on line ${prev.decl.line}`;
        this.sink.error(d.name.span, `\`${name}\` ${where}; choose another name`);
        continue;
      }
      this.symbols.set(name, { kind: d.kind, decl: d });
      if (d.kind === 'domain') this.life.set(name, { state: 'declared', line: d.line });
    }
  }

  private assignDomids(decls: Declaration[]): void {
    const owners = new Map<number, string>([[0, 'dom0']]);
    const domains = decls.filter((d): d is DomainDecl | BackendDecl => (d.kind === 'domain' || d.kind === 'backend') && this.symbols.get(d.name.text)?.decl === d);
    for (const d of domains) {
      if (d.domid < 0 || d.name.text === 'dom0') continue;
      const at = d.domidSpan ?? d.name.span;
      const owner = owners.get(d.domid);
      if (d.kind === 'domain' && d.domid === 0) this.sink.error(at, 'domid 0 is dom0\'s; a guest domain needs 1 or more');
      else if (owner !== undefined) this.sink.error(at, `domid ${d.domid} is already used by \`${owner}\``);
      else owners.set(d.domid, d.name.text);
    }
    let next = 1;
    for (const d of domains) {
      if (d.domid < 0) {
        while (owners.has(next)) next++;
        d.domid = next;
        owners.set(next, d.name.text);
      }
      this.domid.set(d.name.text, d.domid);
    }
    this.highestDomid = Math.max(0, ...owners.keys());
  }

  private checkDevice(d: DeviceDecl): void {
    this.resolve(d.domain, ['domain'], `a ${d.kind}`);
    const backend = this.resolve({ text: d.backend, span: d.backendSpan ?? d.name.span }, ['backend'], `the backend of a ${d.kind}`);
    if (backend !== null) this.deviceBackend.set(d.name.text, d.backend);
    if (d.kind !== 'vbd') return;
    for (const other of this.devicesOf(d.domain.text)) {
      if (other === d) break;
      if (other.kind === 'vbd' && other.devid === d.devid) this.sink.error(d.name.span, `${d.domain.text} already has a vbd with devid ${d.devid} (\`${other.name.text}\`, line ${other.line})`);
    }
    this.checkLimits(d.name, d.backendKeys, d.backendKeySpans, {});
  }

  private assignVifHandles(decls: Declaration[]): void {
    const used = new Map<string, Set<number>>();
    const vifs = decls.filter((d) => d.kind === 'vif');
    for (const v of vifs) {
      if (v.handle < 0) continue;
      const set = used.get(v.domain.text) ?? new Set<number>();
      if (set.has(v.handle)) this.sink.error(v.name.span, `${v.domain.text} already has a vif with handle ${v.handle}`);
      set.add(v.handle);
      used.set(v.domain.text, set);
    }
    for (const v of vifs) {
      if (v.handle >= 0) continue;
      const set = used.get(v.domain.text) ?? new Set<number>();
      let h = 0;
      while (set.has(h)) h++;
      v.handle = h;
      set.add(h);
      used.set(v.domain.text, set);
    }
  }

  /** Limits that depend on which blkback serves the device. */
  private checkLimits(device: Name, keys: BackendKeys, spans: BackendKeySpans, base: BackendKeys): void {
    const backend = this.deviceBackend.get(device.text) ?? 'dom0';
    const decl = this.symbols.get(backend)?.decl;
    const flavour: BlkbackFlavour = decl?.kind === 'backend' ? decl.blkback : 'linux';
    const segs = keys['max-request-segments'];
    const max = MAX_SEGMENTS_BY_BLKBACK[flavour];
    if (segs !== undefined && segs > max) {
      this.sink.error(spans['max-request-segments'] ?? device.span,
        `${flavour} blkback takes at most ${max} segments per request, got ${segs}; use feature-max-indirect-segments for larger requests, or \`blkback freebsd\``);
    }
    const order = keys['max-ring-page-order'] ?? base['max-ring-page-order'];
    const requests = keys['max-requests'];
    if (order !== undefined && requests !== undefined && requests > 32 << order) {
      this.sink.warning(spans['max-requests'] ?? device.span,
        `max-requests ${requests} is more than a ${1 << order}-page ring holds (${32 << order}); the frontend will clamp it`);
    }
  }

  private devicesOf(domain: string): DeviceDecl[] {
    const out: DeviceDecl[] = [];
    for (const s of this.symbols.values()) if (s.decl !== null && isDevice(s.decl) && s.decl.domain.text === domain) out.push(s.decl);
    return out.sort((a, b) => a.line - b.line);
  }

  // ----- names

  /** Finds a declared name of one of `kinds`, or reports why not. */
  private resolve(name: Name, kinds: readonly SymbolKind[], who: string): Sym | null {
    if (name.text === '') return null;
    const sym = this.symbols.get(name.text);
    if (sym === undefined) {
      const candidates = [...this.symbols].filter(([, s]) => kinds.includes(s.kind)).map(([n]) => n);
      const noun = kinds.every((k) => k === 'domain' || k === 'backend') ? 'domain' : kinds.includes('domain') || kinds.includes('backend') ? 'device or domain' : 'device';
      const known = candidates.length > 0 ? `; declared: ${candidates.join(', ')}` : '; declare it first';
      this.sink.error(name.span, `no ${noun} named \`${name.text}\`${known}`, suggest(name.text, candidates));
      return null;
    }
    if (!kinds.includes(sym.kind)) {
      this.sink.error(name.span, `\`${name.text}\` is ${WHAT[sym.kind]}; ${who} needs ${listWords(kinds.map((k) => WHAT[k]))}`);
      return null;
    }
    return sym;
  }

  private device(name: Name, kinds: readonly DeviceKind[], who: string): DeviceDecl | null {
    const sym = this.resolve(name, kinds, who);
    return sym?.decl !== null && sym?.decl !== undefined && isDevice(sym.decl) ? sym.decl : null;
  }

  private checkLabel(s: Statement): void {
    if (s.label === null) return;
    const prev = this.labels.get(s.label.text);
    if (prev !== undefined) this.sink.error(s.label.span, `label \`${s.label.text}\` is already used on line ${prev}`);
    else this.labels.set(s.label.text, s.line);
  }

  // ----- lifecycle (warnings)

  private transition(domain: Name, from: readonly Life[], to: Life | null, what: string): void {
    const cur = this.life.get(domain.text);
    if (cur === undefined) return;
    if (cur.state !== 'unknown' && !from.includes(cur.state)) {
      this.sink.warning(domain.span, `${domain.text} ${describeLife(cur.state, cur.line)}; ${what}`);
    }
    if (to !== null) this.life.set(domain.text, { state: to, line: domain.span.line });
  }

  /** Guest I/O needs its domain booted (suspended is fine: the I/O waits). */
  private mustRun(device: DeviceDecl | null, at: Span, who: string): void {
    if (device === null) return;
    const cur = this.life.get(device.domain.text);
    if (cur === undefined || cur.state === 'unknown' || cur.state === 'running' || cur.state === 'suspended') return;
    this.sink.warning(at, `${device.domain.text} ${describeLife(cur.state, cur.line)}; ${who} needs it running`);
  }

  // ----- actions

  private checkAction(s: Statement): void {
    switch (s.kind) {
      case 'boot': {
        const targets = s.domains.length > 0 ? s.domains : [...this.life.keys()].map((text) => ({ text, span: keywordSpan(s) }));
        for (const d of targets) {
          if (s.domains.length > 0 && this.resolve(d, ['domain'], '`boot`') === null) continue;
          this.transition(d, ['declared', 'off'], 'running', `boot it again only after a shutdown`);
        }
        return;
      }
      case 'suspend':
        if (this.resolve(s.domain, ['domain'], '`suspend`') !== null) this.transition(s.domain, ['running'], 'suspended', 'only a running domain can be suspended');
        return;
      case 'checkpoint':
        if (this.resolve(s.domain, ['domain'], '`checkpoint`') !== null) this.transition(s.domain, ['running'], 'running', 'only a running domain can be checkpointed');
        return;
      case 'save':
        if (this.resolve(s.domain, ['domain'], '`save`') !== null) this.transition(s.domain, ['running', 'suspended'], 'saved', 'only a running or suspended domain can be saved');
        return;
      case 'resume':
        if (this.resolve(s.domain, ['domain'], '`resume`') !== null) this.transition(s.domain, ['suspended'], 'running', `suspend it first (\`suspend ${s.domain.text}\`)`);
        return;
      case 'restore':
      case 'migrate':
        this.checkMove(s);
        return;
      case 'shutdown':
        if (this.resolve(s.domain, ['domain'], '`shutdown`') !== null) {
          this.transition(s.domain, ['running'], s.reason === 'reboot' ? 'running' : 'off', 'only a running domain can act on control/shutdown');
        }
        return;
      case 'io': {
        const d = this.device(s.device, ['vbd'], `\`${s.op}\``);
        this.mustRun(d, s.device.span, `\`${s.op}\``);
        if (d?.kind !== 'vbd') return;
        const last = s.sector + (s.repeat - 1) * s.stride + s.count - 1;
        if (last >= d.sectors) this.sink.error(s.device.span, `sectors ${s.sector}..${last} go past the end of ${d.name.text} (${d.sectors} sectors)`);
        if (s.op === 'write' && d.mode === 'r') this.sink.warning(s.device.span, `${d.name.text} is read-only (mode r); the backend will fail these writes`);
        return;
      }
      case 'hold':
      case 'release':
        this.device(s.device, ['vbd'], `\`${s.kind}\``);
        return;
      case 'packets': {
        const d = this.device(s.device, ['vif'], `\`${s.direction}\``);
        this.mustRun(d, s.device.span, `\`${s.direction}\``);
        return;
      }
      case 'drop-event':
        this.device(s.device, ['vbd', 'vif', 'console'], '`drop event`');
        return;
      case 'backend-fault':
        this.resolve(s.target, ['vbd', 'vif', 'console', 'backend'], `\`${s.action} backend\``);
        return;
      case 'corrupt': {
        const d = this.device(s.device, ['vbd', 'vif'], '`corrupt`');
        if (d === null) return;
        if (d.kind === 'vbd' && s.ring !== undefined) this.sink.error(s.device.span, `\`ring ${s.ring}\` is for a vif; ${s.device.text} is a vbd, with one ring`);
        const layout = d.kind === 'vbd' ? 'vbd' : s.ring ?? 'tx';
        const field = s.target.kind === 'slot' ? s.target.field : null;
        if (field === null || s.target.kind !== 'slot') return;
        const request = layout === 'vbd' ? 'a blkif_request' : `a netif_${layout}_request`;
        if (!RING_LAYOUT_FIELDS[layout].includes(field)) this.sink.error(s.device.span, `\`${field}\` is not a field of ${request} (${listWords(RING_LAYOUT_FIELDS[layout])})`);
        else if (layout !== 'vbd' && field === 'id' && (s.target.value ?? 0) > 0xffff) this.sink.error(s.device.span, `the id of ${request} is 16 bits; ${s.target.value} does not fit`);
        return;
      }
      case 'fail-hypercall':
        if (s.domain !== null) this.resolve(s.domain, ['domain', 'backend'], '`in`');
        return;
      case 'xenstore-write':
      case 'xenstore-rm':
        this.resolvePath(s.path);
        this.touchControl(s.path);
        return;
      case 'delay':
        if (s.device !== null) this.device(s.device, ['vbd', 'vif'], `\`delay ${s.what}\``);
        return;
      case 'wait-until':
      case 'expect':
        this.checkCondition(s.condition, s.kind === 'expect' ? '`expect`' : '`wait until`');
        if (s.kind === 'wait-until' && s.condition.kind === 'domain-state') this.life.set(s.condition.domain.text, { state: 'unknown', line: s.line });
        return;
      case 'wait':
      case 'invalid':
      case 'domain':
      case 'backend':
      case 'vbd':
      case 'vif':
      case 'console':
        return;
    }
  }

  private checkMove(s: Extract<Statement, { kind: 'restore' | 'migrate' }>): void {
    if (this.resolve(s.domain, ['domain'], `\`${s.kind}\``) === null) return;
    if (s.kind === 'restore') this.transition(s.domain, ['saved'], 'running', `save it first (\`save ${s.domain.text}\`)`);
    else this.transition(s.domain, ['running', 'suspended'], 'running', 'only a running or suspended domain can be migrated');
    if (s.domid >= 0) {
      const owner = [...this.domid].find(([n, id]) => id === s.domid && n !== s.domain.text);
      if (owner !== undefined) this.sink.error(s.domidSpan ?? s.domain.span, `domid ${s.domid} is in use by \`${owner[0]}\``);
    } else {
      s.domid = this.highestDomid + 1;
    }
    this.highestDomid = Math.max(this.highestDomid, s.domid);
    this.domid.set(s.domain.text, s.domid);
    const devices = this.devicesOf(s.domain.text);
    if (s.backend !== null && this.resolve(s.backend, ['backend'], '`backend`') !== null) {
      for (const d of devices) this.deviceBackend.set(d.name.text, s.backend.text);
    }
    for (const ch of s.changes) {
      const d = this.device(ch.device, ['vbd'], '`with`');
      if (d === null) continue;
      if (d.domain.text !== s.domain.text) {
        this.sink.error(ch.device.span, `\`${ch.device.text}\` is a device of ${d.domain.text}, not of ${s.domain.text}`);
        continue;
      }
      if (d.kind === 'vbd') this.checkLimits(ch.device, ch.backendKeys, ch.backendKeySpans, d.backendKeys);
    }
  }

  /** Writing under a domain's control/ may suspend or stop it: stop guessing its state. */
  private touchControl(path: PathRef): void {
    for (const [name, id] of this.domid) {
      if (path.resolved?.startsWith(`/local/domain/${id}/control`) === true) this.life.set(name, { state: 'unknown', line: path.span.line });
    }
  }

  private resolvePath(p: PathRef): void {
    if (p.text.startsWith('/')) {
      p.resolved = p.text;
      return;
    }
    const colon = p.text.indexOf(':');
    const rel = colon >= 0 ? p.text.slice(colon + 1) : p.text;
    if (p.domain !== null) {
      if (this.resolve(p.domain, ['domain', 'backend'], 'a path prefix') === null) return;
      p.resolved = `/local/domain/${this.domid.get(p.domain.text) ?? 0}/${rel}`;
      return;
    }
    // symbols are all declared before the first action: list the guests once
    const guests = this.guests ??= [...this.symbols].filter(([, s]) => s.kind === 'domain').map(([n]) => n);
    if (guests.length === 1) {
      p.resolved = `/local/domain/${this.domid.get(guests[0]) ?? 0}/${rel}`;
    } else if (guests.length > 1) {
      this.sink.error(p.span, `\`${p.text}\` is relative, and there are ${guests.length} guest domains; say whose: \`${guests[0]}:${p.text}\``, `${guests[0]}:${p.text}`);
    }
  }

  private checkCondition(c: Condition, who: string): void {
    switch (c.kind) {
      case 'xenstore':
      case 'xenstore-exists':
        this.resolvePath(c.path);
        return;
      case 'device-state':
        this.device(c.device, ['vbd', 'vif'], `\`${c.end}\``);
        return;
      case 'connected':
        this.resolve(c.subject, ['vbd', 'vif', 'console', 'domain'], '`connected`');
        return;
      case 'counter': {
        const kinds = DEVICE_COUNTERS.find((k) => k.name === c.counter)?.kinds ?? [];
        this.device(c.device, kinds, `\`${c.counter}\``);
        return;
      }
      case 'data': {
        const d = this.device(c.device, ['vbd'], '`data`');
        const last = c.sector + c.count - 1;
        if (d?.kind === 'vbd' && last >= d.sectors) this.sink.error(c.device.span, `sectors ${c.sector}..${last} go past the end of ${d.name.text} (${d.sectors} sectors)`);
        return;
      }
      case 'domain-state':
        this.resolve(c.domain, ['domain'], '`state`');
        return;
      case 'domain-number':
        this.resolve(c.domain, ['domain'], `\`${c.property}\``);
        return;
      case 'no-violations':
      case 'violation':
        if (c.subject !== null) this.resolve(c.subject, ['domain', 'backend', 'vbd', 'vif', 'console'], who);
        return;
    }
  }
}

function describeLife(state: Life, line: number): string {
  switch (state) {
    case 'declared': return 'is not booted yet';
    case 'running': return `is already running (since line ${line})`;
    case 'suspended': return `is suspended (line ${line})`;
    case 'saved': return `was saved on line ${line}`;
    case 'off': return `was shut down on line ${line}`;
    case 'unknown': return 'is in an unknown state';
  }
}

export function check(statements: Statement[], sink: DiagnosticSink): void {
  new Checker(sink).run(statements);
}
