/**
 * The attribution behind the drizzle benchmark (test/bench/drizzle.bench.ts): a sample goes to the
 * package of its nearest non-Node frame, waiting counts as idle, and the profiler's own calls are
 * left out.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ownerOf, profiled, share } from './bench/cpu-profile.ts';

const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({ id, callFrame: { functionName, url }, children });

describe('CPU profile attribution', () => {
  it('names the package that holds a file, ours outside node_modules, none for Node itself', () => {
    expect(ownerOf('file:///app/node_modules/drizzle-orm/sql/sql.js')).toBe('drizzle-orm');
    expect(ownerOf('file:///app/node_modules/@middy/core/index.js')).toBe('@middy/core');
    expect(ownerOf('file:///app/node_modules/tsx/node_modules/esbuild/lib/main.js')).toBe('esbuild');
    expect(ownerOf('file:///app/db/backfill/plan.ts')).toBe('ours');
    expect(ownerOf('node:internal/streams/writable')).toBeUndefined();
    expect(ownerOf('')).toBeUndefined();
  });

  it('credits a builtin to the package that called it, and Node alone to its own function', () => {
    const profile = {
      nodes: [
        frame(1, '(root)', '', [2, 3, 5]),
        frame(2, '(idle)', ''),
        frame(3, 'buildQuery', 'file:///app/node_modules/drizzle-orm/sql/sql.js', [4]),
        frame(4, 'stringify', ''),
        frame(5, 'processTicksAndRejections', 'node:internal/process/task_queues'),
      ],
      startTime: 0,
      endTime: 100,
      samples: [2, 4, 4, 3, 5, 2],
      timeDeltas: [10, 10, 10, 10, 10, 10],
    };
    const micros = (byOwner: Record<string, number>) => Object.fromEntries(Object.entries(byOwner).map(([k, v]) => [k, Math.round(v * 1e6)]));
    const all = share(profile);
    expect(micros(all.byOwner)).toEqual({ '(idle)': 20, 'drizzle-orm': 30, 'node:processTicksAndRejections': 10 });
    expect(all.seconds).toBeCloseTo(60e-6, 12);
    expect(all.busy).toBeCloseTo(40e-6, 12);
    expect(micros(share(profile, { from: 15, to: 40 }).byOwner)).toEqual({ 'drizzle-orm': 30 });
  });

  it("tells waiting from working in a real profile, without the profiler's own calls", async () => {
    const { profile: waiting } = await profiled(() => sleep(200));
    const idle = share(waiting);
    expect(idle.seconds).toBeGreaterThan(0.15);
    expect(idle.busy / idle.seconds).toBeLessThan(0.5);
    expect(idle.byOwner.ours ?? 0).toBeLessThan(0.02);
    const { profile: working } = await profiled(async () => {
      const end = Date.now() + 200;
      let n = 0;
      while (Date.now() < end) n += Math.sqrt(n + 1);
      return n;
    });
    const busy = share(working);
    expect(busy.byOwner.ours! / busy.seconds).toBeGreaterThan(0.5);
  });
});
