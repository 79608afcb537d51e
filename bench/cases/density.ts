/**
 * Case 4, density: memory of the platform with 1, 100 and 1,000 functions deployed and no
 * instances (each level on a fresh node), the memory one warm idle instance adds, and the time
 * to deploy a 100-function app. "Platform" is the `nimbus up` process and everything it started
 * (its pre-warmed pool). The target is checked both on the server process alone and on RSS
 * summed over the tree; PSS (which does not count shared pages twice) is shown beside them.
 * With 100 functions deployed and no traffic, the CPU the idle node uses is sampled too.
 */
import { fnName, handlers, writeApp, type BenchFunction } from '../lib/apps.js';
import { emptyOutput, failIf, target, type BenchCase } from '../lib/context.js';
import { cpuOver, type CpuUse } from '../lib/cpu.js';
import { keepAliveAgent, timedGet } from '../lib/http.js';
import { startNimbus, type NimbusNode } from '../lib/nimbus.js';
import { sleep } from '../lib/proc.js';
import type { TreeMemory } from '../lib/rss.js';
import { withScope } from '../lib/scope.js';
import { median, summarize } from '../lib/stats.js';

const APP_SIZE = 100;

function hundredFunctionApp(parent: string, app: string): string {
  const functions: Record<string, BenchFunction> = {};
  for (let i = 0; i < APP_SIZE; i++) {
    const name = fnName(i, APP_SIZE);
    functions[name] = { source: handlers.lambda(`${app} ${name}`), routes: [`GET /${app}/${name}/{id}`], idleTimeout: 3600 };
  }
  return writeApp(parent, { app, functions });
}

/** Median of several readings, so a GC in flight does not decide the figure. */
async function settledMemory(node: NimbusNode, samples = 5): Promise<TreeMemory> {
  await sleep(2000);
  const reads: TreeMemory[] = [];
  for (let i = 0; i < samples; i++) {
    reads.push(node.memory());
    await sleep(300);
  }
  return {
    rootRssMb: median(reads.map((r) => r.rootRssMb)),
    treeRssMb: median(reads.map((r) => r.treeRssMb)),
    treePssMb: median(reads.map((r) => r.treePssMb)),
    processes: median(reads.map((r) => r.processes)),
  };
}

export const density: BenchCase = {
  id: 'density',
  title: 'Density',
  async run(ctx) {
    const levels = [1, 100, 1000];
    const warmInstances = ctx.quick ? 10 : 20;
    // Long enough that a few 10 ms clock ticks of housekeeping are not rounding noise.
    const idleCpuS = ctx.quick ? 2 : 20;
    const out = emptyOutput({ levels, appSize: APP_SIZE, warmInstances, idleCpuS });
    // Filled in inside the level-100 scope below.
    const idle: { cpu: CpuUse | null } = { cpu: null };
    const deployMs: number[] = [];
    const memory = new Map<number, TreeMemory>();

    for (const level of levels) {
      await withScope(async (scope) => {
        const node = await startNimbus(ctx, scope, { name: `density-${level}` });
        if (level === 1) {
          await node.deploy(writeApp(ctx.tmpDir, { app: 'one', functions: { hello: { source: handlers.lambda(), routes: ['GET /one'] } } }));
        } else {
          for (let a = 0; a < level / APP_SIZE; a++) {
            const ms = await node.deploy(hundredFunctionApp(ctx.tmpDir, `d${level}-${a}`));
            deployMs.push(ms);
            if (a === 0 || (a + 1) % 5 === 0) ctx.log(`  ${(a + 1) * APP_SIZE}/${level} functions deployed (last app took ${ms.toFixed(0)} ms)`);
          }
        }
        const mem = await settledMemory(node);
        memory.set(level, mem);
        ctx.log(`  ${level} functions: server ${mem.rootRssMb.toFixed(1)} MB, tree RSS ${mem.treeRssMb.toFixed(1)} MB / PSS ${mem.treePssMb.toFixed(1)} MB in ${mem.processes} processes`);

        if (level === 100) {
          // Idle CPU: no traffic, 100 functions deployed, the pool full (settledMemory waited), and
          // 3 s more so the deploy's own after-work (GC, WAL checkpoint) is not counted as idling.
          await sleep(ctx.quick ? 500 : 3000);
          const cpu = await cpuOver(node.proc.pid, idleCpuS * 1000);
          idle.cpu = cpu;
          ctx.log(`  100 functions, idle: server ${cpu.rootPct.toFixed(2)}% of a core, whole tree ${cpu.treePct.toFixed(2)}% (${cpu.processes} processes, ${cpu.windowS.toFixed(1)} s)`);
          // Warm idle instances: start some functions once each, then weigh the tree again.
          const agent = keepAliveAgent();
          let failed = 0;
          for (let i = 0; i < warmInstances; i++) {
            const res = await timedGet(`${node.gatewayUrl}/d100-0/${fnName(i, APP_SIZE)}/1`, agent);
            if (res.status !== 200) failed++;
            await sleep(200); // pool refill
          }
          agent.destroy();
          failIf(out, failed === 0 ? [] : [`${failed} of the ${warmInstances} requests that start instances failed`]);
          const after = await settledMemory(node);
          const view = await node.client.listFunctions('d100-0');
          const live = view.reduce((n, f) => n + f.instances.total, 0);
          out.metrics['perInstanceRssMb'] = summarize([(after.treeRssMb - mem.treeRssMb) / warmInstances], 'MB');
          out.metrics['perInstancePssMb'] = summarize([(after.treePssMb - mem.treePssMb) / warmInstances], 'MB');
          out.params['instancesAlive'] = live;
          out.params['processesAddedByInstances'] = after.processes - mem.processes;
          if (live !== warmInstances) out.notes.push(`expected ${warmInstances} idle instances after the requests, the function list shows ${live}`);
          ctx.log(`  +${warmInstances} idle instances: tree RSS +${(after.treeRssMb - mem.treeRssMb).toFixed(1)} MB, PSS +${(after.treePssMb - mem.treePssMb).toFixed(1)} MB`);
        }
      });
    }

    for (const [level, mem] of memory) {
      out.metrics[`rss.tree.${level}`] = summarize([mem.treeRssMb], 'MB');
      out.metrics[`pss.tree.${level}`] = summarize([mem.treePssMb], 'MB');
      out.metrics[`rss.server.${level}`] = summarize([mem.rootRssMb], 'MB');
    }
    out.metrics['deploy100Ms'] = summarize(deployMs, 'ms');
    const cpu = idle.cpu;
    if (cpu !== null) {
      out.metrics['idleCpu.server.100'] = summarize([cpu.rootPct], '% of one core');
      out.metrics['idleCpu.tree.100'] = summarize([cpu.treePct], '% of one core');
      out.notes.push(
        `Idle CPU: utime + stime from /proc/<pid>/stat of the server process, and summed over it and its descendants (the pre-warmed pool), over ${cpu.windowS.toFixed(1)} s with 100 functions deployed and no traffic, from 3 s after the last deploy; % of one core (resolution: one clock tick, 10 ms of CPU at the usual USER_HZ of 100).`,
      );
    }
    // Both readings of "the platform": the process that holds the functions, and everything
    // `nimbus up` runs (its pool included) with shared pages counted once per process.
    out.targets.push(target('server process RSS with 100 functions', memory.get(100)?.rootRssMb ?? null, '<=', 150, 'MB'));
    out.targets.push(target('server + pre-warmed pool, summed RSS, with 100 functions', memory.get(100)?.treeRssMb ?? null, '<=', 150, 'MB'));
    const m1 = memory.get(1);
    const m1000 = memory.get(1000);
    if (m1 !== undefined && m1000 !== undefined) {
      out.ratios.push({
        name: 'server RSS growth per 1,000 functions (MB)',
        value: m1000.rootRssMb - m1.rootRssMb,
        definition: 'server-process RSS with 1,000 functions minus with 1 (a difference in MB, not a ratio)',
      });
    }
    out.tables.push({
      title: 'Memory with functions deployed and no instances (fresh node per row, median of 5 readings)',
      columns: ['functions', 'server RSS MB', 'platform RSS MB', 'platform PSS MB', 'processes', 'idle CPU, server %', 'idle CPU, platform %'],
      rows: levels.map((l) => {
        const mm = memory.get(l);
        const c = l === 100 ? cpu : null;
        return [l, mm?.rootRssMb ?? null, mm?.treeRssMb ?? null, mm?.treePssMb ?? null, mm?.processes ?? null, c?.rootPct ?? null, c?.treePct ?? null];
      }),
    });
    const d = out.metrics['deploy100Ms'];
    out.tables.push({
      title: 'Per instance and per deploy',
      columns: ['what', 'value'],
      rows: [
        ['RSS added per warm idle instance (MB)', out.metrics['perInstanceRssMb']?.median ?? null],
        ['PSS added per warm idle instance (MB)', out.metrics['perInstancePssMb']?.median ?? null],
        [`deploy of a ${APP_SIZE}-function app, p50 ms (n=${d?.n ?? 0}, bundling included)`, d?.median ?? null],
        [`deploy of a ${APP_SIZE}-function app, max ms`, d?.max ?? null],
      ],
    });
    return out;
  },
};
