// Whether node_modules holds what package-lock.json pins: shared by `npm test` and `npm start`,
// which both run `npm ci` themselves on a fresh clone.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Why node_modules must be (re)installed, or undefined when it matches package-lock.json. */
export function nodeModulesStale(repo) {
  const hidden = path.join(repo, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(hidden)) return 'node_modules is missing';
  const lock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8')).packages ?? {};
  const have = JSON.parse(fs.readFileSync(hidden, 'utf8')).packages ?? {};
  for (const [key, ent] of Object.entries(lock)) {
    if (!key) continue;
    if (!have[key]) {
      if (ent.optional) continue; // another platform's optional binary
      return `${key} is missing`;
    }
    if (ent.version && have[key].version !== ent.version) return `${key} is ${have[key].version}, package-lock.json wants ${ent.version}`;
  }
  return undefined;
}

/** `npm ci` arguments and environment (onnxruntime-node's GPU download skipped: installs stay offline). */
export const NPM_CI = {
  args: ['ci', '--no-audit', '--no-fund'],
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_onnxruntime_node_install: 'skip' },
};
