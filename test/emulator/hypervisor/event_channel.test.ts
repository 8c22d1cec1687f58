import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evtchn_alloc_unbound, evtchn_bind_interdomain, evtchn_bind_ipi, evtchn_bind_virq, evtchn_close, evtchn_do_upcall,
  evtchn_send, evtchn_status, evtchn_unmask, mask_evtchn, send_guest_virq,
} from '../../../src/emulator/hypervisor/event_channel';
import { DOMID_SELF, ERRNO, VIRQ } from '../../../src/emulator/hypervisor/constants';
import { eventsSince, twoGuests } from './helpers';

test('alloc_unbound then bind_interdomain connects both ends and makes the binder pending', () => {
  const em = twoGuests();
  const fport = evtchn_alloc_unbound(em, 1, DOMID_SELF, 0);
  assert.equal(fport, 1);
  assert.deepEqual(evtchn_status(em.hv, 1, DOMID_SELF, fport), { rc: 0, status: 1, vcpu: 0, remoteDom: 0 });
  const from = em.history.length;
  const bport = evtchn_bind_interdomain(em, 0, 1, fport);
  assert.equal(bport, 1);
  assert.deepEqual(eventsSince(em, from), [
    'evtchn.port {"dom":0,"port":1,"st":{"state":2,"vcpu":0,"remoteDom":1,"remotePort":1}}',
    'evtchn.port {"dom":1,"port":1,"st":{"state":2,"vcpu":0,"remoteDom":0,"remotePort":1}}',
    'evtchn.bit {"dom":0,"port":1,"which":"p","v":1}',
    'evtchn.vcpu {"dom":0,"vcpu":0,"field":"sel","word":0,"v":1}',
    'evtchn.vcpu {"dom":0,"vcpu":0,"field":"upcall","word":0,"v":1}',
  ]);
  assert.deepEqual(evtchn_status(em.hv, 1, DOMID_SELF, fport), { rc: 0, status: 2, vcpu: 0, remoteDom: 0, remotePort: 1 });
});

test('bind_interdomain refusals', () => {
  const em = twoGuests();
  const p = evtchn_alloc_unbound(em, 1, DOMID_SELF, 0);
  assert.equal(evtchn_bind_interdomain(em, 2, 1, p), -ERRNO.EINVAL, 'port accepts dom0 only');
  assert.equal(evtchn_bind_interdomain(em, 0, 1, 77), -ERRNO.EINVAL, 'no such port');
  assert.equal(evtchn_bind_interdomain(em, 0, 9, p), -ERRNO.ESRCH, 'no such domain');
  assert.ok(evtchn_bind_interdomain(em, 0, 1, p) > 0);
  assert.equal(evtchn_bind_interdomain(em, 0, 1, p), -ERRNO.EINVAL, 'already interdomain');
  assert.equal(evtchn_alloc_unbound(em, 1, 2, 0), -ERRNO.EPERM, 'an unprivileged domain allocates only for itself');
});

test('send sets the remote pending bit once; a second send while pending adds no edge', () => {
  const em = twoGuests();
  const f = evtchn_alloc_unbound(em, 1, DOMID_SELF, 0);
  const b = evtchn_bind_interdomain(em, 0, 1, f);
  const from = em.history.length;
  assert.equal(evtchn_send(em, 0, b), 0);
  assert.deepEqual(eventsSince(em, from), [
    'evtchn.bit {"dom":1,"port":1,"which":"p","v":1}',
    'evtchn.vcpu {"dom":1,"vcpu":0,"field":"sel","word":0,"v":1}',
    'evtchn.vcpu {"dom":1,"vcpu":0,"field":"upcall","word":0,"v":1}',
  ]);
  const mid = em.history.length;
  assert.equal(evtchn_send(em, 0, b), 0);
  assert.equal(em.history.length, mid);
  assert.deepEqual(evtchn_do_upcall(em, 1, 0), [1]);
  const v = em.hv.domains.get(1)!.evtchn;
  assert.equal(v.pending[1], 0);
  assert.equal(v.vcpus[0].upcallPending, 0);
  assert.equal(v.vcpus[0].pendingSel[0], 0);
});

test('a masked port loses its edge until unmask re-creates it', () => {
  const em = twoGuests();
  const f = evtchn_alloc_unbound(em, 1, DOMID_SELF, 0);
  const b = evtchn_bind_interdomain(em, 0, 1, f);
  mask_evtchn(em, 1, f);
  evtchn_send(em, 0, b);
  const v = em.hv.domains.get(1)!.evtchn;
  assert.equal(v.pending[f], 1);
  assert.equal(v.vcpus[0].upcallPending, 0);
  assert.deepEqual(evtchn_do_upcall(em, 1, 0), []);
  evtchn_unmask(em, 1, f);
  assert.equal(v.vcpus[0].upcallPending, 1);
  assert.deepEqual(evtchn_do_upcall(em, 1, 0), [f]);
});

test('close turns the peer unbound, accepting the closer, so it can be re-bound', () => {
  const em = twoGuests();
  const f = evtchn_alloc_unbound(em, 1, DOMID_SELF, 0);
  const b = evtchn_bind_interdomain(em, 0, 1, f);
  assert.equal(evtchn_close(em, 0, b), 0);
  assert.deepEqual(evtchn_status(em.hv, 1, DOMID_SELF, f), { rc: 0, status: 1, vcpu: 0, remoteDom: 0 });
  assert.deepEqual(evtchn_status(em.hv, 0, DOMID_SELF, b), { rc: 0, status: 0, vcpu: 0 });
  assert.equal(evtchn_send(em, 1, f), 0, 'send on an unbound port is silently dropped');
  assert.equal(evtchn_send(em, 0, b), -ERRNO.EINVAL, 'send on a closed port');
  assert.equal(evtchn_close(em, 0, b), -ERRNO.EINVAL, 'closing twice');
  assert.ok(evtchn_bind_interdomain(em, 0, 1, f) > 0);
});

test('VIRQs: global ones on vCPU 0 only, per-vCPU ones once per vCPU; IPIs pend locally', () => {
  const em = twoGuests();
  assert.equal(evtchn_bind_virq(em, 1, VIRQ.CONSOLE, 1), -ERRNO.EINVAL);
  const c = evtchn_bind_virq(em, 1, VIRQ.CONSOLE, 0);
  assert.equal(evtchn_bind_virq(em, 1, VIRQ.CONSOLE, 0), -ERRNO.EEXIST);
  const t0 = evtchn_bind_virq(em, 1, VIRQ.TIMER, 0);
  const t1 = evtchn_bind_virq(em, 1, VIRQ.TIMER, 1);
  assert.deepEqual([c, t0, t1], [1, 2, 3]);
  assert.equal(evtchn_bind_virq(em, 1, VIRQ.TIMER, 2), -ERRNO.ENOENT);
  assert.equal(send_guest_virq(em, 1, VIRQ.TIMER, 1), true);
  assert.equal(em.hv.domains.get(1)!.evtchn.vcpus[1].upcallPending, 1);
  const ipi = evtchn_bind_ipi(em, 1, 1);
  assert.equal(evtchn_send(em, 1, ipi), 0);
  assert.deepEqual(evtchn_do_upcall(em, 1, 1), [3, 4]);
  assert.deepEqual(evtchn_status(em.hv, 1, DOMID_SELF, ipi), { rc: 0, status: 5, vcpu: 1 });
  assert.equal(evtchn_status(em.hv, 1, 0, 1).rc, -ERRNO.EPERM);
});

test('a restored domain can start its ports elsewhere (stale port numbers are caught)', () => {
  const em = twoGuests();
  em.hv.domains.get(2)!.evtchn.firstPort = 17;
  assert.equal(evtchn_alloc_unbound(em, 2, DOMID_SELF, 0), 17);
});
