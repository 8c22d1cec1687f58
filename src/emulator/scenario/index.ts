// The scenario language front end: parser, AST, diagnostics and vocabulary.
export * from './ast';
export { parseScenario, type ParseResult } from './parser';
export { formatDiagnostic, hasErrors, type Diagnostic, type Severity } from './diagnostics';
export { lexLine, splitLines, type LexedLine, type Token, type TokenKind } from './lexer';
export { editDistance, suggest } from './suggest';
export * from './vocabulary';
