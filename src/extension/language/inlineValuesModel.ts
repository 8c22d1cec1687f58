// While stopped, device states next to the scenario lines that declare or use a device:
// `xvda: front Connected(4) · back InitWait(2)`. Pure (no vscode): the provider in
// inlineValues.ts fetches `xen/devices` and places these texts.
import type { DeviceInfo } from '../../debugadapter/protocol';
import type { Statement } from '../../emulator/scenario';
import type { ScenarioModel } from './scenarioModel';

export interface InlineText {
  line: number;
  text: string;
}

export function deviceStateText(d: DeviceInfo): string {
  return `${d.name}: front ${d.frontend.stateName}(${d.frontend.state}) · back ${d.backend.stateName}(${d.backend.state})`;
}

/** Device names a statement refers to (its declaration, or a use). */
export function devicesOnLine(s: Statement, known: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      const o = v as { text?: unknown; span?: unknown };
      if (typeof o.text === 'string' && o.span !== undefined && known.has(o.text) && !found.includes(o.text)) found.push(o.text);
      else for (const x of Object.values(v)) visit(x);
    }
  };
  visit(s);
  return found;
}

/** Matches live devices to the scenario's by name and guest (migration may change the domid). */
export function liveDevice(devices: readonly DeviceInfo[], name: string, guest: string): DeviceInfo | undefined {
  return devices.find((d) => d.name === name && d.guest === guest) ?? devices.find((d) => d.name === name);
}

/**
 * Inline texts for the lines in [fromLine, toLine]: every device declaration, plus the
 * line the debugger stopped on.
 */
export function inlineTexts(model: ScenarioModel, devices: readonly DeviceInfo[], fromLine: number, toLine: number, stoppedLine?: number): InlineText[] {
  const names = new Set(model.devices.map((d) => d.name));
  const out: InlineText[] = [];
  for (const s of model.statements) {
    if (s.line < fromLine || s.line > toLine) continue;
    const declared = s.kind === 'vbd' || s.kind === 'vif' || s.kind === 'console';
    if (!declared && s.line !== stoppedLine) continue;
    const texts = devicesOnLine(s, names)
      .map((n) => {
        const decl = model.devices.find((d) => d.name === n);
        return decl === undefined ? undefined : liveDevice(devices, n, decl.domain);
      })
      .filter((d): d is DeviceInfo => d !== undefined && d.kind !== 'console')
      .map(deviceStateText);
    if (texts.length > 0) out.push({ line: s.line, text: texts.join('  ') });
  }
  return out;
}
