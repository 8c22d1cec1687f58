// Rows of the Grant References, Event Channels and Devices views from their `xen/...`
// bodies. Each view groups by domain (or lists device pairs); pure (no vscode).
import type { DeviceInfo, DevicesBody, EventChannelsBody, GrantInfo, GrantsBody, PortDetails } from '../../debugadapter/protocol';
import { hex, md, type ItemSpec } from './itemSpec';

function domLabel(domid: number, name: string): string {
  return name !== '' && name !== `dom${domid}` ? `dom${domid} (${name})` : `dom${domid}`;
}

// ----- grants

export function grantDomainItems(body: GrantsBody): ItemSpec[] {
  return body.domains.map((d) => ({
    id: `gnt:${d.domid}`,
    label: domLabel(d.domid, d.name),
    description: `${d.entries.length} ${d.entries.length === 1 ? 'grant' : 'grants'} · ${d.nrFrames} ${d.nrFrames === 1 ? 'frame' : 'frames'}`,
    collapsible: d.entries.length > 0,
    contextValue: 'grantDomain',
    icon: 'server',
  }));
}

export function mappedByText(g: GrantInfo): string {
  return g.mappedBy.map((m) => `dom${m.domid}${m.readonly ? ' ro' : ''}`).join(', ');
}

export function grantItem(owner: number, g: GrantInfo): ItemSpec {
  const mapped = mappedByText(g);
  // who may use it and who does, first: the side bar cuts the end
  const description = [`→ dom${g.domid}`, mapped === '' ? '' : `mapped by ${mapped}`, g.flagsText, `frame ${hex(g.frame)}`].filter(Boolean).join(' · ');
  const tip = [
    `**grant ref ${g.ref}** of dom${owner}`,
    '',
    `flags: ${hex(g.flags)} (${md(g.flagsText)})`,
    '',
    `granted to: dom${g.domid}`,
    '',
    `frame: ${hex(g.frame)}`,
    '',
    `mapped by: ${mapped === '' ? 'nobody' : g.mappedBy.map((m) => `dom${m.domid} (handle ${m.handle}${m.readonly ? ', read-only' : ''})`).join(', ')}`,
  ];
  return {
    id: `gnt:${owner}:${g.ref}`,
    label: `ref ${g.ref}`,
    description,
    tooltip: tip.join('\n'),
    collapsible: false,
    contextValue: 'grant',
    icon: g.mappedBy.length > 0 ? 'link' : 'key',
  };
}

export function grantItemsOf(body: GrantsBody, domid: number): ItemSpec[] {
  const d = body.domains.find((x) => x.domid === domid);
  return d === undefined ? [] : d.entries.map((g) => grantItem(domid, g));
}

// ----- event channels

export function channelDomainItems(body: EventChannelsBody): ItemSpec[] {
  return body.domains.map((d) => {
    const open = d.ports.filter((p) => p.state !== 'closed').length;
    const pending = d.ports.filter((p) => p.pending).length;
    return {
      id: `evt:${d.domid}`,
      label: domLabel(d.domid, d.name),
      description: `${open} ${open === 1 ? 'port' : 'ports'}${pending > 0 ? ` · ${pending} pending` : ''}`,
      collapsible: d.ports.length > 0,
      contextValue: 'channelDomain',
      icon: 'server',
    };
  });
}

export function remoteText(p: PortDetails): string {
  if (p.state === 'interdomain' && p.remoteDom !== undefined) return `dom${p.remoteDom}:${p.remotePort ?? '?'}`;
  if (p.state === 'unbound' && p.remoteDom !== undefined) return `for dom${p.remoteDom}`;
  if (p.state === 'virq' && p.virq !== undefined) return `VIRQ ${p.virq}`;
  return '';
}

export function portItem(domid: number, p: PortDetails): ItemSpec {
  const bits = [p.pending ? 'pending' : '', p.masked ? 'masked' : ''].filter(Boolean).join(' ');
  const remote = remoteText(p);
  return {
    id: `evt:${domid}:${p.port}`,
    label: `port ${p.port}`,
    description: [p.state, remote === '' ? '' : `→ ${remote}`, `vcpu${p.vcpu}`, bits].filter(Boolean).join(' · '),
    tooltip: [
      `**event channel ${p.port}** of dom${domid}`,
      '',
      `state: ${p.state}`,
      ...(remote === '' ? [] : ['', `remote end: ${remote}`]),
      '',
      `notified vCPU: ${p.vcpu}`,
      '',
      `pending: ${p.pending ? 'yes' : 'no'}, masked: ${p.masked ? 'yes' : 'no'}`,
    ].join('\n'),
    collapsible: false,
    contextValue: p.masked ? 'port.masked' : 'port',
    icon: p.pending ? 'bell-dot' : p.state === 'closed' ? 'circle-slash' : 'bell',
    ...(p.pending ? { iconColor: 'xenDomu.pendingForeground' } : {}),
  };
}

export function portItemsOf(body: EventChannelsBody, domid: number): ItemSpec[] {
  const d = body.domains.find((x) => x.domid === domid);
  return d === undefined ? [] : d.ports.map((p) => portItem(domid, p));
}

// ----- devices

const CONNECTED = 4;

export function deviceKey(d: Pick<DeviceInfo, 'kind' | 'domid' | 'devid'>): string {
  return `${d.kind}/${d.domid}/${d.devid}`;
}

export function deviceItem(d: DeviceInfo): ItemSpec {
  const both = d.frontend.state === CONNECTED && d.backend.state === CONNECTED;
  return {
    id: `dev:${deviceKey(d)}`,
    label: `${d.kind} ${d.name}`,
    // the states first: the side bar is narrow
    description: `front ${d.frontend.stateName} · back ${d.backend.stateName} · ${d.guest}`,
    tooltip: [
      `**${d.kind} ${d.name}** of ${d.guest} (dom${d.domid}), devid ${d.devid}`,
      '',
      `frontend: ${d.frontend.stateName} (${d.frontend.state}) \`${d.frontend.path}\``,
      '',
      `backend: ${d.backend.stateName} (${d.backend.state}) \`${d.backend.path}\``,
    ].join('\n'),
    collapsible: true,
    contextValue: 'device',
    icon: d.kind === 'vif' ? 'globe' : d.kind === 'console' ? 'terminal' : 'database',
    iconColor: both ? 'xenDomu.connectedForeground' : 'xenDomu.notConnectedForeground',
  };
}

export function deviceEndItems(d: DeviceInfo): ItemSpec[] {
  return (['frontend', 'backend'] as const).map((end) => ({
    id: `dev:${deviceKey(d)}:${end}`,
    label: end,
    description: `${d[end].stateName} (${d[end].state})`,
    tooltip: `\`${d[end].path}\`\n\nXenbusState ${d[end].stateName} = ${d[end].state}`,
    collapsible: false,
    contextValue: `deviceEnd.${end}`,
    icon: d[end].state === CONNECTED ? 'pass' : 'circle-large-outline',
    command: { id: 'xenDomu.xenstore.reveal', title: 'Show in XenStore', args: [d[end].path] },
  }));
}

export function deviceItems(body: DevicesBody): ItemSpec[] {
  return body.devices.map(deviceItem);
}
