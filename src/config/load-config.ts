// The loader: argv, BRIDGE_* environment and a YAML/JSON file merged as
// flag > env > file > default, every value parsed through the settings
// table, every problem reported with the setting's name, the result frozen.
// Nothing below the composition root reads process.env.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { crossSettingProblems } from './check-config.js';
import { didYouMean } from './did-you-mean.js';
import { unknownEnvironmentProblems } from './environment.js';
import { parseValue } from './parse-value.js';
import { SETTINGS, envName } from './settings.js';
import type { BridgeConfig, Setting } from './settings.js';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface ParsedArgs {
  help: boolean;
  /** --version or -v. */
  version: boolean;
  /** --print-config (secrets in full) or --print-config=masked; false when not given. */
  printConfig: false | 'full' | 'masked';
  /** --config FILE, when given. */
  configFile: string | undefined;
  raw: Map<string, string>;
  problems: string[];
}

/** Flags that are not settings: what a misspelt flag may also have meant. */
const COMMAND_FLAGS = [...SETTINGS.map((s) => s.flag), 'config', 'print-config', 'help', 'version'];

/** Splits argv into --flag value / --flag=value / --no-flag pairs; unknown flags are problems. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const byFlag = new Map(SETTINGS.map((s) => [s.flag, s]));
  const raw = new Map<string, string>();
  const problems: string[] = [];
  let help = false;
  let version = false;
  let printConfig: ParsedArgs['printConfig'] = false;
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version' || arg === '-v') {
      version = true;
      continue;
    }
    if (arg === '--print-config' || arg.startsWith('--print-config=')) {
      const mode = arg.slice('--print-config='.length);
      if (arg === '--print-config') printConfig = 'full';
      else if (mode === 'masked') printConfig = 'masked';
      else problems.push(`--print-config: "${mode}" is not masked (--print-config prints secrets in full, --print-config=masked masks them)`);
      continue;
    }
    if (arg === '--config' || arg.startsWith('--config=')) {
      configFile = arg === '--config' ? argv[++i] : arg.slice('--config='.length);
      if (configFile === undefined || configFile === '') problems.push('--config: needs a file name');
      continue;
    }
    if (!arg.startsWith('--')) {
      problems.push(`${arg}: unexpected argument (settings are given as --name value)`);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    let setting = byFlag.get(name);
    if (setting === undefined && name.startsWith('no-')) {
      const positive = byFlag.get(name.slice(3));
      if (positive?.kind === 'boolean' && value === undefined) {
        setting = positive;
        name = positive.flag;
        value = 'false';
      }
    }
    if (setting === undefined) {
      problems.push(`--${name}: unknown setting${didYouMean(name, COMMAND_FLAGS, (f) => `--${f}`)} (see --help)`);
      // Its value, if any, belongs to it and is not a stray argument.
      if (value === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('--')) i++;
      continue;
    }
    if (value === undefined) {
      if (setting.kind === 'boolean') value = 'true';
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
      else {
        problems.push(`--${name}: needs a value`);
        continue;
      }
    }
    raw.set(setting.flag, value);
  }
  return { help, version, printConfig, configFile, raw, problems };
}

/** Reads a YAML or JSON config file; keys are setting names (`upstream-format`) or config keys (`upstreamFormat`). */
export function readConfigFile(path: string, read: (path: string) => string): { raw: Map<string, string>; problems: string[] } {
  const raw = new Map<string, string>();
  const problems: string[] = [];
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    return { raw, problems: [`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`] };
  }
  let doc: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    doc = parseYaml(text);
  } catch (err) {
    return { raw, problems: [`--config: ${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (doc === null || doc === undefined) return { raw, problems };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { raw, problems: [`--config: ${path} must hold a map of settings`] };
  const byName = new Map<string, Setting>();
  for (const st of SETTINGS) {
    byName.set(st.flag, st);
    byName.set(st.key, st);
  }
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    const st = byName.get(name);
    if (st === undefined) {
      problems.push(`${path}: ${name}: unknown setting${didYouMean(name, SETTINGS.map((s) => s.flag))} (see --help)`);
      continue;
    }
    if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) raw.set(st.flag, value.join(','));
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') raw.set(st.flag, String(value));
    else problems.push(`${path}: ${name}: must be a string, number, boolean or list`);
  }
  return { raw, problems };
}

/** Where each setting's value came from, for --print-config and problem lines. */
export type SettingSource = 'flag' | 'env' | 'file' | 'default';

/**
 * flag > env > file (--config / BRIDGE_CONFIG) > default. Validates every
 * setting once and throws ConfigError listing every problem, each naming its
 * setting. `read` reads the config file (tests inject one).
 */
export function loadConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): BridgeConfig {
  return loadConfigWithSources(argv, env, read).config;
}

export function loadConfigWithSources(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): { config: BridgeConfig; sources: Record<string, SettingSource> } {
  const args = parseArgs(argv);
  const problems = [...args.problems, ...unknownEnvironmentProblems(env)];
  const configFile = args.configFile ?? env.BRIDGE_CONFIG;
  const file = configFile === undefined || configFile === '' ? { raw: new Map<string, string>(), problems: [] } : readConfigFile(configFile, read);
  problems.push(...file.problems);
  const out: Record<string, unknown> = {};
  const sources: Record<string, SettingSource> = {};
  for (const s of SETTINGS) {
    const fromFlag = args.raw.get(s.flag);
    const fromEnv = env[envName(s)];
    const fromFile = file.raw.get(s.flag);
    const raw = fromFlag ?? fromEnv ?? fromFile ?? s.default;
    const origin: SettingSource = fromFlag !== undefined ? 'flag' : fromEnv !== undefined ? 'env' : fromFile !== undefined ? 'file' : 'default';
    sources[s.flag] = origin;
    const source = { flag: `--${s.flag}`, env: envName(s), file: `${configFile}: ${s.flag}`, default: `--${s.flag} (default)` }[origin];
    const parsed = parseValue(s, raw);
    if (parsed.problem !== undefined) problems.push(`${source}: ${parsed.problem}`);
    else out[s.key] = parsed.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as unknown as BridgeConfig;
  problems.push(...crossSettingProblems(config, read));
  if (problems.length > 0) throw new ConfigError(problems);
  return { config: Object.freeze({ ...config, allowOriginator: Object.freeze([...config.allowOriginator]), downlinkAllow: Object.freeze([...config.downlinkAllow]) }), sources };
}

/** Defaults overlaid with the given values: for tests and embedding (createBridge). */
export function configWith(overrides: Partial<BridgeConfig>): BridgeConfig {
  return Object.freeze({ ...loadConfig([], {}), ...overrides });
}
