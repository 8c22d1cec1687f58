// Every example scenario, recorded and replayed: each decoded event equals the live one
// (minus undo info) at every index, and the replayed world equals the live world at sampled
// events and at the end. A digest of these worlds (65536-page guests) costs ~100 ms, so a
// digest at every event is left to replay.test.ts, whose worlds are small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { decodeRecording } from '../../../src/emulator/recording/reader';
import { replay } from '../../../src/emulator/recording/replay';
import { MemorySink, RecordingWriter } from '../../../src/emulator/recording/writer';
import { prepareRun } from '../../../src/emulator/runner/run';
import type { WorldEvent } from '../../../src/emulator/world';

const DIR = path.join(import.meta.dirname, '..', '..', '..', 'examples');
const EVERY = 2000;

for (const file of readdirSync(DIR).filter((f) => f.endsWith('.xens')).sort()) {
  test(`example ${file}: recorded, read back and replayed to the live state`, () => {
    const source = readFileSync(path.join(DIR, file), 'utf8');
    const run = prepareRun(source, file, { seed: 0 });
    assert.ok(!Array.isArray(run), `${file} does not prepare`);
    const em = run.sys.em;
    const sink = new MemorySink();
    const w = new RecordingWriter<WorldEvent>(sink, { scenario: source, scenarioFile: file, seed: 0 }, { idleFlushMs: null });
    w.attach(em);
    const live = new Map<number, string>();
    em.observe((_e, i) => { if ((i + 1) % EVERY === 0) live.set(i + 1, stateDigest(em.world)); });
    em.run({ stop: () => run.interp.done, maxSteps: 50_000_000 });
    em.run({ maxSteps: 2_000_000 });
    w.close();
    const n = em.history.length;
    live.set(n, stateDigest(em.world));

    const bytes = sink.bytes();
    const rec = decodeRecording(bytes, file);
    assert.equal(rec.complete, true, rec.stoppedAt?.message);
    assert.equal(rec.events.length, n);
    // the 24 bytes/event target is for block I/O; vif examples carry packet payloads
    if (!/^\s*vif\b/m.test(source)) assert.ok(bytes.length / n <= 24, `${(bytes.length / n).toFixed(2)} bytes/event`);
    for (let i = 0; i < n; i++) {
      const { u: _u, ...forward } = em.history.event(i);
      if (!isDeepStrictEqual(rec.events[i], forward)) assert.deepEqual(rec.events[i], forward, `event #${i}`);
    }
    const h = replay(rec, { limit: 0 });
    for (let i = 0; i < n; i++) {
      h.append(rec.events[i]);
      const want = live.get(i + 1);
      if (want !== undefined) assert.equal(stateDigest(h.state), want, `world after event #${i}`);
    }
  });
}
