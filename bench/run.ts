// npm run bench [-- send read fanout instances polling agent purge] [-- --render-only]
// Runs the benchmarks (all, or the ones named) against a PostgreSQL server of their own and
// writes bench/RESULTS.md from every section in bench/results/ (a subset run updates its sections).
// BENCH_DATABASE_URL=postgresql://... uses an existing server instead; BENCH_PROFILE=1 always
// profiles (0 never; by default only when a target is missed); BENCH_PG_SETTINGS=name=value,...
// starts the run's own server with other settings (diagnostics, e.g. synchronous_commit=off).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { ensureBuilt } from '@test/helpers/build';
import { startPgCluster, type PgCluster } from '../test/faults/pg-cluster';
import { BENCH_DIR, log, RESULTS_DIR, ROOT, type Section } from './lib/common';
import { barChartSvg } from './lib/svg';

const CHARTS_DIR = path.join(BENCH_DIR, 'charts');

const ALL = ['send', 'read', 'fanout', 'instances', 'polling', 'agent', 'purge'] as const;
type BenchName = (typeof ALL)[number];

/**
 * Each section's heading in RESULTS.md and how its rows in the targets table begin. bench/results/ is
 * not in git, so a checkout that runs a subset has no JSON for the other sections: those are kept as
 * they stand in the current RESULTS.md (heading, text, target rows) instead of being dropped.
 */
const KEPT_AS_WRITTEN: Record<BenchName, { title: string; rowPrefix: string }> = {
  send: { title: '1. Send path', rowPrefix: '| send ' },
  read: { title: '2. Read path', rowPrefix: '| read:' },
  fanout: { title: '3. Fan-out (SSE)', rowPrefix: '| fan-out' },
  instances: { title: '3b. Fan-out across instances: NOTIFY vs Redis', rowPrefix: '| 3 instances' },
  polling: { title: '4. Polling load', rowPrefix: '| polling:' },
  agent: { title: '5. Agent', rowPrefix: '| agent:' },
  purge: { title: '6. Retention purge', rowPrefix: '| purge ' },
};

interface KeptSection {
  block: string;
  rows: string[];
}

/** The sections of the current RESULTS.md that have no JSON here, by name. */
function keptSections(present: Set<string>): Map<BenchName, KeptSection> {
  const file = path.join(BENCH_DIR, 'RESULTS.md');
  const kept = new Map<BenchName, KeptSection>();
  if (!fs.existsSync(file)) return kept;
  const text = fs.readFileSync(file, 'utf8');
  const blocks = text.split(/\n(?=## )/);
  // Only the targets table's rows: a section's own tables have rows that begin alike.
  const targets = blocks.find((b) => b.startsWith('## Targets\n')) ?? '';
  const rows = targets.split('\n').filter((line) => line.startsWith('| '));
  for (const name of ALL) {
    if (present.has(name)) continue;
    const { title, rowPrefix } = KEPT_AS_WRITTEN[name];
    const block = blocks.find((b) => b.startsWith(`## ${title}\n`));
    if (block) kept.set(name, { block: block.trimEnd(), rows: rows.filter((r) => r.startsWith(rowPrefix)) });
  }
  return kept;
}

interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  postgres: string;
  postgresSettings: Record<string, string>;
  packages: Record<string, string>;
  commit: string;
  database: string;
}

function version(pkg: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function describeMachine(url: string, database: string): Promise<Machine> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const postgres = (await client.query('SHOW server_version')).rows[0].server_version as string;
  const settings: Record<string, string> = {};
  for (const name of ['shared_buffers', 'synchronous_commit', 'fsync', 'max_connections', 'work_mem']) {
    settings[name] = (await client.query(`SHOW ${name}`)).rows[0][name] as string;
  }
  await client.end();
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench'], { cwd: ROOT }).toString().trim();
    if (dirty) commit += ' + uncommitted changes';
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres,
    postgresSettings: settings,
    packages: Object.fromEntries(
      ['next', 'react', 'next-auth', 'drizzle-orm', 'pg', 'pg-boss', 'autocannon', 'prom-client'].map((p) => [p, version(p)]),
    ),
    commit,
    database,
  };
}

function runOne(name: BenchName, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, `${name}.ts`)], {
      cwd: ROOT,
      env: { ...env, BENCH_OUT: path.join(RESULTS_DIR, `${name}.json`) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench ${name} exited with ${code}`))));
  });
}

/** Writes each section's charts to bench/charts/<file>.svg; returns the markdown that shows them. */
function renderCharts(section: Section): string[] {
  if (!section.charts?.length) return [];
  fs.mkdirSync(CHARTS_DIR, { recursive: true });
  return section.charts.flatMap((chart) => {
    fs.writeFileSync(path.join(CHARTS_DIR, `${chart.file}.svg`), barChartSvg(chart));
    return [`![${chart.title}](charts/${chart.file}.svg)`, ''];
  });
}

function render(machine: Machine): string {
  const loaded = new Map(
    ALL.map((name) => [name, path.join(RESULTS_DIR, `${name}.json`)] as const)
      .filter(([, file]) => fs.existsSync(file))
      .map(([name, file]) => [name, JSON.parse(fs.readFileSync(file, 'utf8')) as Section] as const),
  );
  const kept = keptSections(new Set(loaded.keys()));
  const analysisFile = path.join(BENCH_DIR, 'ANALYSIS.md');
  const analysis = fs.existsSync(analysisFile) ? fs.readFileSync(analysisFile, 'utf8').trim() : '';
  const summary = ALL.flatMap((name) => {
    const s = loaded.get(name);
    if (!s) return kept.get(name)?.rows ?? [];
    return s.targets.map(
      (t) => `| ${t.name} | ${t.measured} | ${t.target} | ${t.target === 'reported' ? '-' : t.met ? 'met' : '**missed**'} |`,
    );
  });
  const keptNote = kept.size
    ? [
        '',
        `Sections ${[...kept.keys()].map((n) => KEPT_AS_WRITTEN[n].title.split('.')[0]).join(', ')} were not re-run with this code: they`,
        'are kept as the earlier run wrote them, with their own run dates (their commit is in git history).',
      ]
    : [];
  return [
    '# Benchmark results',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts) from bench/results/*.json; do not edit by hand. -->',
    '',
    'Every figure is measured against a raw baseline in the same run on the same machine (the machines are shared and',
    'noisy, so only ratios are comparable between runs). Load generators run on the same machine as the servers.',
    '',
    '## Machine',
    '',
    `- ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB RAM, ${machine.os}`,
    `- Node ${machine.node}; PostgreSQL ${machine.postgres} (${machine.database}; ${Object.entries(machine.postgresSettings)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')})`,
    `- ${Object.entries(machine.packages)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- Code: ${machine.commit}; last run ${machine.date}`,
    ...keptNote,
    '',
    '## Targets',
    '',
    '| figure | measured | target | |',
    '| --- | --- | --- | --- |',
    ...summary,
    '',
    ...(analysis ? [analysis, ''] : []),
    ...ALL.flatMap((name) => {
      const s = loaded.get(name);
      if (!s) return kept.has(name) ? [kept.get(name)!.block, ''] : [];
      return [
        `## ${s.title}`,
        '',
        `Command: \`${s.command}\` (run ${s.startedAt}, ${s.durationSeconds} s)`,
        '',
        ...renderCharts(s),
        s.markdown,
        '',
      ];
    }),
  ].join('\n');
}

async function main(): Promise<void> {
  const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = requested.filter((r) => !(ALL as readonly string[]).includes(r));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
    process.exit(2);
  }
  const names = requested.length ? (requested as BenchName[]) : [...ALL];
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  if (process.argv.includes('--render-only')) {
    // Rewrites RESULTS.md from the stored results (e.g. after editing bench/ANALYSIS.md).
    const machine = JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, 'machine.json'), 'utf8')) as Machine;
    fs.writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), render(machine));
    return;
  }

  let cluster: PgCluster | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  let database: string;
  if (url) {
    database = 'an existing server (BENCH_DATABASE_URL)';
  } else {
    log('starting a PostgreSQL server of our own (initdb + pg_ctl on a free loopback port)');
    // BENCH_PG_SETTINGS="synchronous_commit=off,..." changes the server for a diagnostic run (say so with its figures).
    const settings = Object.fromEntries(
      (process.env.BENCH_PG_SETTINGS ?? '')
        .split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
    cluster = await startPgCluster({ settings });
    url = cluster.url();
    database = 'a fresh server started by the run: initdb defaults plus max_connections=200';
  }
  try {
    log('building the app (reused when up to date)');
    await ensureBuilt();
    const machine = await describeMachine(url, database);
    fs.writeFileSync(path.join(RESULTS_DIR, 'machine.json'), JSON.stringify(machine, null, 2));
    for (const name of names) {
      log(`=== ${name} ===`);
      const t0 = Date.now();
      await runOne(name, { ...process.env, BENCH_PG_URL: url });
      log(`=== ${name} done in ${Math.round((Date.now() - t0) / 1000)} s ===`);
    }
    fs.writeFileSync(path.join(BENCH_DIR, 'RESULTS.md'), render(machine));
    log(`wrote ${path.relative(ROOT, path.join(BENCH_DIR, 'RESULTS.md'))}`);
  } finally {
    await cluster?.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
