import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The package directory (tools/stack). This file runs from src/ under tsx and
 * from dist/ once compiled; both sit one level below the package.
 */
export const STACK_PACKAGE_DIR = path.resolve(__dirname, '..');

export const REPO_ROOT = path.resolve(STACK_PACKAGE_DIR, '..', '..');

export interface StackPaths {
  root: string;
  logs: string;
  run: string;
  data: string;
  cache: string;
  bin: string;
}

/** Evaluated on every call so that STACK_DIR can be changed by tests at run time. */
export function stackPaths(): StackPaths {
  const override = process.env['STACK_DIR'];
  const root = override ? path.resolve(override) : path.join(REPO_ROOT, '.stack');
  return {
    root,
    logs: path.join(root, 'logs'),
    run: path.join(root, 'run'),
    data: path.join(root, 'data'),
    cache: path.join(root, 'cache'),
    bin: path.join(root, 'bin'),
  };
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export function logFile(name: string): string {
  return path.join(ensureDir(stackPaths().logs), `${name}.log`);
}
