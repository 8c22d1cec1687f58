import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NET_RX_RING_SIZE, NET_TX_RING_SIZE, NETIF_RX_ENTRY, NETIF_TX_ENTRY, decodeRxRequest, decodeRxResponse, decodeTxRequest,
  decodeTxResponse, encodeExtraInfo, encodeRxRequest, encodeRxResponse, encodeTxRequest, encodeTxResponse, slotsFor,
} from '../../../src/emulator/netif/netif';
import { XENCONS } from '../../../src/emulator/devices/console';
import { gratuitousArp } from '../../../src/emulator/guests/linux/netdev';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('netif tx request and response, byte for byte (§6.5)', () => {
  const req = { gref: 0x01020304, offset: 0x0506, flags: 0x0708, id: 0x090a, size: 0x0b0c };
  assert.equal(hex(encodeTxRequest(req)), '04030201' + '0605' + '0807' + '0a09' + '0c0b');
  assert.deepEqual(decodeTxRequest(encodeTxRequest(req)), req);
  assert.equal(hex(encodeTxResponse({ id: 0x1234, status: -1 })), '3412ffff');
  assert.deepEqual(decodeTxResponse(encodeTxResponse({ id: 7, status: -2 })), { id: 7, status: -2 });
});

test('netif rx request and response, byte for byte (§6.5)', () => {
  assert.equal(hex(encodeRxRequest({ id: 0x00ff, gref: 0x11223344 })), 'ff00000044332211');
  assert.deepEqual(decodeRxRequest(encodeRxRequest({ id: 3, gref: 9 })), { id: 3, gref: 9 });
  const rsp = { id: 0x0102, offset: 0x0304, flags: 0x0005, status: 1514 };
  assert.equal(hex(encodeRxResponse(rsp)), '020104030500ea05');
  assert.deepEqual(decodeRxResponse(encodeRxResponse({ id: 1, offset: 0, flags: 4, status: -1 })), { id: 1, offset: 0, flags: 4, status: -1 });
  assert.equal(hex(encodeExtraInfo({ type: 1, flags: 0, data: new Uint8Array([0xa8, 0x05, 1, 0, 0, 0]) })), '0100a80501000000');
});

test('netif ring geometry: 256 entries per page both ways; slots per frame', () => {
  assert.equal(NETIF_TX_ENTRY, 12);
  assert.equal(NETIF_RX_ENTRY, 8);
  assert.equal(NET_TX_RING_SIZE, 256);
  assert.equal(NET_RX_RING_SIZE, 256);
  assert.equal(slotsFor(64, 100), 1);
  assert.equal(slotsFor(64, 4032), 1);
  assert.equal(slotsFor(64, 4033), 2);
  assert.equal(slotsFor(64, 65535), 17);
});

test('xencons_interface layout and the gratuitous ARP frame', () => {
  assert.deepEqual([XENCONS.in, XENCONS.out, XENCONS.in_cons, XENCONS.in_prod, XENCONS.out_cons, XENCONS.out_prod, XENCONS.size], [0, 1024, 3072, 3076, 3080, 3084, 3088]);
  assert.equal(hex(gratuitousArp('00:16:3e:0a:0b:0c', '10.1.2.3')!),
    'ffffffffffff' + '00163e0a0b0c' + '0806' + '0001' + '0800' + '06' + '04' + '0001' + '00163e0a0b0c' + '0a010203' + '000000000000' + '0a010203');
  assert.equal(gratuitousArp('00:16:3e:0a:0b:0c', ''), undefined);
});
