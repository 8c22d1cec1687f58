// dist/adapter.js: the debug adapter on stdin/stdout. Its code is the emulator bundle the
// extension loads for its inline adapter (dist/extension-emulator.js, built alongside),
// compiled through a V8 code cache (codecache.ts): a session starts without compiling
// 750 KB of JavaScript, with the parser's and the system's functions ready.
import * as path from 'node:path';
import type * as Emulator from '../extension/emulator';
import { requireCached } from './codecache';
import { serveStdio } from './output';

const { XenDebugSession } = requireCached(path.join(__dirname, 'extension-emulator.js')) as typeof Emulator;
serveStdio(new XenDebugSession());
