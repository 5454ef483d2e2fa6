// Settings → how to start `veil lsp`. Pure: nothing here imports 'vscode', so
// the unit tests run under plain node.

import * as path from 'node:path';

/** The user's veil.* settings as VS Code hands them over (any type may be wrong). */
export interface RawSettings {
  path?: unknown;
  args?: unknown;
  configFile?: unknown;
}

/** What the client needs to spawn the server over stdio. */
export interface ServerCommand {
  command: string;
  args: string[];
}

/** Where relative paths and `~` resolve. */
export interface Environment {
  home: string;
  /** The first workspace folder's path, if any; relative paths resolve against it. */
  workspaceFolder?: string;
}

export interface Resolved {
  server: ServerCommand;
  /** Problems the user should hear about; the server still starts with what was usable. */
  warnings: string[];
}

export const defaultCommand = 'veil';

/**
 * resolveServer turns the settings into `<veil.path> lsp [--config FILE] [veil.args...]`.
 * A bare command name (no slash) is left for PATH lookup; `~` is expanded; a
 * relative path with a slash resolves against the workspace folder.
 */
export function resolveServer(raw: RawSettings, env: Environment): Resolved {
  const warnings: string[] = [];

  let command = defaultCommand;
  if (typeof raw.path === 'string' && raw.path.trim() !== '') {
    command = resolvePath(raw.path.trim(), env);
  } else if (raw.path !== undefined && raw.path !== null && raw.path !== '') {
    warnings.push(`veil.path must be a string; using "${defaultCommand}"`);
  }

  const args = ['lsp'];
  let extra: string[] = [];
  if (Array.isArray(raw.args)) {
    for (const a of raw.args) {
      if (typeof a === 'string') {
        extra.push(a);
      } else {
        warnings.push(`veil.args: ignoring non-string entry ${JSON.stringify(a)}`);
      }
    }
  } else if (raw.args !== undefined && raw.args !== null) {
    warnings.push('veil.args must be an array of strings; ignoring it');
  }

  if (typeof raw.configFile === 'string' && raw.configFile.trim() !== '') {
    if (hasConfigFlag(extra)) {
      warnings.push('veil.configFile is set and veil.args has --config too; using veil.configFile');
      extra = dropConfigFlag(extra);
    }
    args.push('--config', resolvePath(raw.configFile.trim(), env));
  } else if (raw.configFile !== undefined && raw.configFile !== null && typeof raw.configFile !== 'string') {
    warnings.push('veil.configFile must be a string; ignoring it');
  }

  // `veil lsp` accepts --stdio for clients that always pass it; the stdio
  // transport is what we use anyway, so a duplicate is harmless but noisy.
  args.push(...extra.filter((a) => a !== '--stdio'));
  return { server: { command, args }, warnings };
}

function resolvePath(p: string, env: Environment): string {
  if (p === '~') {
    return env.home;
  }
  if (p.startsWith('~/') || p.startsWith('~\\')) {
    return path.join(env.home, p.slice(2));
  }
  if (path.isAbsolute(p)) {
    return p;
  }
  const hasSeparator = p.includes('/') || p.includes('\\');
  if (hasSeparator && env.workspaceFolder) {
    return path.join(env.workspaceFolder, p);
  }
  return p;
}

function hasConfigFlag(args: string[]): boolean {
  return args.some((a) => a === '--config' || a.startsWith('--config='));
}

function dropConfigFlag(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') {
      i++; // skip its value too
      continue;
    }
    if (args[i].startsWith('--config=')) {
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

/** The settings whose change needs a server restart. */
export const restartKeys = ['veil.path', 'veil.args', 'veil.configFile'];
