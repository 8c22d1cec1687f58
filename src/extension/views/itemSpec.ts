// A tree row as data: the views build these from `xen/...` bodies (pure, unit tested) and
// treeItems.ts turns them into vscode.TreeItems.

export interface ItemSpec {
  /** stable across refreshes, so VS Code keeps expansion and selection */
  id: string;
  label: string;
  description?: string;
  /** markdown */
  tooltip?: string;
  collapsible: boolean;
  /** drives the context menus and inline actions (package.json `view/item/context`) */
  contextValue: string;
  /** codicon id */
  icon?: string;
  /** theme colour id for the icon */
  iconColor?: string;
  /** highlight the whole label (e.g. changed since the last stop) */
  highlight?: boolean;
  /** command run on click: id and arguments */
  command?: { id: string; title: string; args: unknown[] };
}

/** Escapes text for markdown tooltips. */
export function md(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
