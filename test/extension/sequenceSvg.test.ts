// The sequence diagram's SVG: well formed, one lifeline per lane, the current message
// highlighted, text escaped, no remote resources (it must pass a strict CSP and stand alone).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EXPORT_COLOURS, renderSequenceSvg } from '../../src/extension/sequence/svg';
import type { SequenceBody } from '../../src/debugadapter/protocol';

const BODY: SequenceBody = {
  lanes: ['blkfront', 'xenstored', 'blkback', 'hypervisor'],
  messages: [
    { index: 10, from: 'blkfront', to: 'xenstored', label: 'write state = 3 <Initialised>', current: false },
    { index: 11, from: 'xenstored', to: 'blkback', label: 'watch fired', current: true },
    { index: 12, from: 'blkback', to: 'hypervisor', label: 'GNTTABOP_map_grant_ref & bind', current: false },
    { index: 13, from: 'blkback', to: 'blkback', label: 'connect', current: false },
  ],
};

test('lanes, messages and the current one', () => {
  const svg = renderSequenceSvg(BODY);
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/<g class="lane">/g) ?? []).length, 4);
  assert.equal((svg.match(/<g class="message/g) ?? []).length, 4);
  assert.equal((svg.match(/class="message current"/g) ?? []).length, 1);
  assert.match(svg, /data-index="11"/);
  assert.match(svg, /&lt;Initialised&gt;/, 'labels are escaped');
  assert.match(svg, /map_grant_ref &amp; bind/);
});

test('no scripts, no remote references; the export has fixed colours', () => {
  const svg = renderSequenceSvg(BODY, EXPORT_COLOURS);
  assert.doesNotMatch(svg, /<script|href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  assert.doesNotMatch(svg, /var\(--vscode/);
  assert.match(svg, /fill="#ffffff"/);
});

test('lanes named only by messages are added; an empty body says so', () => {
  const svg = renderSequenceSvg({ lanes: [], messages: [{ index: 1, from: 'a', to: 'b', label: 'x', current: true }] });
  assert.equal((svg.match(/<g class="lane">/g) ?? []).length, 2);
  assert.match(renderSequenceSvg({ lanes: ['a'], messages: [] }), /no messages around this event/);
});
