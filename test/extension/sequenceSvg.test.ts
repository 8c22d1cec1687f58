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

test('a lane with nothing to say around this event is left out, in the adapter order', () => {
  const body: SequenceBody = { lanes: ['xen', 'xenstored', 'dom0/vcpu0', 'guest/vcpu0'], messages: [
    { index: 5, from: 'guest/vcpu0', to: 'xenstored', label: 'WRITE state', current: false },
    { index: 6, from: 'xenstored', to: 'dom0/vcpu0', label: 'watch', current: true },
  ] };
  const svg = renderSequenceSvg(body);
  const heads = [...svg.matchAll(/font-weight="600">([^<]+)</g)].map((m) => m[1]);
  assert.deepEqual(heads, ['xenstored', 'dom0/vcpu0', 'guest/vcpu0']);
});

test('lanes narrow to fit the panel width, down to a readable minimum', () => {
  const width = (svg: string) => Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
  assert.equal(width(renderSequenceSvg(BODY)), 16 * 2 + 4 * 200, 'an export keeps 200 px lanes');
  assert.equal(width(renderSequenceSvg(BODY, undefined, { width: 600 })), 16 * 2 + 4 * 142);
  assert.equal(width(renderSequenceSvg(BODY, undefined, { width: 200 })), 16 * 2 + 4 * 110, 'never below 110 px a lane');
  assert.equal(width(renderSequenceSvg(BODY, undefined, { width: 2000 })), 16 * 2 + 4 * 200, 'never wider than an export');
});
