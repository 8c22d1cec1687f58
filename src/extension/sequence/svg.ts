// The sequence diagram as SVG text: one lifeline per lane (frontend, backend, xenstored,
// hypervisor ...), one arrow per message, the current event highlighted. The webview
// shows it with theme colours; an export gets fixed colours so it stands alone. Pure.
import type { SequenceBody } from '../../debugadapter/protocol';

export interface SvgColours {
  background: string;
  foreground: string;
  lifeline: string;
  laneFill: string;
  current: string;
  currentFill: string;
}

/** For the webview: VS Code's theme variables. */
export const THEME_COLOURS: SvgColours = {
  background: 'transparent',
  foreground: 'var(--vscode-editor-foreground, #333)',
  lifeline: 'var(--vscode-editorLineNumber-foreground, #999)',
  laneFill: 'var(--vscode-editorWidget-background, #f3f3f3)',
  current: 'var(--vscode-debugIcon-breakpointCurrentStackframeForeground, #d19a00)',
  currentFill: 'var(--vscode-editor-stackFrameHighlightBackground, rgba(255,255,0,0.2))',
};

/** For an exported file: fixed colours on white. */
export const EXPORT_COLOURS: SvgColours = {
  background: '#ffffff',
  foreground: '#1f1f1f',
  lifeline: '#9a9a9a',
  laneFill: '#eef2f7',
  current: '#b36b00',
  currentFill: '#fff4c2',
};

/** Lane width for an export, and the bounds when fitting a panel's width. */
const LANE_W = 200;
const LANE_MIN = 110;
const HEAD_H = 34;
const ROW_H = 30;
const MARGIN = 16;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] ?? ch);
}

/** Long labels are cut so they fit between two neighbouring lifelines (the tooltip keeps them whole). */
function fit(label: string, span: number, laneW: number): string {
  const max = Math.max(10, Math.floor((span * laneW - 16) / 6.5));
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

/**
 * The lanes to draw: those the messages use, in the adapter's order (a hypervisor lane
 * with nothing to say around this event would only push the guest off-screen).
 */
export function usedLanes(body: SequenceBody): string[] {
  const used = new Set<string>();
  for (const m of body.messages) { used.add(m.from); used.add(m.to); }
  if (used.size === 0) return [...body.lanes];
  return [...body.lanes.filter((l) => used.has(l)), ...[...used].filter((l) => !body.lanes.includes(l))];
}

export interface SvgLayout {
  /** width available (the webview's): lanes narrow down to fit it, within bounds */
  width?: number;
}

export function renderSequenceSvg(body: SequenceBody, colours: SvgColours = THEME_COLOURS, layout: SvgLayout = {}): string {
  const lanes = usedLanes(body);
  const n = Math.max(1, lanes.length);
  const laneW = layout.width === undefined ? LANE_W : Math.max(LANE_MIN, Math.min(LANE_W, Math.floor((layout.width - MARGIN * 2) / n)));
  const width = MARGIN * 2 + n * laneW;
  const height = MARGIN * 2 + HEAD_H + 12 + Math.max(1, body.messages.length) * ROW_H + 8;
  const x = (lane: string) => MARGIN + lanes.indexOf(lane) * laneW + laneW / 2;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family='-apple-system, "Segoe UI", Ubuntu, sans-serif' font-size="12" role="img" aria-label="sequence diagram">`);
  out.push(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colours.foreground}"/></marker>`);
  out.push(`<marker id="arrow-current" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${colours.current}"/></marker></defs>`);
  if (colours.background !== 'transparent') out.push(`<rect width="100%" height="100%" fill="${colours.background}"/>`);
  const top = MARGIN + HEAD_H;
  const bottom = height - MARGIN;
  for (const lane of lanes) {
    const cx = x(lane);
    out.push(`<g class="lane"><rect x="${cx - laneW / 2 + 8}" y="${MARGIN}" width="${laneW - 16}" height="${HEAD_H - 6}" rx="4" fill="${colours.laneFill}" stroke="${colours.lifeline}"/>`);
    out.push(`<text x="${cx}" y="${MARGIN + (HEAD_H - 6) / 2 + 4}" text-anchor="middle" fill="${colours.foreground}" font-weight="600">${escapeXml(fit(lane, 1, laneW))}</text>`);
    out.push(`<line x1="${cx}" y1="${top}" x2="${cx}" y2="${bottom}" stroke="${colours.lifeline}" stroke-dasharray="4 3"/></g>`);
  }
  body.messages.forEach((m, i) => {
    const y = top + 12 + i * ROW_H + ROW_H / 2;
    const x1 = x(m.from);
    const x2 = x(m.to);
    const stroke = m.current ? colours.current : colours.foreground;
    const weight = m.current ? ' font-weight="700"' : '';
    out.push(`<g class="message${m.current ? ' current' : ''}" data-index="${m.index}">`);
    out.push(`<title>#${m.index} ${escapeXml(m.from)} → ${escapeXml(m.to)}: ${escapeXml(m.label)}</title>`);
    if (m.current) out.push(`<rect x="${MARGIN}" y="${y - ROW_H / 2 + 2}" width="${width - 2 * MARGIN}" height="${ROW_H - 4}" fill="${colours.currentFill}"/>`);
    if (x1 === x2) {
      // a lane talking to itself: a small loop to the right
      out.push(`<path d="M${x1},${y - 6} h24 v12 h-22" fill="none" stroke="${stroke}" stroke-width="${m.current ? 2 : 1}" marker-end="url(#${m.current ? 'arrow-current' : 'arrow'})"/>`);
      out.push(`<text x="${x1 + 30}" y="${y + 4}" fill="${stroke}"${weight}>${escapeXml(fit(`#${m.index} ${m.label}`, 1, laneW))}</text>`);
    } else {
      out.push(`<line x1="${x1}" y1="${y + 6}" x2="${x2}" y2="${y + 6}" stroke="${stroke}" stroke-width="${m.current ? 2 : 1}" marker-end="url(#${m.current ? 'arrow-current' : 'arrow'})"/>`);
      const span = Math.abs(lanes.indexOf(m.to) - lanes.indexOf(m.from));
      out.push(`<text x="${(x1 + x2) / 2}" y="${y}" text-anchor="middle" fill="${stroke}"${weight}>${escapeXml(fit(`#${m.index} ${m.label}`, span, laneW))}</text>`);
    }
    out.push('</g>');
  });
  if (body.messages.length === 0) {
    out.push(`<text x="${width / 2}" y="${top + 12 + ROW_H / 2}" text-anchor="middle" fill="${colours.lifeline}">no messages around this event</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
