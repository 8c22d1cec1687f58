// The TextMate grammar, run by the real engine VS Code uses: exact scopes for lines of
// the examples, the grammar's word lists in step with vocabulary.ts, and the language
// configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from '../../../src/emulator/scenario/vocabulary';
import { GRAMMAR_PATH, tokenize } from './textmate';

const root = join(import.meta.dirname, '../../..');
const exampleLines = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.xens'))
  .flatMap((f) => readFileSync(join(root, 'examples', f), 'utf8').split('\n'));

/** A token as [text, scopes...]; scope names are written without the .xen-scenario suffix. */
type Tok = [string, ...string[]];
const full = (t: Tok): string[] => [t[0], ...t.slice(1).map((s) => `${s}.xen-scenario`)];

/** Asserts the exact tokens of a line that must appear in an example. */
async function assertExampleLine(line: string, expected: Tok[]): Promise<void> {
  assert.ok(exampleLines.includes(line), `not an example line: ${line}`);
  await assertTokens(line, expected);
}

async function assertTokens(line: string, expected: Tok[]): Promise<void> {
  const [tokens] = await tokenize([line]);
  assert.deepEqual(tokens, expected.map(full), line);
}

test('a labelled wait until on a device state (001)', async () => {
  await assertExampleLine('step2: wait until xvda backend == InitWait timeout 1s', [
    ['step2', 'entity.name.label'], [':', 'punctuation.separator.label'],
    ['wait', 'keyword.control.timing'], ['until', 'keyword.control.timing'], ['xvda', 'variable.other'],
    ['backend', 'entity.other.attribute-name'], ['==', 'keyword.operator.comparison'], ['InitWait', 'constant.language.xenbus-state'],
    ['timeout', 'entity.other.attribute-name'], ['1s', 'constant.numeric.duration'],
  ]);
});

test('declarations: backend, domain and vbd with limits (002, 003)', async () => {
  await assertExampleLine('backend dom0 blkback freebsd', [
    ['backend', 'storage.type.declaration'], ['dom0', 'entity.name.domain'], ['blkback', 'entity.other.attribute-name'], ['freebsd', 'support.constant.flavour'],
  ]);
  await assertExampleLine('domain lin kernel linux-2008 vcpus 2', [
    ['domain', 'storage.type.declaration'], ['lin', 'entity.name.domain'], ['kernel', 'entity.other.attribute-name'],
    ['linux-2008', 'support.constant.flavour'], ['vcpus', 'entity.other.attribute-name'], ['2', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('vbd xvda on fast size 4G max-ring-page-order 2 max-requests 64 max-request-segments 16 max-request-size 64K', [
    ['vbd', 'storage.type.declaration'], ['xvda', 'entity.name.device'], ['on', 'entity.other.attribute-name'], ['fast', 'variable.other'],
    ['size', 'entity.other.attribute-name'], ['4G', 'constant.numeric.size'], ['max-ring-page-order', 'entity.other.attribute-name'],
    ['2', 'constant.numeric.decimal'], ['max-requests', 'entity.other.attribute-name'], ['64', 'constant.numeric.decimal'],
    ['max-request-segments', 'entity.other.attribute-name'], ['16', 'constant.numeric.decimal'],
    ['max-request-size', 'entity.other.attribute-name'], ['64K', 'constant.numeric.size'],
  ]);
  await assertExampleLine('vbd eager-disk on eager devid xvda size 1G skip-initwait', [
    ['vbd', 'storage.type.declaration'], ['eager-disk', 'entity.name.device'], ['on', 'entity.other.attribute-name'], ['eager', 'variable.other'],
    ['devid', 'entity.other.attribute-name'], ['xvda', 'variable.other'], ['size', 'entity.other.attribute-name'], ['1G', 'constant.numeric.size'],
    ['skip-initwait', 'entity.other.attribute-name'],
  ]);
});

test('xenstore paths: qualified, relative and absolute (001)', async () => {
  await assertExampleLine('expect dom0:backend/vbd/1/51712/sectors == 2097152', [
    ['expect', 'keyword.other.expect'], ['dom0', 'variable.other.domain'], [':', 'punctuation.separator.domain'],
    ['backend/vbd/1/51712/sectors', 'string.unquoted.path'], ['==', 'keyword.operator.comparison'], ['2097152', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('expect device/vbd/51712/backend == /local/domain/0/backend/vbd/1/51712', [
    ['expect', 'keyword.other.expect'], ['device/vbd/51712/backend', 'string.unquoted.path'], ['==', 'keyword.operator.comparison'],
    ['/local/domain/0/backend/vbd/1/51712', 'string.unquoted.path'],
  ]);
  await assertExampleLine('wait until control/shutdown absent timeout 1s', [
    ['wait', 'keyword.control.timing'], ['until', 'keyword.control.timing'], ['control/shutdown', 'string.unquoted.path'],
    ['absent', 'keyword.other.condition'], ['timeout', 'entity.other.attribute-name'], ['1s', 'constant.numeric.duration'],
  ]);
});

test('faults: hypercalls, xenstore writes with a comment, ring corruption, events, backends (000, 001)', async () => {
  await assertExampleLine('fail hypercall event_channel_op op alloc_unbound in guest count 1 error ENOSPC', [
    ['fail', 'keyword.other.fault'], ['hypercall', 'keyword.other.fault'], ['event_channel_op', 'support.function.hypercall'],
    ['op', 'entity.other.attribute-name'], ['alloc_unbound', 'support.function.hypercall'], ['in', 'entity.other.attribute-name'],
    ['guest', 'variable.other'], ['count', 'entity.other.attribute-name'], ['1', 'constant.numeric.decimal'],
    ['error', 'entity.other.attribute-name'], ['ENOSPC', 'constant.language'],
  ]);
  await assertExampleLine('xenstore write control/shutdown poweroff       # what `shutdown guest poweroff` writes', [
    ['xenstore', 'keyword.other.fault'], ['write', 'keyword.other.fault'], ['control/shutdown', 'string.unquoted.path'], ['poweroff', 'constant.language'],
    ['#', 'comment.line.number-sign', 'punctuation.definition.comment'], [' what `shutdown guest poweroff` writes', 'comment.line.number-sign'],
  ]);
  await assertExampleLine('corrupt xvda index req_prod value 1000', [
    ['corrupt', 'keyword.other.fault'], ['xvda', 'variable.other'], ['index', 'entity.other.attribute-name'], ['req_prod', 'constant.language'],
    ['value', 'entity.other.attribute-name'], ['1000', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('drop event eth0 to frontend count 2', [
    ['drop', 'keyword.other.fault'], ['event', 'keyword.other.fault'], ['eth0', 'variable.other'], ['to', 'entity.other.attribute-name'],
    ['frontend', 'entity.other.attribute-name'], ['count', 'entity.other.attribute-name'], ['2', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('crash backend xvda', [['crash', 'keyword.other.fault'], ['backend', 'keyword.other.fault'], ['xvda', 'variable.other']]);
  await assertExampleLine('delay probe eager-disk 5ms          # the backend is late: the frontend will not wait for it', [
    ['delay', 'keyword.other.fault'], ['probe', 'constant.language'], ['eager-disk', 'variable.other'], ['5ms', 'constant.numeric.duration'],
    ['#', 'comment.line.number-sign', 'punctuation.definition.comment'], [' the backend is late: the frontend will not wait for it', 'comment.line.number-sign'],
  ]);
});

test('workload, lifecycle and expectations (003, 004)', async () => {
  await assertExampleLine('inflight: write xvda sector 2048 count 8 pattern stamp repeat 4', [
    ['inflight', 'entity.name.label'], [':', 'punctuation.separator.label'], ['write', 'keyword.other.workload'], ['xvda', 'variable.other'],
    ['sector', 'entity.other.attribute-name'], ['2048', 'constant.numeric.decimal'], ['count', 'entity.other.attribute-name'],
    ['8', 'constant.numeric.decimal'], ['pattern', 'entity.other.attribute-name'], ['stamp', 'constant.language'],
    ['repeat', 'entity.other.attribute-name'], ['4', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('migrate lx with xvda feature-max-indirect-segments 0', [
    ['migrate', 'keyword.control.lifecycle'], ['lx', 'variable.other'], ['with', 'entity.other.attribute-name'], ['xvda', 'variable.other'],
    ['feature-max-indirect-segments', 'entity.other.attribute-name'], ['0', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('expect lin suspend-result == 1', [
    ['expect', 'keyword.other.expect'], ['lin', 'variable.other'], ['suspend-result', 'entity.other.attribute-name'],
    ['==', 'keyword.operator.comparison'], ['1', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('expect violation request-lost on xvda count 4', [
    ['expect', 'keyword.other.expect'], ['violation', 'keyword.other.condition'], ['request-lost', 'support.constant.violation'],
    ['on', 'entity.other.attribute-name'], ['xvda', 'variable.other'], ['count', 'entity.other.attribute-name'], ['4', 'constant.numeric.decimal'],
  ]);
  await assertExampleLine('expect xvda data sector 2048 count 32 != written', [
    ['expect', 'keyword.other.expect'], ['xvda', 'variable.other'], ['data', 'entity.other.attribute-name'], ['sector', 'entity.other.attribute-name'],
    ['2048', 'constant.numeric.decimal'], ['count', 'entity.other.attribute-name'], ['32', 'constant.numeric.decimal'],
    ['!=', 'keyword.operator.comparison'], ['written', 'keyword.other.condition'],
  ]);
});

test('strings, escapes, MAC addresses, lone labels and # inside a word', async () => {
  await assertTokens('xenstore write web:control/shutdown "a\\"b"', [
    ['xenstore', 'keyword.other.fault'], ['write', 'keyword.other.fault'], ['web', 'variable.other.domain'], [':', 'punctuation.separator.domain'],
    ['control/shutdown', 'string.unquoted.path'], ['"', 'string.quoted.double', 'punctuation.definition.string.begin'], ['a', 'string.quoted.double'],
    ['\\"', 'string.quoted.double', 'constant.character.escape'], ['b', 'string.quoted.double'], ['"', 'string.quoted.double', 'punctuation.definition.string.end'],
  ]);
  await assertTokens('vif eth0 on web mac 00:16:3e:00:00:01', [
    ['vif', 'storage.type.declaration'], ['eth0', 'entity.name.device'], ['on', 'entity.other.attribute-name'], ['web', 'variable.other'],
    ['mac', 'entity.other.attribute-name'], ['00:16:3e:00:00:01', 'constant.other.mac-address'],
  ]);
  await assertTokens('lbl:', [['lbl', 'entity.name.label'], [':', 'punctuation.separator.label']]);
  // As in the parser, # starts a comment only at the start of a word.
  await assertTokens('xenstore write x a#b', [
    ['xenstore', 'keyword.other.fault'], ['write', 'keyword.other.fault'], ['x', 'variable.other'], ['a', 'variable.other'], ['#b'],
  ]);
});

test('every statement keyword gets the scope of its category, with its fixed second word', async () => {
  const scope: Record<v.StatementCategory, string> = {
    declaration: 'storage.type.declaration', lifecycle: 'keyword.control.lifecycle', workload: 'keyword.other.workload',
    fault: 'keyword.other.fault', timing: 'keyword.control.timing', expectation: 'keyword.other.expect',
  };
  for (const k of v.STATEMENT_KEYWORDS) {
    const info: v.StatementInfo = v.STATEMENTS[k];
    const second = info.second?.[0];
    const [tokens] = await tokenize([`  l: ${k}${second === undefined ? '' : ` ${second}`} x`]);
    const expected = [k, ...(second === undefined ? [] : [second])].map((w) => [w, `${scope[info.category]}.xen-scenario`]);
    assert.deepEqual(tokens.slice(2, 2 + expected.length), expected, k);
  }
});

/** The alternatives of the last `(?:a|b|c)` group of a repository rule's regex. */
function wordsOf(rule: string): string[] {
  const grammar = JSON.parse(readFileSync(GRAMMAR_PATH, 'utf8')) as { repository: Record<string, { match?: string }> };
  const match = grammar.repository[rule]?.match ?? '';
  const groups = [...match.matchAll(/\(\?:([^()]*)\)/g)].map((m) => m[1]);
  return (groups[groups.length - 1] ?? '').split('|').sort();
}

test('the grammar knows exactly the words of vocabulary.ts', () => {
  const options = new Set<string>(Object.keys(v.BACKEND_LIMITS));
  for (const specs of Object.values(v.STATEMENT_OPTIONS)) for (const o of Object.keys(specs ?? {})) options.add(o);
  const attributes = new Set([...options, 'with', 'timeout', ...v.names(v.DEVICE_ENDS), 'connected', 'data', 'state', ...v.names(v.DEVICE_COUNTERS), ...v.names(v.DOMAIN_NUMBERS)]);
  const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
  assert.deepEqual(wordsOf('flavour'), sorted([...v.names(v.KERNEL_FLAVOURS), ...v.names(v.BLKBACK_FLAVOURS)]));
  assert.deepEqual(wordsOf('xenbus-state'), sorted(v.names(v.XENBUS_STATES)));
  assert.deepEqual(wordsOf('violation-class'), sorted(v.names(v.VIOLATION_CLASSES)));
  assert.deepEqual(wordsOf('hypercall'), sorted(v.names(v.HYPERCALLS)));
  assert.deepEqual(wordsOf('attribute'), sorted(attributes));
  assert.deepEqual(wordsOf('condition'), sorted(v.names(v.CONDITION_WORDS).filter((w) => !attributes.has(w))));
  const constants = [v.SHUTDOWN_REASONS, v.HOLD_MODES, v.DELAY_KINDS, v.DOMAIN_STATES, v.RING_FIELDS, v.RING_INDICES, v.NETIF_RINGS, v.PATTERN_KINDS, v.ERRNOS]
    .flatMap((list) => v.names<string>(list)).concat('cancelled');
  assert.deepEqual(wordsOf('constant'), sorted(constants.filter((w) => !attributes.has(w))));
});

test('the language configuration: # comments, quotes, and hyphenated words kept whole', () => {
  const conf = JSON.parse(readFileSync(join(root, 'language-configuration.json'), 'utf8')) as {
    comments: { lineComment: string }; brackets: unknown[]; autoClosingPairs: { open: string; close: string }[]; wordPattern: string;
  };
  assert.equal(conf.comments.lineComment, '#');
  assert.deepEqual(conf.brackets, []);
  assert.deepEqual(conf.autoClosingPairs.map((p) => p.open + p.close), ['""']);
  const words = 'vbd xvda max-ring-page-order 2 linux-2008 1.5ms @releaseDomain'.match(new RegExp(conf.wordPattern, 'g'));
  assert.deepEqual(words, ['vbd', 'xvda', 'max-ring-page-order', '2', 'linux-2008', '1.5ms', '@releaseDomain']);
});
