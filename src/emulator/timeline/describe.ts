// One readable line per event, for `xen-domu run --trace`, the debug console's `events`
// command and the recording timeline. It reads like the kernel log a Xen developer knows.
import type { WorldEvent } from '../world';
import { XS_TYPE_NAMES } from '../xenstore/wire';
import { EVTCHN_STATE_NAMES, SHUTDOWN_NAMES } from '../hypervisor/constants';

function val(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function printable(s: string): string {
  return s.replace(/\0/g, ' ').replace(/[^\x20-\x7e]/g, '.');
}

/** A one-line description of an event (without time or actor). */
export function describe(e: WorldEvent): string {
  switch (e.k) {
    case 'clock.advance': return `time advances to ${e.to} ns`;
    case 'actor.spawn': return `thread ${e.name} starts (dom${e.dom})`;
    case 'actor.exit': return `thread ${e.id} exits`;
    case 'actor.move': return `thread ${e.id} now runs in dom${e.dom}`;
    case 'frame.push': {
      const locals = Object.entries(e.locals).map(([k, v]) => `${k}=${val(v)}`).join(' ');
      return `→ ${e.fn}${locals === '' ? '' : ` ${locals}`}`;
    }
    case 'frame.pop': return '←';
    case 'frame.local': return `  ${e.name} = ${val(e.value)}`;
    case 'frame.step': return `  · ${e.step}`;
    case 'dom.create': return `domain ${e.domid} "${e.name}" created (${e.nrPages} pages, mfns 0x${e.mfnBase.toString(16)}..)`;
    case 'dom.state': return `domain ${e.domid} ${e.state}${e.reason === null ? '' : ` (${SHUTDOWN_NAMES[e.reason] ?? e.reason})`}`;
    case 'dom.destroy': return `domain ${e.domid} destroyed`;
    case 'dom.start_info': return `dom${e.domid} start_info at pfn ${e.pfn}`;
    case 'dom.suspend_ret': return `dom${e.domid}: SCHEDOP_shutdown(suspend) will return ${e.v}`;
    case 'mem.w': return `dom${e.dom} pfn ${e.pfn} +${e.off}: write ${e.data.length} bytes`;
    case 'mem.w32': return `dom${e.dom} pfn ${e.pfn} +${e.off}: u32 = ${e.v}`;
    case 'mem.fill': return `dom${e.dom} pfn ${e.pfn} +${e.off}: fill ${e.len} bytes with 0x${e.byte.toString(16)}`;
    case 'mem.copy': return `copy ${e.len} bytes dom${e.fromDom}:${e.fromPfn}+${e.fromOff} → dom${e.dom}:${e.pfn}+${e.off}`;
    case 'mem.pattern': return `dom${e.dom} pfn ${e.pfn} +${e.off}: ${e.len} bytes of pattern ${e.seed} (sector ${e.sector})`;
    case 'mem.transfer': return `memory of dom${e.from} moves to dom${e.to}`;
    case 'mem.save': return `memory of dom${e.dom} saved as image "${e.image}"`;
    case 'mem.load': return `image "${e.image}" loaded into dom${e.dom}`;
    case 'gnt.entry': return `dom${e.dom} grant ref ${e.ref}: flags 0x${e.flags.toString(16)} domid ${e.domid} frame 0x${e.frame.toString(16)}`;
    case 'gnt.setup': return `dom${e.dom} grant table: ${e.frames} frame(s)`;
    case 'gnt.map': return `dom${e.mapper} maps dom${e.granter} grant ref ${e.ref}${e.readonly ? ' read-only' : ''} (handle ${e.handle})`;
    case 'gnt.unmap': return `dom${e.mapper} unmaps handle ${e.handle}`;
    case 'evtchn.port': return e.st === null ? `dom${e.dom} port ${e.port} closed` : `dom${e.dom} port ${e.port}: ${EVTCHN_STATE_NAMES[e.st.state]}${e.st.remoteDom === undefined ? '' : ` remote dom${e.st.remoteDom}${e.st.remotePort === undefined ? '' : `:${e.st.remotePort}`}`}${e.st.virq === undefined ? '' : ` virq ${e.st.virq}`} vcpu ${e.st.vcpu}`;
    case 'evtchn.bit': return `dom${e.dom} port ${e.port} ${e.which === 'p' ? 'pending' : 'mask'} = ${e.v}`;
    case 'evtchn.vcpu': return `dom${e.dom} vcpu${e.vcpu} ${e.field === 'sel' ? `pending_sel[${e.word}]` : e.field === 'upcall' ? 'upcall_pending' : 'upcall_mask'} = ${e.v}`;
    case 'hv.drop': return `fault: the next ${e.n} notification(s) to dom${e.dom} port ${e.port} are lost`;
    case 'hv.fail': return e.f === null ? `fault ${e.i} used up` : `fault: ${e.f.hypercall}${e.f.op === null ? '' : `(${e.f.op})`} fails with ${e.f.errno} ${e.f.count} more time(s)`;
    case 'obj.new': return `${e.id} created`;
    case 'obj.set': return `${e.id}.${e.key} = ${val(e.v)}`;
    case 'obj.del': return `${e.id} freed`;
    case 'list.new': return `${e.id}: list of ${e.init.length}`;
    case 'list.push': return `${e.id}: push ${e.v}`;
    case 'list.pop': return `${e.id}: pop`;
    case 'list.shift': return `${e.id}: take oldest`;
    case 'disk.create': return `disk ${e.id}: ${e.sectors} sectors`;
    case 'disk.from_mem': return `disk ${e.id} sectors ${e.sector}..${e.sector + e.len / 512 - 1} ← dom${e.dom} pfn ${e.pfn}+${e.off}`;
    case 'disk.to_mem': return `disk ${e.id} sectors ${e.sector}..${e.sector + e.len / 512 - 1} → dom${e.dom} pfn ${e.pfn}+${e.off}`;
    case 'blk.submit': return `${e.bio.kern}: bio #${e.bio.n} ${e.bio.op.toUpperCase()} ${e.bio.dev} sector ${e.bio.sector} (${e.bio.nsect} sectors)`;
    case 'blk.state': return `bio #${e.n} ${e.state}`;
    case 'blk.complete': return `bio #${e.n} completed, status ${e.status}`;
    case 'blk.suspend': return `${e.kern}: in-flight I/O frozen for suspend`;
    case 'blk.exec': return `bio #${e.n} executed by the backend`;
    case 'violation': return `VIOLATION ${e.cls}: ${e.msg}`;
    default: return describeXs(e);
  }
}

function describeXs(e: WorldEvent): string {
  const x = e as unknown as { [k: string]: unknown };
  const where = x.t !== undefined ? ` (transaction ${String(x.t)})` : '';
  switch (e.k) {
    case 'xs.write': return `xenstore ${String(x.path)} = ${val(printable(String(x.v)))}${where}`;
    case 'xs.mknod': return `xenstore ${String(x.path)} created${where}`;
    case 'xs.rm': return `xenstore ${String(x.path)} removed${where}`;
    case 'xs.perms': return `xenstore ${String(x.path)} perms${where}`;
    case 'xs.msg': {
      const ty = XS_TYPE_NAMES[Number(x.ty)] ?? `type ${String(x.ty)}`;
      return `xenstore conn ${String(x.c)} ${x.d === 0 ? 'IN ' : 'OUT'} ${ty} (${printable(String(x.data)).slice(0, 80)})`;
    }
    case 'xs.watch': return `xenstore conn ${String(x.c)} watches ${String(x.path)} token ${String(x.token)}`;
    case 'xs.unwatch': return `xenstore conn ${String(x.c)} unwatches ${String(x.path)}`;
    default: {
      const { k, a: _a, u: _u, ...rest } = x;
      return `${String(k)} ${val(rest)}`;
    }
  }
}
