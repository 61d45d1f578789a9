// Agent: scheduling tasks completed per second with one and with two worker processes on PostgreSQL,
// vs the same number of processes working no-op pg-boss jobs. Run: npm run bench -- agent
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import { resetEnvCache } from '@/lib/config/env';
import { closeDatabase, openDatabase, setDatabase, type Database } from '@/lib/db/client';
import { schedulingAgentTasks, users } from '@/lib/db/schema';
import * as taskService from '@/lib/services/scheduling-task.service';
import { getBoss, stopBoss } from '@/lib/jobs/queue';
import { log, ROOT, runIfMain, scratchDatabase, sleep, table, type Section, type Target } from './lib/common';
import { NOOP_QUEUE } from './lib/noop-worker';
import { fmt, ratio } from './lib/stats';

process.env.LOG_LEVEL = 'silent';

const TASKS = Number(process.env.BENCH_AGENT_TASKS ?? 120);
const PROCESS_COUNTS = [1, 2];

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startProcess(script: string, env: NodeJS.ProcessEnv): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startWorkers(count: number, script: string, readyText: string, env: NodeJS.ProcessEnv): Promise<Worker[]> {
  const workers = Array.from({ length: count }, () => startProcess(script, env));
  const deadline = Date.now() + 60_000;
  while (!workers.every((w) => w.output().includes(readyText))) {
    const dead = workers.find((w) => w.child.exitCode !== null);
    if (dead || Date.now() > deadline) throw new Error(`worker did not start:\n${(dead ?? workers[0]!).output()}`);
    await sleep(100);
  }
  return workers;
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(
    workers.map(async (w) => {
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 40_000);
      await w.exited;
      clearTimeout(timer);
    }),
  );
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export async function bench(): Promise<Section> {
  const started = Date.now();
  const scratch = await scratchDatabase('agent');
  Object.assign(process.env, { DATABASE_URL: scratch.url });
  resetEnvCache();
  const database: Database = await openDatabase({ databaseUrl: scratch.url, pgliteDir: 'unused' });
  setDatabase(database);
  const workerEnv: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: scratch.url, LOG_LEVEL: 'info', AGENT_STEP_DELAY_MS: '0' };
  const boss = await getBoss();
  await boss.createQueue(NOOP_QUEUE);

  const results: Array<{ processes: number; agent: number; noop: number; agentSeconds: number; noopSeconds: number }> = [];
  let round = 0;
  try {
    for (const processes of PROCESS_COUNTS) {
      round++;
      // Agent: TASKS users, one task each (so bookings never collide), every hour bookable.
      const userRows = await database.db
        .insert(users)
        .values(
          Array.from({ length: TASKS }, (_, i) => ({
            email: `agent-r${round}-${i}@bench.invalid`,
            passwordHash: 'x',
            timeZone: 'UTC',
            workingHours: { days: [0, 1, 2, 3, 4, 5, 6], start: '00:00', end: '23:59' },
          })),
        )
        .returning({ id: users.id });
      const workers = await startWorkers(processes, 'src/workers/index.ts', 'scheduling worker started', workerEnv);
      const t0 = performance.now();
      const taskIds = await Promise.all(
        userRows.map(
          async ({ id }, i) =>
            (await taskService.submitRequest(id, { request: `book 30 min with Dana tomorrow at ${1 + (i % 11)}pm` })).taskId,
        ),
      );
      await waitUntil(
        async () => {
          const rows = await database.db
            .select({ n: sql<number>`count(*)::int` })
            .from(schedulingAgentTasks)
            .where(
              sql`${inArray(schedulingAgentTasks.id, taskIds)} AND ${schedulingAgentTasks.status} IN ('COMPLETED', 'FAILED', 'WAITING_FOR_USER')`,
            );
          return rows[0]!.n === TASKS;
        },
        'agent tasks',
        300_000,
      );
      const agentSeconds = (performance.now() - t0) / 1000;
      const statuses = await database.db
        .select({ status: schedulingAgentTasks.status, n: sql<number>`count(*)::int` })
        .from(schedulingAgentTasks)
        .where(inArray(schedulingAgentTasks.id, taskIds))
        .groupBy(schedulingAgentTasks.status);
      const completed = statuses.find((s) => s.status === 'COMPLETED')?.n ?? 0;
      if (completed !== TASKS) throw new Error(`not every task completed: ${JSON.stringify(statuses)}`);
      const messages = await database.db.execute(
        sql`SELECT count(*)::int AS n FROM chat_messages WHERE "taskId" IN (${sql.join(
          taskIds.map((id) => sql`${id}`),
          sql`, `,
        )})`,
      );
      const messageCount = (messages as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
      if (messageCount !== TASKS * 3) throw new Error(`expected ${TASKS * 3} chat messages, found ${messageCount}`);
      await stopWorkers(workers);
      log(`agent: ${processes} process(es): ${TASKS} tasks in ${fmt(agentSeconds)} s`);

      // Baseline: the same number of processes working no-op jobs with the same queue settings.
      const noopWorkers = await startWorkers(processes, 'bench/lib/noop-worker.ts', 'noop worker started', workerEnv);
      const n0 = performance.now();
      const jobIds = await Promise.all(Array.from({ length: TASKS }, () => boss.send(NOOP_QUEUE, {})));
      await waitUntil(
        async () => {
          const r = await database.db.execute(
            sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ${NOOP_QUEUE} AND state = 'completed' AND id IN (${sql.join(
              jobIds.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`,
          );
          return (r as unknown as { rows: Array<{ n: number }> }).rows[0]!.n === TASKS;
        },
        'no-op jobs',
        300_000,
      );
      const noopSeconds = (performance.now() - n0) / 1000;
      await stopWorkers(noopWorkers);
      log(`agent: ${processes} process(es): ${TASKS} no-op jobs in ${fmt(noopSeconds)} s`);
      results.push({ processes, agent: TASKS / agentSeconds, noop: TASKS / noopSeconds, agentSeconds, noopSeconds });
    }
  } finally {
    await stopBoss(1_000);
    await closeDatabase();
    await scratch.drop();
  }

  const rows = results.map((r) => [
    r.processes,
    fmt(r.agent),
    fmt(r.agentSeconds),
    fmt(r.noop),
    fmt(r.noopSeconds),
    `${fmt(ratio(r.agent, r.noop))}x`,
  ]);
  const scaling = ratio(results[1]!.agent, results[0]!.agent);
  const targets: Target[] = results.map((r) => ({
    name: `agent: tasks/s with ${r.processes} worker process${r.processes > 1 ? 'es' : ''} (vs no-op jobs)`,
    measured: `${fmt(r.agent)}/s (${fmt(ratio(r.agent, r.noop))}x)`,
    target: 'reported',
    met: true,
  }));
  const markdown = [
    `${TASKS} tasks ("book 30 min with Dana tomorrow at N pm", one per user, every hour bookable) submitted at once through`,
    'the task service; each one is a pg-boss job that parses the request, checks availability, books the event and sends',
    `3 chat messages (every task ended COMPLETED with exactly 3 messages). \`npm run worker\` processes with the defaults:`,
    'WORKER_CONCURRENCY=4 pollers, batch size 1, polling every 0.5 s, a pool of 10. Time runs from the first submit to the',
    'last task finished. The baseline works the same number of no-op jobs with the same pg-boss settings in the same number',
    "of processes (bench/lib/noop-worker.ts): the queue's own floor.",
    '',
    table(['worker processes', 'tasks/s', 'seconds', 'no-op jobs/s (baseline)', 'seconds', 'vs baseline'], rows),
    '',
    `Two processes vs one: ${fmt(scaling)}x.`,
  ].join('\n');
  return {
    name: 'agent',
    title: '5. Agent',
    command: 'npm run bench -- agent',
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    markdown,
    targets,
    raw: { results, tasks: TASKS },
  };
}

runIfMain(import.meta.url, bench);
