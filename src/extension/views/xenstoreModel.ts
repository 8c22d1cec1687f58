// XenStore rows from `xen/xenstore` bodies: value in the description, permissions in the
// tooltip, watches and changes marked. Pure (no vscode).
import type { XenstoreBody, XenstoreNodeInfo } from '../../debugadapter/protocol';
import { md, type ItemSpec } from './itemSpec';

const PERM_WORDS: Readonly<Record<string, string>> = { n: 'none', r: 'read', w: 'write', b: 'read+write' };

/** ["n0", "r1"] → owner dom0, others none, dom1 read (xenstore's wire form: the first entry is the owner). */
export function describePerms(perms: readonly string[]): string[] {
  return perms.map((p, i) => {
    const what = PERM_WORDS[p[0] ?? ''] ?? p[0] ?? '?';
    const dom = p.slice(1);
    return i === 0 ? `owner dom${dom}, everyone else: ${what}` : `dom${dom}: ${what}`;
  });
}

const MAX_DESCRIPTION = 80;

export function displayValue(value: string): string {
  if (value === '') return '';
  return value.length > MAX_DESCRIPTION ? `${value.slice(0, MAX_DESCRIPTION - 1)}…` : value;
}

/** The hover text of a node: built when VS Code asks (resolveTreeItem), not for every row. */
export function xenstoreTooltip(n: XenstoreNodeInfo): string {
  const tip = [
    `\`${n.path}\``,
    '',
    n.value === '' ? '*(empty value)*' : `value: \`${n.value.replace(/`/g, "'")}\``,
    '',
    `permissions: ${describePerms(n.perms).map(md).join('; ')}`,
  ];
  if (n.childCount > 0) tip.push('', `${n.childCount} ${n.childCount === 1 ? 'child' : 'children'}`);
  if (n.watched) tip.push('', '$(eye) watched');
  if (n.changed) tip.push('', '$(diff-modified) changed since the last stop');
  return tip.join('\n');
}

/** A row per node; cheap, since a directory may hold thousands (the tooltip comes later). */
export function xenstoreItem(n: XenstoreNodeInfo): ItemSpec {
  const item: ItemSpec = {
    id: `xs:${n.path}`,
    label: n.name === '' ? '/' : n.name,
    collapsible: n.childCount > 0,
    contextValue: n.watched ? 'xenstoreNode.watched' : 'xenstoreNode',
    icon: n.watched ? 'eye' : n.childCount > 0 ? 'folder' : 'symbol-string',
  };
  if (n.value !== '') item.description = displayValue(n.value);
  if (n.changed) {
    item.highlight = true;
    item.iconColor = 'xenDomu.changedForeground';
  }
  return item;
}

/** Rows for a page of children, plus a "load more" row when the node has more. */
export function xenstoreChildItems(body: XenstoreBody, parentPath: string, loaded: number): ItemSpec[] {
  const items = body.children.map(xenstoreItem);
  const shown = loaded + body.children.length;
  if (shown < body.total) items.push(loadMoreItem(parentPath, shown, body.total));
  return items;
}

export function loadMoreItem(parentPath: string, shown: number, total: number): ItemSpec {
  return {
    id: `xs-more:${parentPath}:${shown}`,
    label: 'Load more…',
    description: `${shown} of ${total} shown`,
    collapsible: false,
    contextValue: 'loadMore',
    icon: 'ellipsis',
    command: { id: 'xenDomu.xenstore.loadMore', title: 'Load more', args: [parentPath] },
  };
}

/** Joins a child name to its parent path. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/**
 * "Changed since the last stop" as the user saw it: a node the adapter marks as changed,
 * or one whose value differs from the previous stop's, or one new in a directory that was
 * listed at the previous stop. Covers adapters that mark nothing, and what was on screen.
 */
export class XenstoreChanges {
  private prevValues = new Map<string, string>();
  private prevDirs = new Set<string>();
  private values = new Map<string, string>();
  private dirs = new Set<string>();

  /** A new stop: what was seen becomes the reference. */
  roll(): void {
    this.prevValues = this.values;
    this.prevDirs = this.dirs;
    this.values = new Map();
    this.dirs = new Set();
  }

  /** A new session: nothing to compare with. */
  reset(): void {
    this.prevValues = new Map();
    this.prevDirs = new Set();
    this.values = new Map();
    this.dirs = new Set();
  }

  /** Records a listed page of `parent` and returns the nodes with `changed` completed. */
  listed(parent: string, children: readonly XenstoreNodeInfo[]): XenstoreNodeInfo[] {
    this.dirs.add(parent);
    const parentKnown = this.prevDirs.has(parent);
    return children.map((n) => {
      this.values.set(n.path, n.value);
      const before = this.prevValues.get(n.path);
      const changed = n.changed || (before !== undefined ? before !== n.value : parentKnown);
      return changed === n.changed ? n : { ...n, changed };
    });
  }
}
