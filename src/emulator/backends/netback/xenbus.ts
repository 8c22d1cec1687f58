// Linux netback's xenbus side (drivers/net/xen-netback/xenbus.c; xen-reference.md §2.4):
// probe publishes the features and goes InitWait, then creates the vif (which kicks the
// hotplug script); frontend Connected reads the ring refs and channels, maps and binds
// (connect, connect_data_rings), and the switch to Connected waits for the script's
// hotplug-status = connected. set_backend_state walks the shortest legal path.
import { call } from '../../core/call';
import type { Kernel } from '../../guest/kernel';
import { type XenbusDevice, xenbus_dev_fatal, xenbus_switch_state, xenbus_transaction } from '../../xenbus/client';
import type { XenbusDriver } from '../../xenbus/driver';
import { XenbusState } from '../../xenbus/states';
import { type Gen, type XsClient, isErr } from '../../xenbus/xs';
import { beOf, queueOf, vifConfig, vifOf } from './common';
import { xenvif_alloc, xenvif_carrier_on, xenvif_connect_data, xenvif_disconnect_data } from './interface';

/** xenvif_max_queues: dom0's online vCPUs */
const XENVIF_MAX_QUEUES = 1;

/** The probe's feature keys, in the order netback_probe writes them inside its transaction. */
export const NETBACK_PROBE_FEATURES: readonly [string, string][] = [
  ['feature-sg', '1'], ['feature-gso-tcpv4', '1'], ['feature-gso-tcpv6', '1'], ['feature-ipv6-csum-offload', '1'],
  ['feature-rx-copy', '1'], ['feature-rx-flip', '0'], ['feature-multicast-control', '1'],
  ['feature-dynamic-multicast-control', '1'],
];

const nodeOf = (k: Kernel, dev: string): string => k.obj<XenbusDevice>(dev).get('nodename');

function* readUnsigned(xs: XsClient, path: string, def: number): Gen<number> {
  const v = yield* xs.read(path);
  if (isErr(v)) return def;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? def : n;
}

function* netback_probe(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  yield* call(k, 'netback_probe', { nodename: d.nodename }, function* () {
    const n = d.nodename;
    const id = n.split('/');
    const cfg = vifConfig(k.em, Number(id[2]), Number(id[3]));
    beOf(k, dev).create({ state: XenbusState.Unknown, frontend_state: XenbusState.Unknown, have_hotplug_status_watch: false, hotplug_script: '', vif: false });
    const r = yield* xenbus_transaction(xs, function* (tx) {
      for (const [key, v] of NETBACK_PROBE_FEATURES) {
        if (isErr(yield* xs.write(`${n}/${key}`, v, tx))) return 'abort';
      }
      return 'ok';
    });
    if (r !== 'ok') {
      yield* xenbus_dev_fatal(k, xs, dev, -5, 'completing transaction');
      yield* netback_remove(k, xs, dev);
      return;
    }
    // optional features, outside the transaction
    yield* xs.write(`${n}/feature-split-event-channels`, String(cfg?.separate_tx_rx_irq ?? 1));
    yield* xs.write(`${n}/multi-queue-max-queues`, String(XENVIF_MAX_QUEUES));
    yield* xs.write(`${n}/feature-ctrl-ring`, '1');
    yield* backend_switch_state(k, xs, dev, XenbusState.InitWait);
    const script = yield* xs.read(`${n}/script`);
    if (isErr(script)) {
      yield* xenbus_dev_fatal(k, xs, dev, -2, 'reading script');
      yield* netback_remove(k, xs, dev);
      return;
    }
    beOf(k, dev).set('hotplug_script', script);
    // "This kicks hotplug scripts, so do it immediately."
    yield* backend_create_xenvif(k, xs, dev);
  });
}

function* backend_create_xenvif(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const be = beOf(k, dev);
  return yield* call(k, 'backend_create_xenvif', {}, function* () {
    if (be.get('vif')) return 0;
    const h = yield* xs.read(`${nodeOf(k, dev)}/handle`);
    const handle = isErr(h) ? NaN : Number.parseInt(h, 10);
    if (Number.isNaN(handle)) { yield* xenbus_dev_fatal(k, xs, dev, -22, 'reading handle'); return -22; }
    xenvif_alloc(k, dev, k.obj<XenbusDevice>(dev).get('otherend_id'), handle);
    be.set('vif', true);
    return 0;
  });
}

/** backend_switch_state: while the hotplug script has not reported, only be->state moves */
function* backend_switch_state(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  const be = beOf(k, dev);
  be.set('state', state);
  if (!be.get('have_hotplug_status_watch')) yield* xenbus_switch_state(k, xs, dev, state);
}

/** set_backend_state: the shortest path from be->state to `state` through legal transitions */
function* set_backend_state(k: Kernel, xs: XsClient, dev: string, state: number): Gen<void> {
  const be = beOf(k, dev);
  yield* call(k, 'set_backend_state', { from: be.get('state'), to: state }, function* () {
    // at most four steps separate any two states; a guard keeps a bad table from spinning
    for (let steps = 0; be.exists && be.get('state') !== state && steps < 8; steps++) {
      const cur = be.get('state');
      switch (cur) {
        case XenbusState.Initialising:
        case XenbusState.Unknown:
          yield* backend_switch_state(k, xs, dev, state === XenbusState.Closed ? XenbusState.Closed : XenbusState.InitWait);
          break;
        case XenbusState.Closed:
          yield* backend_switch_state(k, xs, dev, state === XenbusState.Closing ? XenbusState.Closing : XenbusState.InitWait);
          break;
        case XenbusState.InitWait:
          if (state === XenbusState.Connected) {
            if (be.get('vif')) yield* connect(k, xs, dev);
            yield* backend_switch_state(k, xs, dev, XenbusState.Connected);
          } else {
            yield* backend_switch_state(k, xs, dev, XenbusState.Closing);
          }
          break;
        case XenbusState.Connected:
          yield* backend_disconnect(k, dev);
          yield* backend_switch_state(k, xs, dev, XenbusState.Closing);
          break;
        case XenbusState.Closing:
          yield* backend_switch_state(k, xs, dev, XenbusState.Closed);
          break;
        default:
          return;
      }
    }
  });
}

/** frontend_changed: the frontend's state drives the backend's */
function* frontend_changed(k: Kernel, xs: XsClient, dev: string, fstate: number): Gen<void> {
  const be = beOf(k, dev);
  if (!be.exists) return;
  yield* call(k, 'frontend_changed', { frontend_state: fstate, state: be.get('state') }, function* () {
    be.set('frontend_state', fstate);
    switch (fstate) {
      case XenbusState.Initialising:
        yield* set_backend_state(k, xs, dev, XenbusState.InitWait);
        return;
      case XenbusState.Initialised:
        return;
      case XenbusState.Connected:
        yield* set_backend_state(k, xs, dev, XenbusState.Connected);
        return;
      case XenbusState.Reconfiguring:
        yield* xenbus_switch_state(k, xs, dev, XenbusState.Reconfigured);
        return;
      case XenbusState.Closing:
        yield* set_backend_state(k, xs, dev, XenbusState.Closing);
        return;
      case XenbusState.Closed:
      case XenbusState.Unknown:
        // a device still "online" stays for a reconnect; otherwise the directory goes soon
        yield* set_backend_state(k, xs, dev, XenbusState.Closed);
        return;
      default:
        yield* xenbus_dev_fatal(k, xs, dev, -22, `saw state ${fstate} at frontend`);
    }
  });
}

/** connect: what the frontend asked for, the rings and channels, carrier on, then wait for the script */
function* connect(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const d = k.obj<XenbusDevice>(dev).value;
  yield* call(k, 'connect', { otherend: d.otherend }, function* () {
    const requested = yield* readUnsigned(xs, `${d.otherend}/multi-queue-num-queues`, 1);
    if (requested > XENVIF_MAX_QUEUES || requested === 0) {
      yield* xenbus_dev_fatal(k, xs, dev, -22, `guest requested ${requested} queues, but valid range is 1 - ${XENVIF_MAX_QUEUES}.`);
      return;
    }
    const mac = yield* xs.read(`${d.nodename}/mac`);
    if (isErr(mac) || !/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(mac)) {
      yield* xenbus_dev_fatal(k, xs, dev, -2, `parsing ${d.nodename}/mac`);
      return;
    }
    vifOf(k, dev).set('fe_dev_addr', mac);
    // its result is ignored by connect(), as in Linux
    yield* read_xenbus_vif_flags(k, xs, dev);
    vifOf(k, dev).set('num_queues', requested);
    if ((yield* connect_data_rings(k, xs, dev)) !== 0) {
      vifOf(k, dev).set('num_queues', 0);
      return;
    }
    xenvif_carrier_on(k, dev);
    yield* unregister_hotplug_status_watch(k, xs, dev);
    const node = `${d.nodename}/hotplug-status`;
    if (!isErr(yield* xs.watch(node, hotplugToken(d.nodename), () => hotplug_status_changed(k, xs, dev)))) {
      beOf(k, dev).set('have_hotplug_status_watch', true);
    }
  });
}

const hotplugToken = (nodename: string): string => `hotplug-status:${nodename}`;

/** hotplug_status_changed: the script is done; complete the deferred state change */
function* hotplug_status_changed(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const be = beOf(k, dev);
  if (!be.exists) return;
  yield* call(k, 'hotplug_status_changed', {}, function* () {
    const s = yield* xs.read(`${nodeOf(k, dev)}/hotplug-status`);
    if (isErr(s) || s !== 'connected') return;
    yield* xenbus_switch_state(k, xs, dev, be.get('state'));
    yield* unregister_hotplug_status_watch(k, xs, dev);
  });
}

function* unregister_hotplug_status_watch(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  const be = beOf(k, dev);
  if (be.exists && be.get('have_hotplug_status_watch')) {
    yield* xs.unwatch(hotplugToken(nodeOf(k, dev)));
    be.set('have_hotplug_status_watch', false);
  }
}

/** read_xenbus_vif_flags: request-rx-copy is required; the offloads the frontend accepts */
function* read_xenbus_vif_flags(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const fe = k.obj<XenbusDevice>(dev).get('otherend');
  const vif = vifOf(k, dev);
  return yield* call(k, 'read_xenbus_vif_flags', {}, function* () {
    const rxCopy = yield* readUnsigned(xs, `${fe}/request-rx-copy`, 0);
    if (!rxCopy) return -95; // EOPNOTSUPP: this netback only copies
    yield* readUnsigned(xs, `${fe}/feature-rx-notify`, 0);
    vif.set('can_sg', (yield* readUnsigned(xs, `${fe}/feature-sg`, 0)) !== 0);
    let gso = 0;
    if (yield* readUnsigned(xs, `${fe}/feature-gso-tcpv4`, 0)) gso |= 1;
    if (yield* readUnsigned(xs, `${fe}/feature-gso-tcpv6`, 0)) gso |= 2;
    vif.set('gso_mask', gso);
    vif.set('ip_csum', !(yield* readUnsigned(xs, `${fe}/feature-no-csum-offload`, 0)));
    vif.set('ipv6_csum', (yield* readUnsigned(xs, `${fe}/feature-ipv6-csum-offload`, 0)) !== 0);
    return 0;
  });
}

/** connect_data_rings: tx/rx ring refs, split channels first, then the single one */
function* connect_data_rings(k: Kernel, xs: XsClient, dev: string): Gen<number> {
  const fe = k.obj<XenbusDevice>(dev).get('otherend');
  return yield* call(k, 'connect_data_rings', { xspath: fe }, function* () {
    const txr = yield* xs.read(`${fe}/tx-ring-ref`);
    const rxr = yield* xs.read(`${fe}/rx-ring-ref`);
    if (isErr(txr) || isErr(rxr)) { yield* xenbus_dev_fatal(k, xs, dev, -2, `reading ${fe}/ring-ref`); return -2; }
    const evtx = yield* xs.read(`${fe}/event-channel-tx`);
    const evrx = yield* xs.read(`${fe}/event-channel-rx`);
    let txEv: number, rxEv: number;
    if (!isErr(evtx) && !isErr(evrx)) {
      txEv = Number(evtx); rxEv = Number(evrx);
    } else {
      const ev = yield* xs.read(`${fe}/event-channel`);
      if (isErr(ev)) { yield* xenbus_dev_fatal(k, xs, dev, -2, `reading ${fe}/event-channel(-tx/rx)`); return -2; }
      txEv = rxEv = Number(ev);
    }
    const err = xenvif_connect_data(k, dev, Number(txr), Number(rxr), txEv, rxEv);
    if (err !== 0) {
      yield* xenbus_dev_fatal(k, xs, dev, err, `mapping shared-frames ${txr}/${rxr} port tx ${txEv} rx ${rxEv}`);
      return err;
    }
    return 0;
  });
}

/** backend_disconnect: the data path goes; the vif (netdev) stays for a reconnect */
function* backend_disconnect(k: Kernel, dev: string): Gen<void> {
  if (!vifOf(k, dev).exists) return;
  yield* call(k, 'backend_disconnect', {}, function* () {
    xenvif_disconnect_data(k, dev);
    vifOf(k, dev).set('num_queues', 0);
    if (queueOf(k, dev).exists) queueOf(k, dev).delete();
  });
}

function* netback_remove(k: Kernel, xs: XsClient, dev: string): Gen<void> {
  yield* call(k, 'netback_remove', {}, function* () {
    yield* unregister_hotplug_status_watch(k, xs, dev);
    if (yield* xs.exists(nodeOf(k, dev))) yield* xs.rm(`${nodeOf(k, dev)}/hotplug-status`);
    if (vifOf(k, dev).exists) {
      yield* backend_disconnect(k, dev);
      vifOf(k, dev).delete(); // xenvif_free
    }
    if (beOf(k, dev).exists) beOf(k, dev).delete();
  });
}

export const linuxNetback: XenbusDriver = {
  type: 'vif',
  probe: netback_probe,
  otherend_changed: frontend_changed,
  remove: netback_remove,
};
