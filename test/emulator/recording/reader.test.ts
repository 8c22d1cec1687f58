import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventBase } from '../../../src/emulator/core/event';
import { Emulator } from '../../../src/emulator/emulator';
import { stateDigest } from '../../../src/emulator/recording/digest';
import { crc32, putU32 } from '../../../src/emulator/recording/format';
import { RecordingDecoder, decodeRecording, readRecording } from '../../../src/emulator/recording/reader';
import { replay } from '../../../src/emulator/recording/replay';
import { MemorySink, RecordingWriter, createRecording } from '../../../src/emulator/recording/writer';
import { blockWorkload } from './block_workload';

const NAME = 't.xenrec';
const EVENTS = [{ k: 'clock.advance', to: 5 }, { k: 'clock.advance', to: 300 }, { k: 'clock.advance', to: 301 }];

/**
 * One chunk per event: preamble + header {"name":"t"} end at 32; chunks at 32 (23-byte
 * payload), 63 (3), 74 (3); the end record's chunk at 85 (2); 95 bytes in all.
 */
function small(events: object[] = EVENTS): Uint8Array {
  const sink = new MemorySink();
  const w = new RecordingWriter(sink, { name: 't' }, { chunkSize: 1, idleFlushMs: null });
  for (const e of events) w.append(e as EventBase);
  w.close();
  return sink.bytes();
}

const read = (b: Uint8Array) => decodeRecording(b, NAME);
const patched = (b: Uint8Array, at: number, ...bytes: number[]): Uint8Array => { const c = b.slice(); c.set(bytes, at); return c; };

test('the small recording has the layout the other tests rely on', () => {
  const b = small();
  assert.equal(b.length, 95);
  assert.deepEqual([...b.subarray(0, 32)], [
    0x89, 0x58, 0x45, 0x4e, 0x52, 0x45, 0x43, 0x0a, 1, 0, 0, 0, 12, 0, 0, 0, 0x0d, 0x4a, 0x9b, 0x97,
    ...[...'{"name":"t"}'].map((c) => c.charCodeAt(0)),
  ]);
  assert.deepEqual([...b.subarray(63, 74)], [3, 0, 0, 0, 0x82, 0xf5, 0xbb, 0x11, 3, 0xac, 0x02]);
  assert.deepEqual([...b.subarray(85)], [2, 0, 0, 0, 0x45, 0x43, 0xd0, 0xd8, 0, 3]);
  const r = read(b);
  assert.deepEqual(r, { file: NAME, header: { name: 't' }, events: EVENTS, complete: true, size: 95 });
});

test('a file cut inside a chunk loads the chunks before it', () => {
  const r = read(small().subarray(0, 94));
  assert.equal(r.complete, false);
  assert.equal(r.events.length, 3);
  assert.deepEqual(r.stoppedAt, {
    offset: 85, index: 3, reason: 'truncated',
    message: 't.xenrec: truncated at byte 85 (event #3): chunk of 2 bytes, 1 present; loaded 3 events',
  });
  assert.deepEqual(read(small().subarray(0, 66)).stoppedAt, {
    offset: 63, index: 1, reason: 'truncated',
    message: 't.xenrec: truncated at byte 63 (event #1): the file ends inside a chunk header (3 of 8 bytes); loaded 1 event',
  });
});

test('a file that ends between chunks without the end record says it was not closed', () => {
  const r = read(small().subarray(0, 85));
  assert.equal(r.complete, false);
  assert.deepEqual(r.events, EVENTS);
  assert.deepEqual(r.stoppedAt, {
    offset: 85, index: 3, reason: 'unclosed',
    message: 't.xenrec: the recording was not closed (its writer stopped early); loaded 3 events',
  });
});

test('a file cut before its header ends cannot be opened', () => {
  assert.throws(() => read(small().subarray(0, 25)), {
    name: 'RecordingError', message: 't.xenrec: truncated at byte 25: the file ends inside the header (32 bytes needed, 25 present)',
  });
  assert.throws(() => read(small().subarray(0, 5)), {
    name: 'RecordingError', message: 't.xenrec: truncated at byte 5: the file ends inside the preamble (12 bytes needed, 5 present)',
  });
  assert.throws(() => read(new Uint8Array(0)), { message: 't.xenrec: truncated at byte 0: the file ends inside the preamble (12 bytes needed, 0 present)' });
});

test('a corrupt chunk stops loading at that chunk', () => {
  const r = read(patched(small(), 72, 0xad));
  assert.deepEqual(r.events, EVENTS.slice(0, 1));
  assert.deepEqual(r.stoppedAt, {
    offset: 63, index: 1, reason: 'corrupt',
    message: 't.xenrec: corrupt chunk at byte 63 (event #1): CRC32 is 0x08a0c4c3, expected 0x11bbf582; loaded 1 event',
  });
  assert.equal(read(patched(small(), 63, 0xff, 0xff, 0xff, 0xff)).stoppedAt?.message,
    't.xenrec: corrupt chunk at byte 63 (event #1): length 4294967295 is not 1..268435456; loaded 1 event');
});

test('a CRC-valid chunk with a bad record stops at the record', () => {
  const payload = Uint8Array.of(3, 7, 9);
  const chunk = new Uint8Array(8 + payload.length);
  putU32(chunk, 0, payload.length);
  putU32(chunk, 4, crc32(payload));
  chunk.set(payload, 8);
  const b = new Uint8Array(63 + chunk.length);
  b.set(small().subarray(0, 63));
  b.set(chunk, 63);
  const r = read(b);
  assert.deepEqual(r.events, [EVENTS[0], { k: 'clock.advance', to: 7 }]);
  assert.deepEqual(r.stoppedAt, {
    offset: 73, index: 2, reason: 'corrupt',
    message: 't.xenrec: corrupt record at byte 73 (event #2): shape 6 is not defined; loaded 2 events',
  });
});

test('a corrupt header, bad magic or another format version is refused', () => {
  assert.throws(() => read(patched(small(), 22, 0x4e)), {
    message: 't.xenrec: corrupt header at byte 20: CRC32 is 0xd8c649dd, expected 0x979b4a0d',
  });
  assert.throws(() => read(patched(small(), 1, 0x59)), { name: 'RecordingError', message: 't.xenrec: not a Xen recording (bad magic at byte 1)' });
  assert.throws(() => read(Uint8Array.from([...'{"k":1}'].map((c) => c.charCodeAt(0)))), { message: 't.xenrec: not a Xen recording (bad magic at byte 0)' });
  assert.throws(() => read(patched(small(), 8, 2)), {
    name: 'RecordingError',
    message: 't.xenrec: recording format version 2 is newer than this build reads (version 1); open it with a newer xen-domu-debug',
  });
  assert.throws(() => read(patched(small(), 8, 0)), { message: 't.xenrec: recording format version 0 is not supported (this build reads version 1)' });
});

test('an unknown event kind loads the events before it and says where it stopped', () => {
  const b = small([...EVENTS.slice(0, 2), { k: 'xs.future', path: '/local' }, EVENTS[2]]);
  const r = read(b);
  assert.deepEqual(r.events, EVENTS.slice(0, 2));
  assert.deepEqual(r.stoppedAt, {
    offset: 82, index: 2, reason: 'unknown-kind',
    message: 't.xenrec: unknown event kind "xs.future" at byte 82 (event #2); loaded the 2 events before it',
  });
  // a generic reader (kinds: null) takes any kind
  const all = decodeRecording(b, NAME, { kinds: null });
  assert.equal(all.complete, true);
  assert.equal(all.events.length, 4);
});

test('bytes after the end record are reported', () => {
  const b = new Uint8Array(98);
  b.set(small());
  const r = read(b);
  assert.equal(r.complete, false);
  assert.equal(r.events.length, 3);
  assert.equal(r.stoppedAt?.message, 't.xenrec: 3 bytes follow the end of the recording at byte 95; loaded 3 events');
});

test('the streaming decoder gives the same result for any split of the bytes', () => {
  const em = new Emulator({ seed: 3 });
  const sink = new MemorySink();
  new RecordingWriter(sink, { scenario: 'stream' }, { chunkSize: 512, idleFlushMs: null }).attach(em);
  blockWorkload(em, { requests: 40 });
  em.run();
  const bytes = sink.bytes(); // never closed: ends 'unclosed'
  const whole = decodeRecording(bytes, NAME);
  assert.equal(whole.stoppedAt?.reason, 'unclosed');
  // the records still in the writer's buffer are not in the bytes
  assert.ok(whole.events.length > 1000 && whole.events.length < em.history.length, `${whole.events.length} of ${em.history.length}`);
  for (const step of [1, 7, 100, 4096]) {
    const d = new RecordingDecoder(NAME);
    let seen = 0;
    for (let i = 0; i < bytes.length; i += step) {
      seen += d.push(bytes.subarray(i, i + step)).length;
      assert.equal(seen, d.events.length);
    }
    assert.deepEqual(d.finish(), whole, `pieces of ${step} bytes`);
  }
});

test('a writer killed with SIGKILL leaves a prefix that loads and replays to the live state', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenrec-'));
  const file = path.join(dir, 'killed.xenrec');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'kill_writer.ts'), file], { stdio: 'inherit' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
    const deadline = Date.now() + 60_000;
    while ((fs.existsSync(file) ? fs.statSync(file).size : 0) < 200_000) {
      assert.ok(Date.now() < deadline, 'the child wrote 200 KB within 60 s');
      assert.equal(child.exitCode, null, 'the child is still running');
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const r = readRecording(file);
    assert.equal(r.complete, false);
    assert.ok(r.stoppedAt?.reason === 'unclosed' || r.stoppedAt?.reason === 'truncated', r.stoppedAt?.message);
    assert.ok(r.events.length > 10_000, `${r.events.length} events loaded`);
    assert.deepEqual(r.header, { scenario: 'endless.xens', seed: 7 });

    // the same run, live: its state after the last event the file kept
    const em = new Emulator({ seed: 7, noHistory: true });
    let live = '';
    em.observe((_e, i) => { if (i === r.events.length - 1) live = stateDigest(em.world); });
    blockWorkload(em, { requests: Math.ceil(r.events.length / 30) });
    em.run();
    assert.notEqual(live, '');
    assert.equal(stateDigest(replay(r).state), live);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('createRecording writes a file readRecording reads back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xenrec-'));
  try {
    const file = path.join(dir, 'a.xenrec');
    const w = createRecording(file, { scenario: 'a.xens', seed: 1, flavours: ['linux'], tool: { name: 'xen-domu', version: '0.1.0' } });
    for (const e of EVENTS) w.append(e as EventBase);
    w.flush();
    assert.equal(fs.statSync(file).size, w.bytesWritten);
    assert.equal(readRecording(file).stoppedAt?.reason, 'unclosed');
    w.close();
    const r = readRecording(file);
    assert.equal(r.complete, true);
    assert.deepEqual(r.events, EVENTS);
    assert.deepEqual(r.header, { scenario: 'a.xens', seed: 1, flavours: ['linux'], tool: { name: 'xen-domu', version: '0.1.0' } });
    assert.throws(() => readRecording(path.join(dir, 'missing.xenrec')), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an event the codec refuses ends the recording there; what came before still loads', () => {
  const sink = new MemorySink();
  const w = new RecordingWriter(sink, { name: 't' }, { batch: 4, idleFlushMs: null });
  w.append(EVENTS[0] as EventBase);
  w.append(EVENTS[1] as EventBase);
  w.append({ k: 'clock.advance', to: 9, m: new Map() } as unknown as EventBase);
  const msg = 'cannot record event #2 (clock.advance): cannot record a Map (field m): events hold plain values; the recording stops before it';
  assert.throws(() => w.append(EVENTS[2] as EventBase), { message: msg });
  assert.throws(() => w.append(EVENTS[2] as EventBase), { message: msg });
  assert.throws(() => w.close(), { message: msg });
  assert.equal(sink.closed, true);
  const r = read(sink.bytes());
  assert.deepEqual(r.events, EVENTS.slice(0, 2));
  assert.equal(r.stoppedAt?.reason, 'unclosed');
});
