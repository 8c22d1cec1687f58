// The configuration provider's resolution, without VS Code: F5 with no launch.json, defaults, paths.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { initialConfigurations, replayedRecording, resolveFirst, resolveSecond, type ResolveContext, type XenLaunchConfig } from '../../src/extension/debug/launchConfig';

const ctx: ResolveContext = { workspaceFolder: '/ws', defaultSeed: 7, recordingFolder: '' };

function ok(r: ReturnType<typeof resolveFirst>): XenLaunchConfig {
  assert.ok('config' in r, 'error' in r ? r.error : '');
  return r.config;
}

test('F5 without launch.json debugs the open scenario, stopping on entry with the default seed', () => {
  const c = ok(resolveFirst({}, { ...ctx, activeFile: '/ws/examples/001-vbd-handshake.xens' }));
  assert.equal(c.type, 'xen-domu');
  assert.equal(c.request, 'launch');
  assert.equal(c.scenario, '/ws/examples/001-vbd-handshake.xens');
  assert.equal(c.stopOnEntry, true);
  assert.equal(c.seed, 7);
  const d = ok(resolveSecond(c, ctx));
  assert.equal(d.record, '/ws/.xen-recordings/001-vbd-handshake.seed7.xenrec');
});

test('F5 on an open recording replays it: the adapter\'s launch with `replay`', () => {
  const c = ok(resolveFirst({}, { ...ctx, activeFile: '/tmp/run.xenrec' }));
  assert.equal(c.request, 'launch');
  assert.equal(c.replay, '/tmp/run.xenrec');
  assert.equal(c.seed, undefined, 'a replay has the seed of its recording');
  const d = ok(resolveSecond(c, ctx));
  assert.equal(d.record, false);
  assert.equal(replayedRecording(d), '/tmp/run.xenrec');
  assert.equal(ok(resolveSecond({ type: 'xen-domu', request: 'launch', name: 'r', replay: 'recs/a.xenrec' }, ctx)).replay, '/ws/recs/a.xenrec');
});

test('F5 on anything else explains what to open', () => {
  const r = resolveFirst({}, { ...ctx, activeFile: '/ws/README.md' });
  assert.ok('error' in r && /Open a Xen scenario/.test(r.error));
  assert.ok('error' in resolveFirst({}, ctx));
});

test('a launch.json configuration keeps what it says and gets the rest', () => {
  const c = ok(resolveFirst({ type: 'xen-domu', request: 'launch', name: 'x', scenario: 'examples/a.xens', seed: 3, stopOnEntry: false, record: 'out/r.xenrec' }, ctx));
  const d = ok(resolveSecond(c, ctx));
  assert.equal(d.scenario, '/ws/examples/a.xens');
  assert.equal(d.seed, 3);
  assert.equal(d.stopOnEntry, false);
  assert.equal(d.record, '/ws/out/r.xenrec');
});

test('record: false stays off; a recording folder setting is honoured', () => {
  assert.equal(ok(resolveSecond({ type: 'xen-domu', request: 'launch', name: 'x', scenario: '/a/b.xens', record: false, seed: 0 }, ctx)).record, false);
  const d = ok(resolveSecond({ type: 'xen-domu', request: 'launch', name: 'x', scenario: '/a/b.xens', seed: 2 }, { ...ctx, recordingFolder: 'recs' }));
  assert.equal(d.record, '/ws/recs/b.seed2.xenrec');
  const e = ok(resolveSecond({ type: 'xen-domu', request: 'launch', name: 'x', scenario: '/a/b.xens', seed: 2 }, { defaultSeed: 0, recordingFolder: '' }));
  assert.equal(e.record, '/a/b.seed2.xenrec', 'next to the scenario without a workspace');
});

test('errors: no scenario, not a scenario, bad seed, unknown request, replay without a recording', () => {
  const err = (c: Partial<XenLaunchConfig>, re: RegExp, second = true) => {
    const r = second ? resolveSecond({ type: 'xen-domu', request: 'launch', name: 'x', ...c } as XenLaunchConfig, ctx) : resolveFirst(c, ctx);
    assert.ok('error' in r && re.test(r.error), JSON.stringify(r));
  };
  err({ scenario: '' }, /"scenario" must name/);
  err({ scenario: 'x.txt' }, /not a scenario/);
  err({ scenario: 'a.xens', seed: -1 }, /whole number/);
  err({ scenario: 'a.xens', seed: 1.5 }, /whole number/);
  err({ type: 'xen-domu', request: 'attach', name: 'x' }, /unsupported request "attach"/, false);
  err({ replay: '' }, /"replay" must name/);
  err({ replay: 'a.xenrec', scenario: 'b.xens' }, /not both/);
  const live = ok(resolveSecond({ type: 'xen-domu', request: 'launch', name: 'x', scenario: '/a/b.xens', seed: 0 }, ctx));
  assert.equal(replayedRecording(live), undefined);
});

test('initial configurations use the debug type and both requests', () => {
  const cs = initialConfigurations();
  assert.deepEqual(cs.map((c) => c.request), ['launch', 'launch']);
  assert.equal(cs[1].replay, '${file}');
  assert.ok(cs.every((c) => c.type === 'xen-domu'));
});
