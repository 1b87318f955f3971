/**
 * Where the Node process's time goes during some work, by who owns the code: V8's sampling CPU
 * profiler (node:inspector, in-process) run around the work, each sample credited to the nearest
 * JavaScript frame that is not Node's own, then to the package in node_modules that holds it
 * ("ours" for the project's files). Samples with no such frame count as their V8 category:
 * "(idle)" is the process waiting (on the database, mostly), "(garbage collector)" and "(program)".
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A sample's owner: a package name, "ours", or a V8 category such as "(idle)". */
export function ownerOf(url: string): string | undefined {
  if (!url || url.startsWith('node:')) return undefined;
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return 'ours';
  const [scope, name] = url.slice(at + '/node_modules/'.length).split('/');
  return scope!.startsWith('@') ? `${scope}/${name}` : scope;
}

export interface CpuShare {
  /** Seconds of profile, by owner. */
  byOwner: Record<string, number>;
  seconds: number;
  /** Seconds not idle. */
  busy: number;
}

/** Credits each sample of `profile` to an owner; `window` (µs on the profile's clock) limits the samples counted. */
export function share(profile: Profile, window?: { from: number; to: number }, ownerOfUrl: (url: string) => string | undefined = ownerOf): CpuShare {
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const owners = new Map<number, string>();
  const ownerOfNode = (node: ProfileNode): string => {
    const known = owners.get(node.id);
    if (known) return known;
    let owner = ownerOfUrl(node.callFrame.url);
    if (!owner) {
      const up = parent.get(node.id);
      const name = node.callFrame.functionName;
      owner = up && up.callFrame.functionName !== '(root)' ? ownerOfNode(up) : name.startsWith('(') ? name : `node:${name || 'anonymous'}`;
    }
    owners.set(node.id, owner);
    return owner;
  };
  const byOwner: Record<string, number> = {};
  let t = profile.startTime;
  let seconds = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.from || t > window.to)) return;
    const owner = ownerOfNode(byId.get(id)!);
    byOwner[owner] = (byOwner[owner] ?? 0) + delta / 1e6;
    seconds += delta / 1e6;
  });
  return { byOwner, seconds, busy: seconds - (byOwner['(idle)'] ?? 0) };
}

/** The profile's clock (µs) at this moment: V8's and process.hrtime both read the monotonic clock. */
export const profileClock = () => Number(process.hrtime.bigint() / 1000n);

/** The profile with only the samples taken between `from` and `to`. */
function within(profile: Profile, from: number, to: number): Profile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let t = profile.startTime;
  let last = from;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from || t > to) return;
    samples.push(id);
    timeDeltas.push(t - last);
    last = t;
  });
  return { ...profile, startTime: from, endTime: to, samples, timeDeltas };
}

/** Runs `work` under the sampling profiler (every `intervalUs`); its result and the profile. */
export async function profiled<T>(work: () => Promise<T>, intervalUs = 200): Promise<{ result: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
    await session.post('Profiler.start');
    const stop = async () => ((await session.post('Profiler.stop')) as unknown as { profile: Profile }).profile;
    const from = profileClock();
    const result = await work().catch(async (err: unknown) => {
      await stop();
      throw err;
    });
    const to = profileClock();
    // the work's samples only, not the profiler's own start and stop
    return { result, profile: within(await stop(), from, to) };
  } finally {
    session.disconnect();
  }
}
