// Breakpoint commands with quick picks: a XenbusState transition (device, side, state)
// and a suspend/resume phase (flavour, phase). Devices come from the running session
// (`xen/devices`) or else from the open scenario's declarations.
import * as vscode from 'vscode';
import { KERNEL_FLAVOURS, XENBUS_STATES } from '../../emulator/scenario';
import { XEN_REQUESTS, type DeviceInfo, type DevicesBody } from '../../debugadapter/protocol';
import type { XenSessions } from '../debug/sessions';
import { scenarioModel } from '../language/scenarioModel';
import { FLAVOUR_PHASES, phasesOf } from './phases';
import { deviceRef, stateBreakpoint, type DeviceSide } from './syntax';

interface DevicePick extends vscode.QuickPickItem {
  ref: string;
}

function scenarioEditorText(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  if (doc?.languageId === 'xen-scenario') return doc.getText();
  return vscode.workspace.textDocuments.find((d) => d.languageId === 'xen-scenario')?.getText();
}

async function devicePicks(sessions: XenSessions): Promise<DevicePick[]> {
  let live: DeviceInfo[] = [];
  try {
    live = (await sessions.request<DevicesBody>(XEN_REQUESTS.devices, {}))?.devices ?? [];
  } catch {
    // a running (not stopped) adapter may refuse: fall back to the scenario
  }
  if (live.length > 0) {
    return live.map((d) => ({ label: d.name, description: `${d.kind} ${d.devid} on ${d.guest}`, detail: `frontend ${d.frontend.stateName} · backend ${d.backend.stateName}`, ref: deviceRef(d) }));
  }
  const text = scenarioEditorText();
  if (text === undefined) return [];
  return scenarioModel(text).devices
    .filter((d) => d.kind !== 'console')
    .map((d) => ({ label: d.name, description: `${d.kind} ${d.devid} on ${d.domain}`, ref: deviceRef(d) }));
}

/** Args let tests and the Devices view's context menu skip the questions already answered. */
export async function addStateBreakpoint(sessions: XenSessions, device?: string, side?: DeviceSide, state?: string): Promise<vscode.FunctionBreakpoint | undefined> {
  let dev = device;
  if (dev === undefined) {
    const picks = await devicePicks(sessions);
    const pick = picks.length > 0
      ? await vscode.window.showQuickPick(picks, { title: 'XenbusState breakpoint (1/3): device', placeHolder: 'the device whose state change should stop' })
      : undefined;
    if (picks.length === 0) {
      dev = await vscode.window.showInputBox({ title: 'XenbusState breakpoint (1/3): device', prompt: 'No scenario open and no session: name the device (xvda, or vbd/51712)' });
    } else dev = pick?.ref;
  }
  if (dev === undefined || dev === '') return undefined;
  const end = side ?? (await vscode.window.showQuickPick(
    [{ label: 'frontend' as const, description: 'the guest driver (blkfront, netfront)' }, { label: 'backend' as const, description: 'the backend driver (blkback, netback)' }],
    { title: `XenbusState breakpoint (2/3): which end of ${dev}` },
  ))?.label;
  if (end === undefined) return undefined;
  const to = state ?? (await vscode.window.showQuickPick(
    XENBUS_STATES.map((s) => ({ label: s.name, description: String(s.value), detail: s.doc })),
    { title: `XenbusState breakpoint (3/3): stop when ${dev} ${end} becomes`, matchOnDescription: true },
  ))?.label;
  if (to === undefined) return undefined;
  const bp = new vscode.FunctionBreakpoint(stateBreakpoint(dev, end, to));
  vscode.debug.addBreakpoints([bp]);
  return bp;
}

function flavoursInScenario(): string[] {
  const text = scenarioEditorText();
  if (text === undefined) return [];
  return [...new Set(scenarioModel(text).domains.flatMap((d) => (d.kernel === undefined ? [] : [d.kernel])))];
}

export async function addPhaseBreakpoint(flavour?: string, phase?: string): Promise<vscode.FunctionBreakpoint | undefined> {
  let fl = flavour;
  if (fl === undefined) {
    const inScenario = flavoursInScenario();
    if (inScenario.length === 1) fl = inScenario[0];
    else {
      const order = [...inScenario, ...KERNEL_FLAVOURS.map((k) => k.name).filter((n) => !inScenario.includes(n))];
      fl = (await vscode.window.showQuickPick(
        order.map((n) => ({ label: n, description: inScenario.includes(n) ? 'in the open scenario' : '', detail: KERNEL_FLAVOURS.find((k) => k.name === n)?.doc })),
        { title: 'Suspend/resume phase breakpoint: kernel flavour' },
      ))?.label;
    }
  }
  if (fl === undefined) return undefined;
  const table = phasesOf(fl);
  if (table === undefined) {
    void vscode.window.showErrorMessage(`No phase list for the kernel flavour "${fl}" (known: ${FLAVOUR_PHASES.map((f) => f.flavour).join(', ')}).`);
    return undefined;
  }
  const name = phase ?? (await vscode.window.showQuickPick(
    table.phases.map((p) => ({ label: p.name, description: p.when, detail: p.doc })),
    { title: `Suspend/resume phase breakpoint (${fl}): stop when the guest enters`, matchOnDetail: true },
  ))?.label;
  if (name === undefined) return undefined;
  const bp = new vscode.FunctionBreakpoint(name);
  vscode.debug.addBreakpoints([bp]);
  return bp;
}

export function registerBreakpointCommands(context: vscode.ExtensionContext, sessions: XenSessions): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xenDomu.addStateBreakpoint', (device?: unknown, side?: DeviceSide, state?: string) => {
      // from the Devices view's context menu the first argument is the row
      const dev = typeof device === 'string' ? device : rowDevice(device);
      return addStateBreakpoint(sessions, dev, side, state);
    }),
    vscode.commands.registerCommand('xenDomu.addPhaseBreakpoint', (flavour?: string, phase?: string) => addPhaseBreakpoint(flavour, phase)),
  );
}

/** The device of a Devices view row ("vbd xvda" → xvda). */
function rowDevice(row: unknown): string | undefined {
  if (row === null || typeof row !== 'object' || !('spec' in row)) return undefined;
  const spec = (row as { spec: { label?: unknown } }).spec;
  return typeof spec.label === 'string' ? spec.label.split(' ').pop() : undefined;
}
