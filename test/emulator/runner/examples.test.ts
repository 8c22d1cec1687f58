import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatOutcome, runScenario } from '../../../src/emulator/runner/run';

const dir = join(__dirname, '../../../examples');

/** Every example scenario passes: its expectations hold and it expects every violation it causes. */
for (const f of readdirSync(dir).filter((n) => n.endsWith('.xens')).sort()) {
  test(`examples/${f} passes`, () => {
    const o = runScenario(readFileSync(join(dir, f), 'utf8'), `examples/${f}`, { seed: 1 });
    assert.ok(o.ok, formatOutcome(o));
  });
}
