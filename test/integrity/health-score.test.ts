import { describe, expect, it } from 'vitest';
import { healthScore, isOk, MAX_SCORE_WITH_CRITICAL, type CheckResult } from '../../db/integrity/index.ts';

const check = (severity: CheckResult['severity'], count: number, kind: CheckResult['kind'] = 'data', id = `${severity}.${count}`): CheckResult => ({
  id,
  severity,
  table: 't',
  count,
  sampleIds: [],
  description: '',
  kind,
});

describe('healthScore', () => {
  it('reads 100 only when nothing but info checks found something', () => {
    expect(healthScore([check('critical', 0), check('warning', 0)], 1000)).toBe(100);
    expect(healthScore([check('info', 50)], 1000)).toBe(100);
    expect(isOk([check('info', 50), check('critical', 0)])).toBe(true);
  });

  it('never reads 100 while a critical check fails, even for one row in ten million', () => {
    const oneOrphan = [check('critical', 1)];
    expect(healthScore(oneOrphan, 10_000_000)).toBe(MAX_SCORE_WITH_CRITICAL);
    expect(healthScore(oneOrphan, Number.MAX_SAFE_INTEGER)).toBeLessThan(100);
    expect(isOk(oneOrphan)).toBe(false);
    for (let rows = 0; rows <= 1000; rows += 7) expect(healthScore(oneOrphan, rows)).toBeLessThan(100);
  });

  it('is the share of healthy rows minus 10 per critical schema check and 2 per warning', () => {
    expect(healthScore([check('critical', 25)], 100)).toBe(75);
    expect(healthScore([check('critical', 25), check('warning', 3)], 100)).toBe(73);
    expect(healthScore([check('critical', 1, 'schema')], 100)).toBe(90);
    expect(healthScore([check('warning', 1)], 100)).toBe(98);
    // a third of the rows: 66.66… floored to one decimal
    expect(healthScore([check('critical', 1)], 3)).toBe(66.6);
  });

  it('stays within 0..100 however many checks fail', () => {
    const many = Array.from({ length: 30 }, (_, i) => check('critical', 10, i % 2 ? 'schema' : 'data', `c${i}`));
    expect(healthScore(many, 20)).toBe(0);
    expect(healthScore([check('critical', 5)], 0)).toBe(0);
  });
});
