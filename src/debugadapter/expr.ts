// The condition language of breakpoints, logpoints and `watch` expressions (documented in
// docs/debugging.md). Small on purpose: comparisons and boolean operators over the event
// that matched and the world just after it.
//   event.kind == "xs.write" && event.path contains "/state"
//   xs("device/vbd/51712/state") == "Connected"     (xenstore values compare with state names)
//   obj("lx/xenbus/vbd/51712/info").rsp_cons >= 4 and actor == "lx/xenwatch"
import type { Value } from '../emulator/core/actor';
import type { World, WorldEvent } from '../emulator/world';
import { describe } from '../emulator/timeline/describe';
import { UserError } from './util';
import { parseXenbusState, resolveXsPath } from './xsview';

export type XVal = Value | undefined;

export interface EvalCtx {
  world: World;
  /** the event that matched (absent for a watch expression: the current event) */
  event?: WorldEvent;
  index: number;
  hits: number;
}

type Node =
  | { t: 'lit'; v: XVal }
  | { t: 'id'; name: string }
  | { t: 'call'; fn: string; args: Node[] }
  | { t: 'member'; obj: Node; key: Node }
  | { t: 'not'; x: Node }
  | { t: 'bin'; op: string; l: Node; r: Node };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?|0x[0-9a-fA-F]+)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(==|!=|<=|>=|&&|\|\||[<>!().,[\]])|([A-Za-z_$][\w$]*))/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let p = 0;
  while (p < src.length) {
    if (/^\s*$/.test(src.slice(p))) break;
    TOKEN.lastIndex = p;
    const m = TOKEN.exec(src);
    if (m === null) throw new UserError(`condition: unexpected "${src.slice(p).trim().slice(0, 20)}" at column ${p + 1}`);
    out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
    p = TOKEN.lastIndex;
  }
  return out;
}

const WORD_OPS: Record<string, string> = { and: '&&', or: '||', contains: 'contains', matches: 'matches' };

class Parser {
  private p = 0;
  constructor(private readonly toks: string[]) {}
  private peek(): string | undefined { return this.toks[this.p]; }
  private take(): string {
    const t = this.toks[this.p++];
    if (t === undefined) throw new UserError('condition: unexpected end');
    return t;
  }
  private expect(t: string): void {
    const got = this.take();
    if (got !== t) throw new UserError(`condition: expected "${t}", found "${got}"`);
  }
  parse(): Node {
    const n = this.or();
    if (this.p < this.toks.length) throw new UserError(`condition: unexpected "${this.toks[this.p]}"`);
    return n;
  }
  private op(): string | undefined { const t = this.peek(); return t === undefined ? undefined : WORD_OPS[t] ?? t; }
  private or(): Node {
    let l = this.and();
    while (this.op() === '||') { this.p++; l = { t: 'bin', op: '||', l, r: this.and() }; }
    return l;
  }
  private and(): Node {
    let l = this.not();
    while (this.op() === '&&') { this.p++; l = { t: 'bin', op: '&&', l, r: this.not() }; }
    return l;
  }
  private not(): Node {
    if (this.peek() === '!' || this.peek() === 'not') { this.p++; return { t: 'not', x: this.not() }; }
    return this.cmp();
  }
  private cmp(): Node {
    const l = this.postfix();
    const op = this.op();
    if (op !== undefined && ['==', '!=', '<', '<=', '>', '>=', 'contains', 'matches'].includes(op)) {
      this.p++;
      return { t: 'bin', op, l, r: this.postfix() };
    }
    return l;
  }
  private postfix(): Node {
    let n = this.atom();
    for (;;) {
      if (this.peek() === '.') { this.p++; n = { t: 'member', obj: n, key: { t: 'lit', v: this.take() } }; }
      else if (this.peek() === '[') { this.p++; const key = this.or(); this.expect(']'); n = { t: 'member', obj: n, key }; }
      else return n;
    }
  }
  private atom(): Node {
    const t = this.take();
    if (t === '(') { const n = this.or(); this.expect(')'); return n; }
    if (/^(\d|0x)/.test(t)) return { t: 'lit', v: Number(t) };
    if (t[0] === '"' || t[0] === "'") return { t: 'lit', v: t.slice(1, -1).replace(/\\(.)/g, '$1') };
    if (t === 'true' || t === 'false') return { t: 'lit', v: t === 'true' };
    if (t === 'null') return { t: 'lit', v: null };
    if (!/^[A-Za-z_$]/.test(t)) throw new UserError(`condition: unexpected "${t}"`);
    if (this.peek() === '(') {
      this.p++;
      const args: Node[] = [];
      if (this.peek() !== ')') {
        args.push(this.or());
        while (this.peek() === ',') { this.p++; args.push(this.or()); }
      }
      this.expect(')');
      if (!(t in FUNCS)) throw new UserError(`condition: unknown function "${t}" (known: ${Object.keys(FUNCS).join(', ')})`);
      return { t: 'call', fn: t, args };
    }
    if (!NAMES.includes(t)) throw new UserError(`condition: unknown name "${t}" (known: ${NAMES.join(', ')}; quote strings)`);
    return { t: 'id', name: t };
  }
}

const NAMES = ['event', 'kind', 'index', 'actor', 'dom', 'path', 'value', 'hits', 'time', 'text'];

const FUNCS: Record<string, (c: EvalCtx, a: XVal[]) => XVal> = {
  /** xs(path): the node's value, null when absent */
  xs: (c, a) => {
    const p = resolveXsPath(c.world, String(a[0] ?? ''));
    return p === undefined ? null : c.world.xs.nodes.get(p)?.v ?? null;
  },
  /** exists(path): the xenstore node exists */
  exists: (c, a) => { const p = resolveXsPath(c.world, String(a[0] ?? '')); return p !== undefined && c.world.xs.nodes.has(p); },
  /** obj(id): a driver-state object ("lx/xenbus/vbd/51712/info") */
  obj: (c, a) => (c.world.objects.objs.get(String(a[0])) as Value | undefined) ?? null,
  /** domain(domid): { name, state, pages } */
  domain: (c, a) => {
    const d = c.world.hv.domains.get(Number(a[0]));
    return d === undefined ? null : { domid: d.domid, name: d.name, state: d.state, pages: d.nrPages };
  },
  /** violations(): how many invariant violations so far */
  violations: (c) => c.world.checks.violations.length,
  len: (_c, a) => { const v = a[0]; return typeof v === 'string' || Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0; },
};

function ident(c: EvalCtx, name: string): XVal {
  const e = c.event;
  switch (name) {
    case 'hits': return c.hits;
    case 'index': return c.index;
    case 'time': return c.world.clock.now;
    case 'event': return e === undefined ? null : { ...(e as unknown as { [k: string]: Value }), kind: e.k, index: c.index, u: null };
    case 'kind': return e?.k ?? null;
    case 'actor': return e === undefined ? null : c.world.actors.actors[e.a ?? 0]?.name ?? null;
    case 'dom': return e === undefined ? null : c.world.actors.actors[e.a ?? 0]?.dom ?? null;
    case 'text': return e === undefined ? null : describe(e);
    case 'path': { const x = e as unknown as { path?: string } | undefined; return x?.path ?? null; }
    case 'value': { const x = e as unknown as { v?: Value; value?: Value } | undefined; return x?.v ?? x?.value ?? null; }
    default: return undefined;
  }
}

function num(v: XVal): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.replace(/\0+$/, '');
    if (/^-?(\d+(\.\d+)?|0x[0-9a-f]+)$/i.test(t)) return Number(t);
    return parseXenbusState(t);
  }
  return undefined;
}

function eq(a: XVal, b: XVal): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return (a ?? null) === (b ?? null);
  if (typeof a === 'string' && typeof b === 'string' && a.replace(/\0+$/, '') === b.replace(/\0+$/, '')) return true;
  const x = num(a), y = num(b);
  if (x !== undefined && y !== undefined) return x === y;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function truthy(v: XVal): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === '');
}

function ev(n: Node, c: EvalCtx): XVal {
  switch (n.t) {
    case 'lit': return n.v;
    case 'id': return ident(c, n.name);
    case 'call': return FUNCS[n.fn](c, n.args.map((a) => ev(a, c)));
    case 'member': {
      const o = ev(n.obj, c), k = ev(n.key, c);
      if (o === null || o === undefined || typeof o !== 'object') return null;
      return (o as { [k: string]: Value })[String(k)] ?? null;
    }
    case 'not': return !truthy(ev(n.x, c));
    case 'bin': {
      if (n.op === '&&') return truthy(ev(n.l, c)) && truthy(ev(n.r, c));
      if (n.op === '||') return truthy(ev(n.l, c)) || truthy(ev(n.r, c));
      const l = ev(n.l, c), r = ev(n.r, c);
      switch (n.op) {
        case '==': return eq(l, r);
        case '!=': return !eq(l, r);
        case 'contains': return typeof l === 'string' ? l.includes(String(r)) : Array.isArray(l) ? l.some((x) => eq(x, r)) : false;
        case 'matches': { try { return new RegExp(String(r)).test(String(l)); } catch { throw new UserError(`condition: bad regular expression ${String(r)}`); } }
        default: {
          const x = num(l), y = num(r);
          if (x === undefined || y === undefined) return false;
          return n.op === '<' ? x < y : n.op === '<=' ? x <= y : n.op === '>' ? x > y : x >= y;
        }
      }
    }
  }
}

export interface Expr { src: string; run(c: EvalCtx): XVal }

/** Parse an expression; throws UserError with the reason. */
export function compile(src: string): Expr {
  const tree = new Parser(tokenize(src)).parse();
  return { src, run: (c) => ev(tree, c) };
}

/** `{expr}` holes of a logpoint message. */
export function compileTemplate(msg: string): (c: EvalCtx) => string {
  const parts: (string | Expr)[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(msg); m !== null; m = re.exec(msg)) {
    parts.push(msg.slice(last, m.index));
    parts.push(compile(m[1]));
    last = m.index + m[0].length;
  }
  parts.push(msg.slice(last));
  return (c) => parts.map((p) => {
    if (typeof p === 'string') return p;
    try { const v = p.run(c); return typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined'; } catch (e) { return `<${(e as Error).message}>`; }
  }).join('');
}

/** Hit conditions: "5" or ">= 5" (from the 5th hit on), "== 5", "> 5", "% 5" (every 5th). */
export function compileHit(src: string): (hits: number) => boolean {
  const m = /^\s*(>=|==|>|%|<=|<)?\s*(\d+)\s*$/.exec(src);
  if (m === null) throw new UserError(`hit count "${src}": write N, >= N, == N, > N or % N`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '==': return (h) => h === n;
    case '>': return (h) => h > n;
    case '<': return (h) => h < n;
    case '<=': return (h) => h <= n;
    case '%': return (h) => n > 0 && h % n === 0;
    default: return (h) => h >= n;
  }
}
