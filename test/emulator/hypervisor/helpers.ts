import { Emulator } from '../../../src/emulator/emulator';

/** dom0 (privileged) and two guests, ready for hypercalls. */
export function twoGuests(): Emulator {
  const em = new Emulator();
  em.emit({ k: 'dom.create', domid: 0, name: 'Domain-0', privileged: true, vcpus: 1, nrPages: 64, mfnBase: 0x1000 });
  em.emit({ k: 'dom.create', domid: 1, name: 'guest1', privileged: false, vcpus: 2, nrPages: 64, mfnBase: 0x2000 });
  em.emit({ k: 'dom.create', domid: 2, name: 'guest2', privileged: false, vcpus: 1, nrPages: 64, mfnBase: 0x3000 });
  return em;
}

/** Kinds (and key fields) of the events appended since `from`. */
export function eventsSince(em: Emulator, from: number): string[] {
  const out: string[] = [];
  for (let i = from; i < em.history.length; i++) {
    const e = em.history.event(i) as unknown as Record<string, unknown>;
    const { k, a: _a, u: _u, ...rest } = e;
    out.push(`${String(k)} ${JSON.stringify(rest)}`);
  }
  return out;
}
