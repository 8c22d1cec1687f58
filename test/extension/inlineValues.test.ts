// Inline values: device states next to their declarations and on the stopped line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { DeviceInfo } from '../../src/debugadapter/protocol';
import { inlineTexts } from '../../src/extension/language/inlineValuesModel';
import { scenarioModel } from '../../src/extension/language/scenarioModel';

const TEXT = ['domain web kernel linux', 'vbd xvda on web', 'vif eth0 on web', 'boot web', 'wait until xvda backend == Connected', 'expect web connected'].join('\n');
const dev = (name: string, kind: string, f: number, fn: string, b: number, bn: string): DeviceInfo => ({
  name, kind, guest: 'web', domid: 1, devid: 0,
  frontend: { path: '/f', state: f, stateName: fn }, backend: { path: '/b', state: b, stateName: bn },
});
const DEVICES = [dev('xvda', 'vbd', 3, 'Initialised', 4, 'Connected'), dev('eth0', 'vif', 1, 'Initialising', 2, 'InitWait')];

test('declarations and the stopped line show the states', () => {
  const texts = inlineTexts(scenarioModel(TEXT), DEVICES, 1, 6, 5);
  assert.deepEqual(texts, [
    { line: 2, text: 'xvda: front Initialised(3) · back Connected(4)' },
    { line: 3, text: 'eth0: front Initialising(1) · back InitWait(2)' },
    { line: 5, text: 'xvda: front Initialised(3) · back Connected(4)' },
  ]);
});

test('only the visible lines, and nothing for devices the adapter does not know', () => {
  assert.deepEqual(inlineTexts(scenarioModel(TEXT), DEVICES, 3, 4).map((t) => t.line), [3]);
  assert.deepEqual(inlineTexts(scenarioModel(TEXT), [], 1, 6, 5), []);
});
