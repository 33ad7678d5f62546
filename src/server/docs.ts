/**
 * Documentation links of the rules: the README's rules reference, shipped next to the bundles
 * (dist/../README.md in the repository and in the installed extension), one heading per rule id.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

function readme(): string {
  for (const up of ['..', '../..', '../../..']) {
    const p = path.resolve(__dirname, up, 'README.md');
    if (fs.existsSync(p)) return p;
  }
  return path.resolve(__dirname, '..', 'README.md');
}

let base: string | undefined;

/** `file:///…/README.md#onnx-export-dynamic-axes`: the README section of a rule. */
export function docsUrl(ruleId: string): string {
  base ??= pathToFileURL(readme()).href;
  return `${base}#${ruleId}`;
}
