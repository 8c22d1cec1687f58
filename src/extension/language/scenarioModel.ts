// What the language features need to know about a scenario besides the line being typed:
// the names it declares (domains, backends, devices) with their resolved ids, so that
// completion offers `xvda` after `write` and hover can say what `xvda` is. Pure (no vscode).
import { parseScenario, isDevice, type Statement } from '../../emulator/scenario';

export interface DomainInfo {
  name: string;
  domid: number;
  /** 'guest' for `domain`, 'backend' for `backend` (dom0 is implicit) */
  role: 'guest' | 'backend';
  kernel?: string;
  line: number;
}

export interface DeviceDeclInfo {
  name: string;
  kind: 'vbd' | 'vif' | 'console';
  domain: string;
  /** vbd virtual-device, vif handle; -1 for a console */
  devid: number;
  backend: string;
  line: number;
}

export interface ScenarioModel {
  statements: Statement[];
  domains: DomainInfo[];
  devices: DeviceDeclInfo[];
}

const DOM0: DomainInfo = { name: 'dom0', domid: 0, role: 'backend', line: 0 };

export function scenarioModel(text: string, file = 'scenario.xens'): ScenarioModel {
  const { statements } = parseScenario(text, file);
  return modelOf(statements);
}

export function modelOf(statements: Statement[]): ScenarioModel {
  const domains: DomainInfo[] = [];
  const devices: DeviceDeclInfo[] = [];
  for (const s of statements) {
    if (s.kind === 'domain' && s.name.text) domains.push({ name: s.name.text, domid: s.domid, role: 'guest', kernel: s.kernel, line: s.line });
    else if (s.kind === 'backend' && s.name.text) domains.push({ name: s.name.text, domid: s.domid, role: 'backend', line: s.line });
    else if (isDevice(s) && s.name.text) {
      const devid = s.kind === 'vbd' ? s.devid : s.kind === 'vif' ? s.handle : -1;
      devices.push({ name: s.name.text, kind: s.kind, domain: s.domain.text, devid, backend: s.backend, line: s.line });
    }
  }
  // dom0 exists without a declaration; a declared dom0 (to pick its blkback) replaces it
  if (!domains.some((d) => d.name === 'dom0')) domains.push(DOM0);
  return { statements, domains, devices };
}

export function guests(m: ScenarioModel): DomainInfo[] {
  return m.domains.filter((d) => d.role === 'guest');
}

export function domainNamed(m: ScenarioModel, name: string): DomainInfo | undefined {
  return m.domains.find((d) => d.name === name);
}

export function deviceNamed(m: ScenarioModel, name: string): DeviceDeclInfo | undefined {
  return m.devices.find((d) => d.name === name);
}

/** The frontend directory of a device, relative to its domain's home. */
export function frontendDir(d: DeviceDeclInfo): string {
  return d.kind === 'console' ? 'console' : `device/${d.kind}/${d.devid}`;
}

/** The backend directory of a device, relative to the backend domain's home. */
export function backendDir(d: DeviceDeclInfo, domid: number): string {
  return `backend/${d.kind}/${domid}/${d.devid}`;
}
