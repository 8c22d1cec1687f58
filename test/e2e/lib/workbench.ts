// Drives the VS Code workbench (code-server's web UI) through Playwright so that UI tests read as
// steps a person takes: open the folder, run a command, open a file, press F5, read a view.
// Selectors are VS Code's own DOM ids and classes (stable across releases) plus ARIA labels.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';

export interface WorkbenchOptions {
  /** code-server's base URL, e.g. http://127.0.0.1:PORT */
  readonly baseUrl: string;
  /** absolute path of the folder to open on the server */
  readonly folder: string;
  /** where screenshot() writes its PNGs */
  readonly screenshotDir: string;
}

export interface StackFrameRow {
  readonly name: string;
  /** file name as shown, e.g. "prog.js" */
  readonly source: string;
  /** "line:column" as shown, e.g. "5:3" */
  readonly position: string;
}

export interface TreeRow {
  readonly label: string;
  readonly description: string;
  /** 1 = top level */
  readonly level: number;
  readonly expanded: boolean | undefined;
  /** the label carries a highlight (e.g. a XenStore node changed since the last stop) */
  readonly highlighted: boolean;
}

export interface VariableRow {
  /** 1 = scope, 2 = its variables, 3+ = children of expanded variables */
  readonly level: number;
  readonly scope: boolean;
  readonly name: string;
  /** '' for scopes */
  readonly value: string;
  readonly expanded: boolean | undefined;
}

/** Rows are read from their ARIA labels: "Scope Local: f" and "answer, value 42". */
function parseVariableRow(r: { level: number; label: string; expanded: string | null }): VariableRow {
  const expanded = r.expanded === null ? undefined : r.expanded === 'true';
  if (r.label.startsWith('Scope ')) return { level: r.level, scope: true, name: r.label.slice(6), value: '', expanded };
  const at = r.label.indexOf(', value ');
  return at < 0
    ? { level: r.level, scope: false, name: r.label, value: '', expanded }
    : { level: r.level, scope: false, name: r.label.slice(0, at), value: r.label.slice(at + 8), expanded };
}

/** Typing too fast into the quick input races its filtering; a person types slower anyway. */
const KEY_DELAY_MS = 25;

export class Workbench {
  private constructor(
    readonly page: Page,
    readonly options: WorkbenchOptions,
  ) {}

  /** Loads the workbench with `options.folder` open and waits until it is usable. */
  static async open(page: Page, options: WorkbenchOptions): Promise<Workbench> {
    const wb = new Workbench(page, options);
    await page.goto(`${options.baseUrl}/?folder=${encodeURIComponent(options.folder)}`);
    await wb.waitReady();
    return wb;
  }

  /**
   * Ready = workbench rendered, the explorer shows the folder, the status bar is filled and
   * the extension host is up (the remote indicator stops saying it is connecting/opening).
   */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    const { page } = this;
    await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
    await page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
    await page.locator('.explorer-folders-view .monaco-list').first().waitFor({ timeout: timeoutMs });
    // Editors restored from an earlier test's session would make tests depend on their order.
    await this.runCommand('View: Close All Editors');
  }

  /** The folder name as the explorer's root row names it. */
  async explorerTitle(): Promise<string> {
    const header = this.page.locator('.explorer-viewlet .pane-header').first();
    return (await header.innerText()).trim();
  }

  /** Rows currently rendered in the explorer tree. */
  async explorerItems(): Promise<string[]> {
    const rows = this.page.locator('.explorer-folders-view .monaco-list-row');
    return (await rows.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
  }

  /**
   * Runs a command through the command palette, exactly as typed by a user (`label` is the
   * title shown in the palette, e.g. "View: Close All Editors"), and waits for it to close.
   */
  async runCommand(label: string): Promise<void> {
    const { page } = this;
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.pressSequentially(label, { delay: KEY_DELAY_MS });
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ timeout: 15_000 });
    // the first match must be the command itself, or Enter would run another one
    const first = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
    const firstLabel = (await first.getAttribute('aria-label')) ?? (await first.innerText());
    if (!firstLabel.toLowerCase().includes(label.toLowerCase())) {
      throw new Error(`command palette: first match for "${label}" is "${firstLabel}"`);
    }
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  }

  /** Opens a file of the workspace through Quick Open and waits for its editor tab to be active. */
  async openFile(relativePath: string, opts: { textEditor?: boolean } = {}): Promise<void> {
    const { page } = this;
    const name = relativePath.split('/').pop() ?? relativePath;
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('Control+P');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.pressSequentially(relativePath, { delay: KEY_DELAY_MS });
    await page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name })
      .first()
      .waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await this.activeTab(name).waitFor({ timeout: 15_000 });
    // a custom editor (e.g. a webview) has no text lines to wait for
    if (opts.textEditor !== false) await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
  }

  /** The active editor tab with this file name. */
  activeTab(name: string): Locator {
    return this.page.locator('.tabs-container .tab.active', { hasText: name });
  }

  /** Text of the visible lines of the active editor. */
  async editorText(): Promise<string> {
    const text = await this.page.locator('.editor-instance .monaco-editor .view-lines').first().innerText();
    return text.replace(/\u00a0/g, ' '); // the editor renders spaces as no-break spaces
  }

  /** A status bar entry by its VS Code id, e.g. "status.editor.mode". */
  statusBarEntry(id: string): Locator {
    return this.page.locator(`.part.statusbar [id="${id}"]`);
  }

  /** The language mode of the active editor as the status bar shows it ("Plain Text", ...). */
  async languageMode(): Promise<string> {
    const entry = this.statusBarEntry('status.editor.mode');
    await entry.waitFor({ timeout: 15_000 });
    return (await entry.innerText()).trim();
  }

  /**
   * The activity bar entry of a view container, by its title ("Explorer", "Run and Debug", "Xen").
   * The whole item, not its icon: a badge ("1 active session") covers the icon's centre.
   */
  activityBarItem(title: string): Locator {
    const label = `.action-label[aria-label="${title}"], .action-label[aria-label^="${title} ("]`;
    return this.page.locator('.part.activitybar .action-item').filter({ has: this.page.locator(label) }).first();
  }

  /** Titles of every view container shown in the activity bar. */
  async activityBarTitles(): Promise<string[]> {
    const labels = await this.page.locator('.part.activitybar .action-item .action-label').evaluateAll((els) =>
      els.map((e) => e.getAttribute('aria-label') ?? ''),
    );
    return labels.filter(Boolean);
  }

  /** Shows a view container's side bar by its activity bar entry (a click on an open one would close it). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ timeout: 15_000 });
    if (!(await item.evaluate((e) => e.classList.contains('checked')))) await item.click();
    // the entry of the container shown in the side bar is "checked"
    await this.page.waitForFunction((e) => e?.classList.contains('checked'), await item.elementHandle(), { timeout: 15_000 });
    await this.page.locator('.part.sidebar .composite.title').first().waitFor({ timeout: 15_000 });
  }

  /** The side bar's title (e.g. "Explorer", "Xen: XenStore" when the container has one view). */
  async sideBarTitle(): Promise<string> {
    return (await this.page.locator('.part.sidebar .composite.title').first().innerText()).trim();
  }

  /** F5 = Debug: Start Debugging; waits for the debug toolbar, the sign that a session runs. */
  async pressF5(): Promise<void> {
    await this.page.keyboard.press('F5');
    await this.page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 30_000 });
  }

  /** F5 does not open the Run and Debug view; the Call Stack and Variables live there. */
  async openRunAndDebug(): Promise<void> {
    await this.openViewContainer('Run and Debug');
  }

  /**
   * Waits until the debugger is paused and returns why, as VS Code shows it ("Paused on entry",
   * "Paused on breakpoint", ...): in the Call Stack header when there is one session with one
   * thread, otherwise on the session or thread row. Opens Run and Debug first.
   */
  async waitForPaused(timeoutMs = 30_000): Promise<string> {
    await this.openRunAndDebug();
    const { page } = this;
    await page.locator('.debug-toolbar .codicon-debug-continue').first().waitFor({ timeout: timeoutMs });
    const reason = page
      .locator('.debug-call-stack .monaco-list-row .state.label')
      .or(page.locator('.pane-header .call-stack-state-message:not([hidden]) .label'))
      .filter({ hasText: /\S/ })
      .first();
    await reason.waitFor({ timeout: timeoutMs });
    // With several threads the session row says "Paused" and the thread that stopped says why
    // ("Paused on entry"); that row may render a moment later.
    const labels = page.locator('.debug-call-stack .monaco-list-row .state.label').or(page.locator('.pane-header .call-stack-state-message:not([hidden]) .label'));
    const deadline = Date.now() + 3_000;
    for (;;) {
      // textContent: innerText would apply the CSS capitalisation ("Paused On Entry")
      const texts = (await labels.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
      // an adapter may describe the stop in its own words ("stopped on entry")
      const why = texts.find((t) => !/^(paused|running)$/i.test(t));
      if (why !== undefined || Date.now() > deadline) return why ?? texts[0] ?? '';
      await page.waitForTimeout(150);
    }
  }

  /** Stack frames of the Call Stack view, top first (only the rendered, i.e. expanded, ones). */
  async stackFrames(): Promise<StackFrameRow[]> {
    // with several threads, the one that stopped may be shown collapsed: expand it
    const frames = this.page.locator('.debug-call-stack .stack-frame');
    // the view re-renders as the stop's requests come back: a row found a moment ago may
    // be detached by the time we scroll to it, so look again rather than fail
    for (let attempt = 1; (await frames.count()) === 0 && attempt <= 4; attempt++) {
      const stopped = this.page
        .locator('.debug-call-stack .monaco-list-row[aria-expanded="false"]')
        .filter({ has: this.page.locator('.state.label', { hasText: /\S/ }) })
        .filter({ hasNot: this.page.locator('.state.label', { hasText: /^\s*(paused|running)\s*$/i }) })
        .first();
      if ((await stopped.count()) === 0) break;
      try {
        await stopped.scrollIntoViewIfNeeded({ timeout: 5_000 });
        await stopped.locator('.monaco-tl-twistie').click({ timeout: 5_000 });
      } catch (e) {
        if (attempt === 4) throw e;
        await this.page.waitForTimeout(250);
      }
    }
    // frames an adapter marks as deemphasized are folded into "Show N More"
    const more = this.page.locator('.debug-call-stack .show-more').first();
    if ((await frames.count()) === 0 && (await more.count()) > 0) {
      await more.scrollIntoViewIfNeeded();
      await more.click({ timeout: 5_000 });
    }
    await frames.first().waitFor({ timeout: 15_000 });
    return this.page.locator('.debug-call-stack .stack-frame').evaluateAll((els) =>
      els.map((e) => ({
        name: (e.querySelector('.label')?.textContent ?? '').trim(),
        source: (e.querySelector('.file-name')?.textContent ?? '').trim(),
        position: (e.querySelector('.line-number')?.textContent ?? '').trim(),
      })),
    );
  }

  /**
   * Rows of the Variables view. The first scope is expanded when collapsed (whether VS Code
   * expands it by itself varies); with `until`, waits for a variable of that name to appear.
   */
  async variables(until?: string, timeoutMs = 15_000): Promise<VariableRow[]> {
    const { page } = this;
    const view = page.locator('.debug-variables');
    await view.waitFor({ timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const scope = view.locator('.monaco-list-row[aria-level="1"]').first();
      if ((await scope.count()) && (await scope.getAttribute('aria-expanded')) === 'false') await scope.click();
      const rows = await view.locator('.monaco-list-row').evaluateAll((els) =>
        els.map((e) => ({
          level: Number(e.getAttribute('aria-level') ?? '0'),
          label: e.getAttribute('aria-label') ?? '',
          expanded: e.getAttribute('aria-expanded'),
        })),
      );
      const parsed = rows.map(parseVariableRow);
      if (!until || parsed.some((r) => r.name === until) || Date.now() > deadline) return parsed;
      await page.waitForTimeout(250);
    }
  }

  /** The value of a variable shown in the Variables view (see variables()); throws when absent. */
  async variable(name: string, timeoutMs = 15_000): Promise<string> {
    const rows = await this.variables(name, timeoutMs);
    const row = rows.find((r) => r.name === name && !r.scope);
    if (!row) throw new Error(`no variable "${name}" in [${rows.map((r) => r.name).join(', ')}]`);
    return row.value;
  }

  /** Continues the paused session (the toolbar's Continue). */
  async continue(): Promise<void> {
    await this.page.locator('.debug-toolbar .codicon-debug-continue').first().click();
  }

  /** Waits for every debug session to end. */
  async waitForSessionEnd(timeoutMs = 30_000): Promise<void> {
    await this.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: timeoutMs });
  }

  // ------------------------------------------------------------------ views of a side bar container

  /** Titles of the views (panes) of the side bar's container, top to bottom. */
  async viewHeaders(): Promise<string[]> {
    const titles = await this.page.locator('.part.sidebar .pane-header h3.title').allTextContents();
    return titles.map((t) => t.trim()).filter(Boolean);
  }

  /** The pane of a view of the side bar, by its title as shown ("XenStore"). */
  pane(title: string): Locator {
    return this.page
      .locator('.part.sidebar .pane')
      .filter({ has: this.page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i') }) })
      .first();
  }

  /** Expands a collapsed view of the side bar (a click on an expanded one would collapse it). */
  async expandView(title: string): Promise<void> {
    const header = this.pane(title).locator('.pane-header').first();
    await header.waitFor({ timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await this.page.waitForFunction((e) => e?.getAttribute('aria-expanded') === 'true', await header.elementHandle(), { timeout: 15_000 });
  }

  /** Collapses an expanded view of the side bar (to make room for the others). */
  async collapseView(title: string): Promise<void> {
    const header = this.pane(title).locator('.pane-header').first();
    await header.waitFor({ timeout: 15_000 });
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }

  /** Rows a tree view renders now: label, description, depth and expansion. */
  async treeRows(view: string): Promise<TreeRow[]> {
    return this.pane(view).locator('.pane-body .monaco-list-row').evaluateAll((els) =>
      els.map((e) => ({
        label: (e.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (e.querySelector('.label-description')?.textContent ?? '').trim(),
        level: Number(e.getAttribute('aria-level') ?? '0'),
        expanded: e.getAttribute('aria-expanded') === null ? undefined : e.getAttribute('aria-expanded') === 'true',
        highlighted: e.querySelector('.label-name .highlight') !== null,
      })),
    );
  }

  /** Waits until a row with this label (and description matching, when given) shows in a tree view. */
  async waitForTreeRow(view: string, label: string, description?: RegExp, timeoutMs = 20_000): Promise<TreeRow> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.treeRows(view);
      const row = rows.find((r) => r.label === label && (description === undefined || description.test(r.description)));
      if (row) return row;
      if (Date.now() > deadline) {
        throw new Error(`no row "${label}"${description ? ` ~ ${description}` : ''} in ${view}: [${rows.map((r) => `${r.label} ${r.description}`).join(' | ')}]`);
      }
      await this.page.waitForTimeout(200);
    }
  }

  /** Expands the path of rows (labels from the top) in a tree view, waiting for each to load. */
  async expandTreePath(view: string, labels: readonly string[]): Promise<void> {
    const body = this.pane(view).locator('.pane-body');
    for (const [i, label] of labels.entries()) {
      await this.waitForTreeRow(view, label);
      const row = body.locator(`.monaco-list-row[aria-level="${i + 1}"]`).filter({ has: this.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
      await row.scrollIntoViewIfNeeded();
      if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.monaco-tl-twistie').click();
      await this.page.waitForFunction((e) => e?.getAttribute('aria-expanded') === 'true', await row.elementHandle(), { timeout: 15_000 });
    }
  }

  /** Clicks a tree row by its label. */
  async clickTreeRow(view: string, label: string): Promise<void> {
    await this.waitForTreeRow(view, label);
    const row = this.pane(view).locator('.pane-body .monaco-list-row').filter({ has: this.page.locator('.label-name', { hasText: label }) }).first();
    await row.scrollIntoViewIfNeeded();
    await row.click();
  }

  // ------------------------------------------------------------------ quick input

  /** Picks the item with this label in an open quick pick (typing it first, as a person filters). */
  async pick(label: string): Promise<void> {
    const { page } = this;
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('');
    await input.pressSequentially(label, { delay: KEY_DELAY_MS });
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  }

  /** Runs a command from the palette, then answers its quick picks in order. */
  async runCommandWithPicks(label: string, answers: readonly string[]): Promise<void> {
    const { page } = this;
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.pressSequentially(label, { delay: KEY_DELAY_MS });
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    for (const a of answers) {
      // the next quick pick replaces the previous one's items
      await page.waitForTimeout(300);
      await this.pick(a);
    }
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15_000 });
  }

  // ------------------------------------------------------------------ debugging

  /** The debug toolbar's button by its codicon ("debug-step-over", "debug-step-back", ...). */
  debugButton(codicon: string): Locator {
    return this.page.locator(`.debug-toolbar .codicon-${codicon}`).first();
  }

  /**
   * Clicks a debug toolbar button and waits until the session is paused somewhere else: the
   * top stack frame (when the Call Stack is shown) or the status bar entry of `progressText`
   * (e.g. the Xen extension's "event #N") changed.
   */
  async debugStep(codicon: string, progressText: RegExp = /event #\d+/, timeoutMs = 30_000): Promise<void> {
    const { page } = this;
    const where = async () => `${await this.topFrameKey()} ${await this.statusBarText(progressText)}`;
    const before = await where();
    await this.debugButton(codicon).click();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await page.waitForTimeout(200);
      const paused = (await page.locator('.debug-toolbar .codicon-debug-continue').count()) > 0;
      const now = paused ? await where() : '';
      if (paused && now.trim() !== '' && now !== before) return;
      if (Date.now() > deadline) throw new Error(`still at "${before}" after ${codicon}`);
    }
  }

  /** Text of the first status bar entry matching `re` ('' when none). */
  async statusBarText(re: RegExp): Promise<string> {
    const texts = await this.page.locator('.part.statusbar .statusbar-item').allTextContents();
    return texts.map((t) => t.trim()).find((t) => re.test(t)) ?? '';
  }

  /** "name source:line:col" of the top stack frame, or '' when none is rendered. */
  async topFrameKey(): Promise<string> {
    const frames = await this.page.locator('.debug-call-stack .stack-frame').evaluateAll((els) =>
      els.map((e) => `${(e.querySelector('.label')?.textContent ?? '').trim()} ${(e.querySelector('.file-name')?.textContent ?? '').trim()}:${(e.querySelector('.line-number')?.textContent ?? '').trim()}`),
    );
    return frames[0] ?? '';
  }

  /** 1-based editor lines carrying the debugger's current-statement highlight. */
  async highlightedLines(): Promise<number[]> {
    return this.page.locator('.editor-instance .monaco-editor').first().evaluate((root) => {
      // the test's tsconfig has no DOM lib: just the bits used here
      interface El { querySelectorAll(s: string): ArrayLike<El>; querySelector(s: string): El | null; textContent: string | null; style: { top: string } }
      const ed = root as unknown as El;
      const numbers = new Map<number, number>();
      // line numbers and line highlights are positioned by the same `top`
      for (const d of Array.from(ed.querySelectorAll('.margin-view-overlays > div'))) {
        const n = Number(d.querySelector('.line-numbers')?.textContent ?? NaN);
        if (!Number.isNaN(n)) numbers.set(parseFloat(d.style.top), n);
      }
      const lines: number[] = [];
      for (const d of Array.from(ed.querySelectorAll('.view-overlays > div, .margin-view-overlays > div'))) {
        if (d.querySelector('.debug-top-stack-frame-line, .debug-focused-stack-frame-line, .codicon-debug-stackframe') !== null) {
          const n = numbers.get(parseFloat(d.style.top));
          if (n !== undefined && !lines.includes(n)) lines.push(n);
        }
      }
      return lines;
    });
  }


  /** Saves a screenshot of the whole window as `<screenshotDir>/<name>.png`; returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(this.options.screenshotDir, { recursive: true });
    const path = join(this.options.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }
}
