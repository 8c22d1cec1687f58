// Rows of the Timeline view from `xen/timeline` pages: one event each, the current one
// marked, a click jumps there (`xen/goto`). Pure (no vscode).
import type { TimelineBody, TimelineEvent } from '../../debugadapter/protocol';
import { md, type ItemSpec } from './itemSpec';

/** Virtual time as the timeline shows it: 1.234567 ms. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(3)} µs`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(3)} ms`;
  return `${(ns / 1_000_000_000).toFixed(6)} s`;
}

/** `position` counts the events applied (xen/timeline, xen/stateChanged): the last one applied is current. */
export function timelineItem(e: TimelineEvent, position: number): ItemSpec {
  const current = e.index === position - 1;
  return {
    id: `tl:${e.index}`,
    label: `#${e.index} ${e.text}`,
    description: `${e.actor} · ${formatNs(e.timeNs)}${e.line !== undefined ? ` · line ${e.line}` : ''}`,
    tooltip: `**event #${e.index}** (${md(e.kind)}) at ${formatNs(e.timeNs)} by ${md(e.actor)}\n\n${md(e.text)}${current ? '\n\n*current position*' : ''}`,
    collapsible: false,
    contextValue: 'timelineEvent',
    icon: current ? 'debug-stackframe' : e.index < position ? 'circle-small-filled' : 'circle-small',
    ...(current ? { highlight: true, iconColor: 'debugIcon.breakpointCurrentStackframeForeground' } : {}),
    command: { id: 'xenDomu.timeline.goto', title: 'Go to event', args: [e.index] },
  };
}

export function timelineItems(pages: readonly TimelineBody[], position: number, pageSize: number): ItemSpec[] {
  const events = pages.flatMap((p) => p.events);
  const items = events.map((e) => timelineItem(e, position));
  const total = pages[pages.length - 1]?.total ?? 0;
  // `start` of xen/timeline is an event index (a filtered page scans on from there)
  const last = events[events.length - 1];
  const next = last === undefined ? total : last.index + 1;
  if (pages.length > 0 && next < total) {
    items.push({
      id: `tl-more:${next}`,
      label: 'Load more…',
      description: `from event #${next} of ${total}`,
      collapsible: false,
      contextValue: 'loadMore',
      icon: 'ellipsis',
      command: { id: 'xenDomu.timeline.loadMore', title: 'Load more', args: [next, pageSize] },
    });
  }
  return items;
}

