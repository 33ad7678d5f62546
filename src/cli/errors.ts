/**
 * How every `inference-lens` command fails: exactly one line on stderr, `inference-lens: <what went
 * wrong>. <what to do>`, never a stack trace, exit code 2. Messages from deeper layers (ONNX Runtime,
 * Python, the file system) can span lines; they are folded into one here.
 */

/** The message on one line: line breaks and the whitespace around them become one space. */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The stderr line for a failure. */
export function errorLine(message: string): string {
  return `inference-lens: ${oneLine(message)}\n`;
}

const SYSTEM_ERRORS: Readonly<Record<string, readonly [what: string, todo: string]>> = {
  ENOENT: ['no such file or folder', 'Check the path'],
  ENOTDIR: ['a part of the path is a file, not a folder', 'Check the path'],
  EISDIR: ['it is a folder', 'Give a file path, not a folder'],
  EEXIST: ['it already exists', 'Choose another path'],
  EACCES: ['permission denied', 'Choose a path you can read and write, or change its permissions'],
  EPERM: ['operation not permitted', 'Choose a path you can read and write, or change its permissions'],
  EROFS: ['read-only file system', 'Choose a folder on a writable disk'],
  ENOSPC: ['no space left on the device', 'Free some disk space, or write somewhere else'],
  EDQUOT: ['disk quota exceeded', 'Free some disk space, or write somewhere else'],
  EMFILE: ['too many open files', 'Raise the open-file limit (ulimit -n) and try again'],
  ENAMETOOLONG: ['the name is too long', 'Choose a shorter path'],
};

/**
 * A Node system error (fs, child processes) in words with what to do, e.g. `cannot open
 * /x/run.json: permission denied. Choose a path you can …`; undefined for any other error.
 */
export function systemErrorMessage(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const x = e as NodeJS.ErrnoException & { dest?: string };
  if (typeof x.code !== 'string' || typeof x.syscall !== 'string') return undefined;
  const [what, todo] = SYSTEM_ERRORS[x.code] ?? [x.code, 'Check the path and its permissions'];
  const where = x.path ? ` ${x.path}${x.dest ? ` → ${x.dest}` : ''}` : '';
  return `cannot ${x.syscall}${where}: ${what}. ${todo}.`;
}

/** Anything else that escaped a command: a bug, said as such (still one line, still exit 2). */
export function internalErrorMessage(e: unknown): string {
  const m = e instanceof Error ? e.message || e.name : String(e);
  return `internal error: ${m}${/[.!?]$/.test(m) ? '' : '.'} This is a bug in Inference Lens: please report it with the command you ran (inference-lens --version prints the version).`;
}
