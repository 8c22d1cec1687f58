// Registration for the Playwright UI tests: each test/e2e/ui/*.test.ts calls test(); run-ui.ts
// imports them and runs every test in a fresh browser context on an already opened workbench.
import type { Page } from 'playwright-core';
import type { Workbench } from '../lib/workbench';

export interface UiTestContext {
  /** The workbench, loaded with the e2e workspace folder and no editor open. */
  readonly wb: Workbench;
  readonly page: Page;
  /** The workspace folder on the server: a copy of examples/ plus test/e2e/fixtures/, or of
   *  test/e2e/workspaces/<name> for a test registered with { workspace: name }. */
  readonly folder: string;
  log(...args: unknown[]): void;
}

export interface UiTestOptions {
  /** default 120 s */
  readonly timeoutMs?: number;
  /** Open test/e2e/workspaces/<name> (a copy) instead of the examples folder. */
  readonly workspace?: string;
}

export interface UiCase {
  readonly name: string;
  readonly fn: (t: UiTestContext) => Promise<void>;
  readonly timeoutMs: number;
  readonly workspace: string | undefined;
}

export const registered: UiCase[] = [];

export function test(name: string, fn: (t: UiTestContext) => Promise<void>, options: UiTestOptions = {}): void {
  registered.push({ name, fn, timeoutMs: options.timeoutMs ?? 120_000, workspace: options.workspace });
}
