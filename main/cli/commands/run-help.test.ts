import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { registerDemoCommand } from './demo';
import { registerRunCommand } from './run';

/** Each option's help entry: its first line plus continuation lines. */
function optionEntries(help: string): Map<string, string> {
  const entries = new Map<string, string>();
  let current: string | null = null;
  for (const line of help.split('\n')) {
    const start = /^ {2}(--[\w-]+)/.exec(line);
    if (start) {
      current = start[1]!;
      entries.set(current, line.trim());
    } else if (current && /^ {10,}\S/.test(line)) {
      entries.set(current, `${entries.get(current)} ${line.trim()}`);
    } else {
      current = null;
    }
  }
  return entries;
}

function helpOf(name: 'run' | 'demo'): string {
  const program = new Command('losslab');
  registerRunCommand(program);
  registerDemoCommand(program);
  return program.commands.find((c) => c.name() === name)!.helpInformation();
}

/** Flags with no default: what to train on, and backbone settings that exist only when asked for. */
const NO_DEFAULT = new Set(['--config', '--data', '--test-data', '--losses', '--param', '--backbone', '--backbone-sha256', '--help']);

test('`losslab run --help` states the default of every option that has one, from the configuration schema', () => {
  const entries = optionEntries(helpOf('run'));
  assert.ok(entries.size >= 30, `found ${entries.size} options`);
  const missing = [...entries].filter(([flag, text]) => !NO_DEFAULT.has(flag) && !/\(default[: ]/.test(text)).map(([flag]) => flag);
  assert.deepEqual(missing, []);
  assert.match(entries.get('--epochs')!, /\(default: 15\)/);
  assert.match(entries.get('--lr')!, /\(default: 0\.002\)/);
  assert.match(entries.get('--imbalance')!, /\(default: none\)/);
  assert.match(entries.get('--test-fraction')!, /\(default: 0\.2\)/);
  assert.match(entries.get('--seeds')!, /a list and not a count.*\(default: 1\)/);
});

test('`losslab demo --help` states the demo\'s own defaults', () => {
  const entries = optionEntries(helpOf('demo'));
  assert.match(entries.get('--epochs')!, /\(default: 20\)/);
});
