// Loads dist/extension-emulator.js (src/extension/emulator.ts) the first time a session or
// a headless run needs it. A runtime require of a sibling bundle: esbuild leaves it alone,
// and the extension's own bundle stays small enough to activate fast.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Emulator from './emulator';

export type EmulatorModule = typeof Emulator;

let loaded: EmulatorModule | undefined;

export function emulator(): EmulatorModule {
  loaded ??= createRequire(__filename)(join(__dirname, 'extension-emulator.js')) as EmulatorModule;
  return loaded;
}
