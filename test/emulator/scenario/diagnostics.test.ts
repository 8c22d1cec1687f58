// Exact diagnostics (position, severity, message, suggestion) for every check of the
// front end. Lines after the prelude start at line 5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic, hasErrors } from '../../../src/emulator/scenario/diagnostics';
import { parseScenario } from '../../../src/emulator/scenario/parser';
import { diagnosticsAfterPrelude as after, diagnosticsOf as of } from './helpers';

test('formatDiagnostic prints file:line:col, severity, message and the suggestion', () => {
  const r = parseScenario('domain web kernel linux\nbot web', 'examples/x.xens');
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    'examples/x.xens:2:1: error: unknown statement `bot`; a line starts with a statement such as domain, vbd, boot, write, suspend, migrate, wait or expect (did you mean `boot`?)',
  ]);
  assert.deepEqual(r.diagnostics[0], {
    file: 'examples/x.xens', line: 2, col: 1, endLine: 2, endCol: 4, severity: 'error',
    message: 'unknown statement `bot`; a line starts with a statement such as domain, vbd, boot, write, suspend, migrate, wait or expect', suggestion: 'boot',
  });
  assert.equal(hasErrors(r.diagnostics), true);
});

test('misspelt keywords, flavours, states, violation classes and options get a suggestion', () => {
  assert.deepEqual(of('domain web kernel netbsd-2007\nbackend dom0 blkback freebds'), [
    '1:19-30 error: unknown kernel flavour `netbsd-2007`; expected linux-2008, linux, netbsd-2006, netbsd, netbsd-fixed or freebsd [netbsd-2006]',
    '2:22-29 error: unknown blkback flavour `freebds`; expected linux or freebsd [freebsd]',
  ]);
  assert.deepEqual(of('domain web'), ['1:8-11 error: domain web needs a kernel flavour: add `kernel linux` (or linux-2008, netbsd-2006, netbsd, netbsd-fixed or freebsd)']);
  assert.deepEqual(after('wait until xvda frontend == Conected'), [
    '5:29-37 error: unknown XenbusState `Conected`; expected Unknown, Initialising, InitWait, Initialised, Connected, Closing, Closed, Reconfiguring, Reconfigured or a number 0..8 [Connected]',
  ]);
  assert.deepEqual(after('expect xvda backend == 9'), [
    '5:24-25 error: XenbusState 9 does not exist; expected Unknown, Initialising, InitWait, Initialised, Connected, Closing, Closed, Reconfiguring, Reconfigured or a number 0..8',
  ]);
  assert.deepEqual(after('expect violation request-lsot'), [
    '5:18-30 error: unknown violation class `request-lsot`; expected request-lost, request-completed-twice, replay-mismatch, data-mismatch, grant-leak, grant-use-after-end, stale-grant-frame, evtchn-unbound-after-resume, ring-index-out-of-range, illegal-xenbus-transition or backend-invalid-request [request-lost]',
  ]);
  assert.deepEqual(after('write xvda sectr 0 count 8'), [
    '5:1-6 error: write needs `sector N`',
    '5:12-17 error: `sectr` is not an option of write; expected sector, count, pattern, repeat or stride [sector]',
  ]);
  assert.deepEqual(after('expect xvda replayd == 3'), [
    '5:13-20 error: `replayd` is not something to check on `xvda`; expected frontend, backend, connected, data, completed, inflight, replayed, lost, errors, sent, received, reconnects, state, suspend-result or domid [replayed]',
  ]);
  assert.deepEqual(after('drop evnt xvda'), ['5:6-10 error: expected `drop event`, got `evnt` [event]']);
  assert.deepEqual(after('fail hypercall grant_table_op op map_grant'), [
    '5:34-43 error: `map_grant` is not an operation of grant_table_op; expected map_grant_ref, unmap_grant_ref, setup_table, copy, query_size or set_version [map_grant_ref]',
  ]);
  assert.deepEqual(after('shutdown web powroff'), ['5:14-21 error: unknown shutdown reason `powroff`; expected poweroff, reboot, halt or crash [poweroff]']);
  assert.deepEqual(after('Boot web'), [
    '5:1-5 error: unknown statement `Boot`; a line starts with a statement such as domain, vbd, boot, write, suspend, migrate, wait or expect [boot]',
  ]);
});

test('references to undeclared or wrong kinds of names', () => {
  assert.deepEqual(after('write xvdb sector 0 count 8'), ['5:7-11 error: no device named `xvdb`; declared: xvda [xvda]']);
  assert.deepEqual(after('write eth0 sector 0 count 8'), ['5:7-11 error: `eth0` is a vif; `write` needs a vbd']);
  assert.deepEqual(after('send xvda packets 1'), ['5:6-10 error: `xvda` is a vbd; `send` needs a vif']);
  assert.deepEqual(after('suspend wbe'), ['5:9-12 error: no domain named `wbe`; declared: web [web]']);
  assert.deepEqual(after('suspend xvda'), ['5:9-13 error: `xvda` is a vbd; `suspend` needs a guest domain']);
  assert.deepEqual(after('expect web frontend == 4'), ['5:8-11 error: `web` is a guest domain; `frontend` needs a vbd or a vif']);
  assert.deepEqual(after('expect eth0 replayed == 0'), ['5:8-12 error: `eth0` is a vif; `replayed` needs a vbd']);
  assert.deepEqual(after('expect violation grant-leak on nowhere'), ['5:32-39 error: no device or domain named `nowhere`; declared: dom0, web, xvda, eth0']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on webb backend dom1'), [
    '2:13-17 error: no domain named `webb`; declared: web [web]',
    '2:26-30 error: no domain named `dom1`; declared: dom0 [dom0]',
  ]);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on dom0'), ['2:13-17 error: `dom0` is a backend domain; a vbd needs a guest domain']);
  assert.deepEqual(of('domain web kernel linux\nvbd disk on web'), ['2:5-9 error: vbd disk needs `devid N` or `devid xvdX`: its name is not a disk name such as xvda']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda'), ['2:5-9 error: vbd xvda needs the domain it belongs to: `vbd xvda on web`']);
});

test('duplicate declarations, domids, devids and labels', () => {
  assert.deepEqual(of('domain web kernel linux\ndomain web kernel linux'), ['2:8-11 error: `web` is already declared on line 1; choose another name']);
  assert.deepEqual(of('domain dom0 kernel linux'), ['1:8-12 error: `dom0` names the control domain; choose another name']);
  assert.deepEqual(of('domain a id 2 kernel linux\ndomain b id 2 kernel linux\ndomain c id 0 kernel linux'), [
    '2:13-14 error: domid 2 is already used by `a`',
    '3:13-14 error: domid 0 is dom0\'s; a guest domain needs 1 or more',
  ]);
  assert.deepEqual(of('backend dom0 id 3\ndomain a kernel linux'), ['1:17-18 error: dom0 always has domid 0']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web\nvbd disk on web devid 51712'), ['3:5-9 error: web already has a vbd with devid 51712 (`xvda`, line 2)']);
  assert.deepEqual(of('domain web kernel linux\nvif eth0 on web\nvif lan on web handle 0'), ['3:5-8 error: web already has a vif with handle 0']);
  assert.deepEqual(after('a: wait 1ms', 'a: wait 1ms'), ['6:1-2 error: label `a` is already used on line 5']);
  assert.deepEqual(after('migrate web id 0'), ['5:16-17 error: `id` must be between 1 and 32751, got 0']);
  assert.deepEqual(of('domain a kernel linux\ndomain b kernel linux\nboot\nmigrate a id 2'), ['4:14-15 error: domid 2 is in use by `b`']);
  assert.deepEqual(of('domain boot kernel linux'), [
    '1:8-12 error: `boot` is a keyword of the language and cannot name a domain',
  ]);
});

test('numbers, units and ranges', () => {
  assert.deepEqual(after('write xvda sector 0 count 0'), ['5:27-28 error: `count` must be at least 1, got 0']);
  assert.deepEqual(after('write xvda sector -1 count 8'), ['5:19-21 error: `-1` is negative; expected a whole number of 0 or more']);
  assert.deepEqual(after('write xvda sector 0 count 8 pattern 0x1FF'), ['5:37-42 error: a byte pattern must be between 0 and 0xff, got 0x1FF']);
  assert.deepEqual(after('write xvda sector 0 count 8 pattern zeros'), ['5:37-42 error: `zeros` is not a pattern; write a byte such as 0xA5, `stamp` or `seed N`']);
  assert.deepEqual(after('read xvda sector 2097150 count 8'), ['5:6-10 error: sectors 2097150..2097157 go past the end of xvda (2097152 sectors)']);
  assert.deepEqual(after('write xvda sector 0 count 8 repeat 262144'), []);
  assert.deepEqual(after('write xvda sector 8 count 8 repeat 262144'), ['5:7-11 error: sectors 8..2097159 go past the end of xvda (2097152 sectors)']);
  assert.deepEqual(after('wait 5'), ['5:6-7 error: `5` needs a time unit: 5ms, 5us, 5s or 5ns [5ms]']);
  assert.deepEqual(after('wait 5min'), ['5:6-10 error: unknown time unit `min` in `5min`; use ns, us, ms or s']);
  assert.deepEqual(after('wait 0ms'), ['5:6-9 warning: waiting 0 time does nothing']);
  assert.deepEqual(after('wait until web connected timeout 0s'), ['5:34-36 error: a timeout of 0 can never be met']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web max-ring-page-order 5 max-request-segments 12'), [
    '2:37-38 error: `max-ring-page-order` must be between 0 and 4, got 5',
    '2:60-62 error: linux blkback takes at most 11 segments per request, got 12; use feature-max-indirect-segments for larger requests, or `blkback freebsd`',
  ]);
  assert.deepEqual(of('backend dom0 blkback freebsd\ndomain web kernel freebsd\nvbd xvda on web max-request-segments 64 max-ring-page-order 0 max-requests 64'), [
    '3:76-78 warning: max-requests 64 is more than a 1-page ring holds (32); the frontend will clamp it',
  ]);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web sectors 1G'), ['2:25-27 error: `sectors` counts 512-byte sectors; write `size 1G` for a size in bytes']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web size 1000'), ['2:22-26 error: `size` must be a multiple of 512 bytes, got 1000']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web sector-size 1000'), ['2:29-33 error: `sector-size` must be a power of two (512, 1024, 2048 or 4096), got 1000']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web sectors 9 sector-size 4096'), ['2:25-26 error: the disk size must be a whole number of 4096-byte sectors']);
  assert.deepEqual(of('domain web kernel linux\nvif eth0 on web mac 01:16:3e:00:00:01'), ['2:21-38 error: `01:16:3e:00:00:01` is a multicast address; a vif needs a unicast MAC (even first byte)']);
  assert.deepEqual(of('domain web kernel linux memory 12Q'), ['1:32-35 error: `12Q` is not a size; write bytes, or a number with K, M, G or T (e.g. 64K, 1G)']);
  assert.deepEqual(after('corrupt xvda slot 0 field operation value 256'), ['5:43-46 error: operation holds at most 255, got 256']);
  assert.deepEqual(after('corrupt xvda index req_prod value 0x100000000'), ['5:35-46 error: a ring index is 32 bits; 4294967296 does not fit']);
  assert.deepEqual(after('write xvda sector 99999999999999999999 count 1'), ['5:19-39 error: `99999999999999999999` is too large']);
});

test('missing and surplus arguments', () => {
  assert.deepEqual(after('write xvda'), ['5:1-6 error: write needs `sector N`', '5:1-6 error: write needs `count N`']);
  assert.deepEqual(after('suspend'), ['5:1-8 error: `suspend` needs a domain: `suspend web`']);
  assert.deepEqual(after('suspend web now'), ['5:13-16 error: unexpected `now` after the suspend statement']);
  assert.deepEqual(after('write xvda sector'), ['5:1-6 error: write needs `count N`', '5:12-18 error: `sector` needs a number']);
  assert.deepEqual(after('resume web cancel'), ['5:12-18 error: unexpected `cancel`; resume takes only `cancelled` [cancelled]']);
  assert.deepEqual(after('shutdown web suspend'), ['5:14-21 error: use `suspend web` to suspend a domain (it waits for the guest to acknowledge)']);
  assert.deepEqual(after('corrupt xvda'), ['5:1-8 error: corrupt needs `slot N` or `index req_prod, rsp_prod, req_event or rsp_event`']);
  assert.deepEqual(after('corrupt xvda slot 1 index req_prod value 1'), ['5:21-26 error: give either `slot N` or `index I`, not both']);
  assert.deepEqual(after('corrupt xvda slot 1 value 1'), ['5:21-26 error: `value` needs `field F`: which field of the slot to overwrite']);
  assert.deepEqual(after('xenstore write control/shutdown'), ['5:16-32 error: xenstore write needs a value after the path (`""` for an empty one)']);
  assert.deepEqual(after('xenstore write "control/shutdown" x'), ['5:16-34 error: a xenstore path is written without quotes']);
  assert.deepEqual(after('xenstore'), ['5:1-9 error: expected `xenstore write` or `xenstore rm`']);
  assert.deepEqual(after('expect'), ['5:1-7 error: `expect` needs a condition, e.g. `expect xvda frontend == Connected`']);
  assert.deepEqual(after('expect xvda'), ['5:8-12 error: what about `xvda`? `expect xvda` needs one of frontend, backend, connected, data, completed, inflight, replayed, lost, errors, sent, received, reconnects, state, suspend-result or domid']);
  assert.deepEqual(after('expect xvda frontend = Connected'), ['5:22-23 error: `=` is not a comparison [==]']);
  assert.deepEqual(after('expect no violation'), ['5:11-20 error: `violation` needs a violation class: request-lost, request-completed-twice, replay-mismatch, data-mismatch, grant-leak, grant-use-after-end, stale-grant-frame, evtchn-unbound-after-resume, ring-index-out-of-range, illegal-xenbus-transition or backend-invalid-request']);
  assert.deepEqual(after('expect violations'), ['5:8-18 error: write `no violations`, or `violation CLASS` for an expected one [no violations]']);
  assert.deepEqual(after('expect xvda data == written'), ['5:13-17 error: `data` needs `sector N`: `xvda data sector 0 count 8 == written`', '5:13-17 error: `data` needs `count N`: `xvda data sector 0 count 8 == written`']);
  assert.deepEqual(after('expect xvda data sector 0 count 8 == zeros'), ['5:38-43 error: compare data with `written` or with `pattern P` (0xA5, stamp, seed N)']);
  assert.deepEqual(after('vbd xvdb on web'), ['5:1-4 error: declarations come before the first action (`boot` on line 4); move this line up']);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web\nwrite xvda sector 0 count 1\nvif eth0 on web'), [
    '3:7-11 warning: web is not booted yet; `write` needs it running',
    '4:1-4 error: declarations come before the first action (`write` on line 3); move this line up',
  ]);
  assert.deepEqual(after('lbl:'), ['5:1-5 error: label `lbl` is not followed by a statement; put the statement on the same line']);
  assert.deepEqual(after('a: b: boot web'), ['5:4-6 error: a statement takes one label']);
  assert.deepEqual(after('write xvda sector 0 count 8 stride 8'), ['5:29-35 error: `stride` only matters with `repeat N`']);
  assert.deepEqual(after('vbd'), ['5:1-4 error: `vbd` needs a name: `vbd xvda on web`']);
});

test('strings and xenstore paths', () => {
  assert.deepEqual(after('xenstore write control/shutdown "poweroff'), ['5:33-42 error: unterminated string: add a closing `"`']);
  assert.deepEqual(after('xenstore write control/shutdown "a\\qb"'), ['5:35-37 error: unknown escape `\\q` in a string; use \\" \\\\ \\n or \\t']);
  assert.deepEqual(after('expect device//state == 1'), ['5:8-21 error: `device//state` has an empty component (`//`)']);
  assert.deepEqual(after('expect device/vbd/ exists'), ['5:8-19 error: `device/vbd/` ends with `/`; remove it']);
  assert.deepEqual(after('expect web:/local exists'), ['5:8-18 error: `web:/local`: a path qualified with `web:` is relative to that domain\'s home; drop the leading /']);
  assert.deepEqual(after('expect nobody:control/shutdown exists'), ['5:8-14 error: no domain named `nobody`; declared: dom0, web']);
  assert.deepEqual(of('domain a kernel linux\ndomain b kernel linux\nexpect control/shutdown absent'), [
    '3:8-24 error: `control/shutdown` is relative, and there are 2 guest domains; say whose: `a:control/shutdown` [a:control/shutdown]',
  ]);
  assert.deepEqual(after('expect control/shutdown is poweroff'), ['5:25-27 error: expected ==, !=, exists or absent after the path, got `is`']);
});

test('lifecycle warnings', () => {
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web\nwrite xvda sector 0 count 1'), ['3:7-11 warning: web is not booted yet; `write` needs it running']);
  assert.deepEqual(after('resume web'), ['5:8-11 warning: web is already running (since line 4); suspend it first (`suspend web`)']);
  assert.deepEqual(after('boot web'), ['5:6-9 warning: web is already running (since line 4); boot it again only after a shutdown']);
  assert.deepEqual(after('restore web'), ['5:9-12 warning: web is already running (since line 4); save it first (`save web`)']);
  assert.deepEqual(after('shutdown web poweroff', 'send eth0 packets 1'), ['6:6-10 warning: web was shut down on line 5; `send` needs it running']);
  assert.deepEqual(after('save web', 'suspend web'), ['6:9-12 warning: web was saved on line 5; only a running domain can be suspended']);
  // A hand-written control/shutdown request may change the domain: no guessing after it.
  assert.deepEqual(after('xenstore write control/shutdown suspend', 'resume web'), []);
  assert.deepEqual(after('suspend web', 'write xvda sector 0 count 8', 'resume web'), []);
  assert.deepEqual(of('domain web kernel linux\nvbd xvda on web mode r\nboot web\nwrite xvda sector 0 count 8'), ['4:7-11 warning: xvda is read-only (mode r); the backend will fail these writes']);
});

test('a scenario without a guest domain', () => {
  assert.deepEqual(of(''), ['1:1-1 error: no guest domain declared; a scenario starts with e.g. `domain web kernel linux` and `vbd xvda on web`']);
  assert.deepEqual(of('# only a comment\nwait 1ms'), ['2:1-5 error: no guest domain declared; a scenario starts with e.g. `domain web kernel linux` and `vbd xvda on web`']);
});

test('an error inside a statement does not cascade into its leftovers', () => {
  assert.deepEqual(after('expect xvda frontend == Conected timeout 1s'), [
    '5:25-33 error: unknown XenbusState `Conected`; expected Unknown, Initialising, InitWait, Initialised, Connected, Closing, Closed, Reconfiguring, Reconfigured or a number 0..8 [Connected]',
  ]);
  assert.deepEqual(after('write xvda sector 0 count 1 max-reqests 4 mode r'), [
    '5:29-40 error: `max-reqests` is not an option of write; expected sector, count, pattern, repeat or stride',
    '5:43-47 error: `mode` is not an option of write; expected sector, count, pattern, repeat or stride',
  ]);
});
