// A guest talking to xenstored over a real xenstore_domain_interface page and event
// channel: the toolstack introduces it (grant ref 1, store port), the guest's xenbus
// client writes requests into the req ring and reads replies and watch events back.
import { p2m } from '../../../src/emulator/hypervisor/state';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emulator } from '../../../src/emulator/emulator';
import type { Thread } from '../../../src/emulator/core/scheduler';
import { waitFor } from '../../../src/emulator/core/scheduler';
import { evtchn_alloc_unbound } from '../../../src/emulator/hypervisor/event_channel';
import { gnttab_grant_foreign_access_ref } from '../../../src/emulator/hypervisor/grant_table';
import { readU32 } from '../../../src/emulator/hypervisor/memory';
import { type Gen, XsClient, type XsErr, isErr } from '../../../src/emulator/xenbus/xs';
import { LocalTransport } from '../../../src/emulator/xenstore/local';
import { DOM_EXC_KEY, spawnXenstored } from '../../../src/emulator/xenstore/ring';
import { RING_REQ_CONS, RING_REQ_PROD, RING_RSP_CONS, RING_RSP_PROD } from '../../../src/emulator/xenstore/ring_layout';
import { Xenstored } from '../../../src/emulator/xenstore/runtime';
import { RingTransport, xb_init_comms } from '../../../src/emulator/xenstore/xenbus_xs';
import { XS_INTRODUCE, XS_RELEASE } from '../../../src/emulator/xenstore/wire';

const STORE_PFN = 2;
/** emulators whose toolstack finished (a signal nobody waits for yet is lost) */
const ready = new WeakSet<Emulator>();

function world(seed = 1) {
  const em = new Emulator({ seed });
  em.emit({ k: 'dom.create', domid: 0, name: 'dom0', privileged: true, vcpus: 1, nrPages: 8, mfnBase: em.hv.nextMfn });
  em.emit({ k: 'dom.create', domid: 5, name: 'guest', privileged: false, vcpus: 1, nrPages: 8, mfnBase: em.hv.nextMfn });
  const port = evtchn_alloc_unbound(em, 0, 5, 0);
  em.emit({ k: 'gnt.setup', dom: 5, frames: 1 });
  gnttab_grant_foreign_access_ref(em, 5, 1, 0, p2m(em.hv.domains.get(5)!, STORE_PFN), false);
  const xsd = new Xenstored(em, { frames: true });
  spawnXenstored(em, xsd);
  const tool = new XsClient(new LocalTransport(xsd), 'dom0');
  return { em, xsd, tool, port };
}

function run(em: Emulator, ...bodies: [string, number, () => Thread][]): void {
  for (const [name, dom, body] of bodies) em.spawn(name, name === 'toolstack' ? 'toolstack' : 'guest', dom, body);
  const r = em.run({ maxSteps: 200000 });
  assert.equal(r.reason, 'idle');
}

/** The toolstack's XS_INTRODUCE of dom5: its store page's mfn and the store port. */
function* introduce(em: Emulator, tool: XsClient, port: number): Gen<string | XsErr> {
  const mfn = p2m(em.hv.domains.get(5)!, STORE_PFN);
  return yield* tool.talk(XS_INTRODUCE, 0, `5\0${mfn}\0${port}\0`);
}

/** The guest's home directory, owned by the guest. */
function* makeHome(tool: XsClient): Gen<void> {
  yield* tool.mkdir('/local/domain/5');
  yield* tool.setPerms('/local/domain/5', ['n5']);
}

/** The toolstack is done: the guest may connect. */
function letGuestIn(em: Emulator): void {
  ready.add(em);
  em.signal('introduced');
}

/** The guest, once let in: xb_init_comms on its store page, and a client over the ring. */
function* guestClient(em: Emulator, port: number): Gen<XsClient> {
  while (!ready.has(em)) yield waitFor('introduced');
  xb_init_comms(em, 5, STORE_PFN, port);
  return new XsClient(new RingTransport(em, 5), 'dom5');
}

test('a guest reads, writes, lists and watches over its ring; replies match by req_id', () => {
  const { em, tool, port } = world();
  const log: string[] = [];
  run(em,
    ['toolstack', 0, function* (): Thread {
      assert.equal(yield* introduce(em, tool, port), 'OK\0');
      yield* makeHome(tool);
      yield* tool.write('/local/domain/5/name', 'guest');
      letGuestIn(em);
    }],
    ['guest', 5, function* (): Thread {
      const xs = yield* guestClient(em, port);
      em.spawn('xenwatch', 'guest', 5, () => xs.xenwatch_thread());
      log.push(`read ${yield* xs.read('name')}`);
      assert.equal(yield* xs.watch('data', 'tok1', (p, t) => { log.push(`event ${p} ${t}`); }), undefined);
      // over the node-size quota for a guest (24 + 8 + 3000 >= 2048), then a value that fits
      assert.deepEqual(yield* xs.write('data/x', 'v'.repeat(3000)), { err: 'ENOSPC' });
      assert.equal(yield* xs.write('data/x', 'v'.repeat(2000)), undefined);
      log.push(`len ${((yield* xs.read('data/x')) as string).length}`);
      log.push(`dir ${((yield* xs.directory('data')) as string[]).join(',')}`);
      const e = yield* xs.read('/tool');
      log.push(`tool ${isErr(e) ? e.err : e}`);
    }]);
  assert.deepEqual(log, ['read guest', 'event data tok1', 'event data/x tok1', 'len 2000', 'dir x', 'tool EACCES']);
  // the page's indices moved by whole messages; everything was consumed
  const hv = em.hv;
  assert.equal(readU32(hv, 5, STORE_PFN, RING_REQ_CONS), readU32(hv, 5, STORE_PFN, RING_REQ_PROD));
  assert.equal(readU32(hv, 5, STORE_PFN, RING_RSP_CONS), readU32(hv, 5, STORE_PFN, RING_RSP_PROD));
  assert.ok(readU32(hv, 5, STORE_PFN, RING_REQ_PROD) > 5000);
  // the xenstored actor's frames are named after C xenstored
  const fns = new Set<string>();
  for (const ev of em.history.events) if (ev.k === 'frame.push') fns.add(ev.fn);
  for (const f of ['process_message', 'do_write', 'do_read', 'readchn', 'writechn', 'do_introduce']) assert.ok(fns.has(f), f);
});

test('ring indices are free-running u32: traffic across 2^32 works', () => {
  const { em, tool, port } = world(7);
  const got: string[] = [];
  run(em,
    ['toolstack', 0, function* (): Thread {
      yield* introduce(em, tool, port);
      // INTRODUCE zeroed the indices; move them near the wrap as a long-running guest would have
      for (const off of [RING_REQ_CONS, RING_REQ_PROD]) em.emit({ k: 'mem.w32', dom: 5, pfn: STORE_PFN, off, v: 0xfffffe00 });
      for (const off of [RING_RSP_CONS, RING_RSP_PROD]) em.emit({ k: 'mem.w32', dom: 5, pfn: STORE_PFN, off, v: 0xffffff10 });
      yield* makeHome(tool);
      letGuestIn(em);
    }],
    ['guest', 5, function* (): Thread {
      const xs = yield* guestClient(em, port);
      for (let i = 0; i < 4; i++) {
        yield* xs.write(`k${i}`, String(i).repeat(1500));
        got.push(((yield* xs.read(`k${i}`)) as string).slice(0, 3));
      }
    }]);
  assert.deepEqual(got, ['000', '111', '222', '333']);
  assert.ok(readU32(em.hv, 5, STORE_PFN, RING_REQ_PROD) < 0x10000, 'req_prod wrapped');
  assert.ok(readU32(em.hv, 5, STORE_PFN, RING_RSP_PROD) < 0x10000, 'rsp_prod wrapped');
});

test('@introduceDomain fires for a new domain; RELEASE fires @releaseDomain and removes the connection', () => {
  const { em, xsd, tool, port } = world(3);
  const events: string[] = [];
  run(em, ['toolstack', 0, function* (): Thread {
    em.spawn('xenwatch0', 'toolstack', 0, () => tool.xenwatch_thread());
    yield* tool.watch('@introduceDomain', 'intro', (p) => { events.push(p); });
    yield* tool.watch('@releaseDomain', 'rel', (p) => { events.push(p); });
    assert.equal(yield* introduce(em, tool, port), 'OK\0');
    assert.equal(yield* introduce(em, tool, port), 'OK\0');
    assert.equal(yield* tool.talk(XS_RELEASE, 0, '5\0'), 'OK\0');
  }]);
  assert.deepEqual(events, ['@introduceDomain', '@releaseDomain', '@introduceDomain', '@releaseDomain']);
  assert.equal(xsd.ctx.xs.domains.has(5), false);
  assert.equal([...xsd.ctx.xs.conns.values()].filter((c) => c.kind === 'ring').length, 0);
});

test('stepping back over ring traffic restores the page, the connection and the guest client', () => {
  const { em, tool, port } = world(11);
  run(em,
    ['toolstack', 0, function* (): Thread {
      yield* introduce(em, tool, port);
      yield* makeHome(tool);
      letGuestIn(em);
    }],
    ['guest', 5, function* (): Thread {
      const xs = yield* guestClient(em, port);
      yield* xs.write('a', '1');
      yield* xs.write('b', '2');
    }]);
  const end = em.history.length;
  const final = structuredClone(em.world);
  const at = em.history.find(0, end, (e) => e.k === 'xs.msg' && e.d === 0 && e.data.startsWith('b\0'));
  em.history.seek(at);
  assert.equal(em.world.xs.nodes.has('/local/domain/5/b'), false);
  assert.equal(em.world.xs.nodes.get('/local/domain/5/a')?.v, '1');
  em.history.seek(end);
  assert.deepEqual(em.world, final);
});

test('a guest that shuts down fires @releaseDomain once (RESUME re-arms it); a destroyed one is released', () => {
  const { em, xsd, tool, port } = world(5);
  const events: string[] = [];
  run(em, ['toolstack', 0, function* (): Thread {
    em.spawn('xenwatch0', 'toolstack', 0, () => tool.xenwatch_thread());
    yield* tool.watch('@releaseDomain', 'rel', (p) => { events.push(p); });
    yield* introduce(em, tool, port);
    yield* tool.write('/local/domain/5/owned', '');
    yield* tool.setPerms('/local/domain/5/owned', ['n5']);
    em.emit({ k: 'dom.state', domid: 5, state: 'shutdown', reason: 2 });
    em.signal(DOM_EXC_KEY);
  }]);
  assert.deepEqual(events, ['@releaseDomain', '@releaseDomain']);
  assert.equal(xsd.ctx.xs.domains.get(5)?.shutdown, true);
  run(em, ['toolstack', 0, function* (): Thread {
    em.emit({ k: 'dom.destroy', domid: 5 });
    em.signal(DOM_EXC_KEY);
  }]);
  assert.deepEqual(events, ['@releaseDomain', '@releaseDomain', '@releaseDomain']);
  assert.equal(xsd.ctx.xs.domains.has(5), false);
  assert.equal(xsd.ctx.xs.nodes.has('/local/domain/5/owned'), false);
});
