import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, layerEdges } from './support/import-graph.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const graph = importGraph(root);

/**
 * The layering, lowest first: the workflow contract (workflows/: ASL, contracts, report schema, step
 * errors) imports nothing of the project; db/ imports only the contract; the Lambdas (functions/)
 * import db/ and the contract; the local harness (workflows/local/) runs the Lambdas' handlers; the
 * CLI sits on top; infra/ reads only the contract. A new edge is a design decision: add it here with
 * its reason, or move the code.
 */
const ALLOWED = [
  'db -> workflows',
  'functions -> db',
  'functions -> workflows',
  'workflows/local -> workflows',
  'workflows/local -> db',
  'workflows/local -> functions',
  'cli -> workflows',
  'cli -> workflows/local',
  'cli -> db',
  // the CLI runs the cores locally: a mapping correction is parsed, a file validated, as a step would
  'cli -> functions',
  'infra -> workflows',
  // the database roles the Lambdas log in as (IAM authentication), named once in db/schema/access.ts
  'infra -> db',
];

describe('import boundaries of the source (cli db functions infra workflows)', () => {
  it('imports between top-level folders follow only the allowed edges', () => {
    const unexpected = [...layerEdges(graph)].filter(([edge]) => !ALLOWED.includes(edge)).map(([edge, why]) => `${edge} (${why})`);
    expect(unexpected).toEqual([]);
  });

  it('no file imports itself back, directly or through others', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('reads every relative import it finds (the graph is not empty and resolves to source files)', () => {
    const edges = [...graph.values()].flat();
    expect(edges.length).toBeGreaterThan(200);
    const unresolved = [...graph].flatMap(([from, targets]) => targets.filter((to) => !graph.has(to) && !to.endsWith('.json')).map((to) => `${from} -> ${to}`));
    expect(unresolved).toEqual([]);
  });
});
