// Loads syntaxes/xen-scenario.tmLanguage.json into the real TextMate engine VS Code uses
// (vscode-textmate + the Oniguruma WebAssembly build) and tokenizes lines with it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const root = join(import.meta.dirname, '../../..');
export const GRAMMAR_PATH = join(root, 'syntaxes/xen-scenario.tmLanguage.json');

let grammar: Promise<vsctm.IGrammar> | undefined;

function load(): Promise<vsctm.IGrammar> {
  grammar ??= (async () => {
    const wasm = readFileSync(join(root, 'node_modules/vscode-oniguruma/release/onig.wasm'));
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
        createOnigString: (s: string) => new oniguruma.OnigString(s),
      }),
      loadGrammar: async () => vsctm.parseRawGrammar(readFileSync(GRAMMAR_PATH, 'utf8'), GRAMMAR_PATH),
    });
    const g = await registry.loadGrammar('source.xen-scenario');
    if (g === null) throw new Error('grammar did not load');
    return g;
  })();
  return grammar;
}

/** [text, scopes...] for each token of each line, without the root scope and blank tokens. */
export async function tokenize(lines: readonly string[]): Promise<string[][][]> {
  const g = await load();
  let stack = vsctm.INITIAL;
  return lines.map((line) => {
    const r = g.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return r.tokens
      .map((t) => [line.slice(t.startIndex, t.endIndex), ...t.scopes.slice(1)])
      .filter(([text, ...scopes]) => text.trim() !== '' || scopes.length > 0);
  });
}
