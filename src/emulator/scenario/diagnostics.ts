// Diagnostics of the scenario front end: where, how bad, what is wrong in words a Xen
// developer understands, and (for misspellings) the word that was probably meant.

import type { Span } from './ast';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  file: string;
  /** 1-based; endCol is exclusive (see ast.ts). */
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  severity: Severity;
  message: string;
  /** The replacement text for the range, when a misspelling is likely. */
  suggestion?: string;
}

/** `file:line:col: error: message (did you mean `x`?)`, as compilers print it. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.suggestion === undefined ? '' : ` (did you mean \`${d.suggestion}\`?)`;
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}${hint}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Collects diagnostics for one file, in the order they are reported. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];

  constructor(readonly file: string) {}

  error(span: Span, message: string, suggestion?: string): void {
    this.add('error', span, message, suggestion);
  }

  warning(span: Span, message: string, suggestion?: string): void {
    this.add('warning', span, message, suggestion);
  }

  private add(severity: Severity, span: Span, message: string, suggestion: string | undefined): void {
    const d: Diagnostic = { file: this.file, line: span.line, col: span.col, endLine: span.line, endCol: span.endCol, severity, message };
    if (suggestion !== undefined) d.suggestion = suggestion;
    this.list.push(d);
  }
}
