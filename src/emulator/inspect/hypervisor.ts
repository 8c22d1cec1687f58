// Grant tables and event channels of every domain, one line per entry, for `inspect`.
import {
  EVTCHN_STATE_NAMES, GTF_PAT, GTF_PCD, GTF_PWT, GTF_readonly, GTF_reading, GTF_sub_page, GTF_type_mask, GTF_writing,
} from '../hypervisor/constants';
import type { Domain, HvState } from '../hypervisor/state';

const NO_HV = 'no domains: this recording holds no hypervisor state (e.g. an imported xenstore trace)\n';
const hex = (n: number): string => `0x${n.toString(16)}`;

function domains(hv: HvState): Domain[] {
  return [...hv.domains.values()].sort((a, b) => a.domid - b.domid);
}

function title(d: Domain): string {
  return `dom${d.domid} "${d.name}" (${d.state}${d.privileged ? ', privileged' : ''})`;
}

/** GTF_* flags as words: "permit_access|readonly|reading". */
export function grantFlags(flags: number): string {
  const type = ['invalid', 'permit_access', 'accept_transfer', 'transitive'][flags & GTF_type_mask];
  const bits: [number, string][] = [
    [GTF_readonly, 'readonly'], [GTF_reading, 'reading'], [GTF_writing, 'writing'], [GTF_PWT, 'PWT'], [GTF_PCD, 'PCD'],
    [GTF_PAT, 'PAT'], [GTF_sub_page, 'sub_page'],
  ];
  return [type, ...bits.filter(([b]) => (flags & b) !== 0).map(([, n]) => n)].join('|');
}

export function formatGrants(hv: HvState): string {
  const ds = domains(hv);
  if (ds.length === 0) return NO_HV;
  let out = '';
  for (const d of ds) {
    const g = d.grant;
    out += `${title(d)}: grant table v${g.version}, ${g.nrFrames} frame(s)\n`;
    let any = false;
    g.entries.forEach((e, ref) => {
      if (e === undefined || e.flags === 0) return;
      any = true;
      const act = g.active.get(ref);
      const use = act === undefined || (act.rd === 0 && act.wr === 0) ? '' : `  mapped (${act.rd} read, ${act.wr} write)`;
      out += `  ref ${ref}: ${grantFlags(e.flags)} domid ${e.domid} frame ${hex(e.frame)}${use}\n`;
    });
    if (!any) out += '  (no entries in use)\n';
    const maps = [...d.maptrack.values()].sort((a, b) => a.handle - b.handle);
    for (const m of maps) out += `  maps handle ${m.handle}: dom${m.granter} ref ${m.ref} frame ${hex(m.frame)}${m.readonly ? ' read-only' : ''}\n`;
  }
  return out;
}

export function formatEvtchn(hv: HvState): string {
  const ds = domains(hv);
  if (ds.length === 0) return NO_HV;
  let out = '';
  for (const d of ds) {
    out += `${title(d)}\n`;
    let any = false;
    d.evtchn.ports.forEach((p, port) => {
      if (p === undefined || p.state === 0) return;
      any = true;
      let what: string = EVTCHN_STATE_NAMES[p.state] ?? `state ${p.state}`;
      if (p.remoteDom !== undefined) what += p.remotePort === undefined ? ` remote dom${p.remoteDom}` : ` remote dom${p.remoteDom}:${p.remotePort}`;
      if (p.virq !== undefined) what = `virq ${p.virq}`;
      if (p.pirq !== undefined) what = `pirq ${p.pirq}`;
      const bits = `${d.evtchn.pending[port] ? ' pending' : ''}${d.evtchn.mask[port] ? ' masked' : ''}`;
      out += `  port ${port}: ${what} vcpu ${p.vcpu}${bits}\n`;
    });
    if (!any) out += '  (no open ports)\n';
    d.evtchn.vcpus.forEach((v, i) => {
      if (v.upcallPending !== 0 || v.upcallMask !== 0) out += `  vcpu${i}: upcall_pending ${v.upcallPending} upcall_mask ${v.upcallMask}\n`;
    });
  }
  return out;
}
