/**
 * External data (data_location = EXTERNAL): tensors whose bytes live in other
 * files next to the model. Locations are resolved inside the model's folder
 * only; absolute paths, `..` escapes and symlinks that leave the folder are refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OnnxError } from './errors';

/**
 * Resolves an external-data `location` written in a model to an absolute path
 * inside the model's folder, or throws OnnxError('external-data-refused').
 */
export function resolveExternalDataPath(modelPath: string, location: string): string {
  const refuse = (why: string): never => {
    throw new OnnxError('external-data-refused', `External data location '${location}' refused: ${why}.`);
  };
  if (location === '') refuse('it is empty');
  if (location.includes('\0')) refuse('it contains a NUL byte');
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) refuse('absolute paths are not allowed');
  const dir = path.dirname(path.resolve(modelPath));
  const resolved = path.resolve(dir, location);
  const rel = path.relative(dir, resolved);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) refuse('it points outside the model folder');
  // A symlink inside the folder may still lead out of it.
  let real: string | undefined;
  try {
    real = fs.realpathSync(resolved);
  } catch {
    real = undefined; // missing: reported by the caller, not a safety problem
  }
  if (real !== undefined) {
    const realDir = fs.realpathSync(dir);
    const realRel = path.relative(realDir, real);
    if (realRel === '' || realRel.startsWith('..') || path.isAbsolute(realRel)) refuse('it is a link that leads outside the model folder');
  }
  return resolved;
}
