import { GetObjectCommand } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orm } from '../../db/client.ts';
import { correctionsFor } from '../../db/queries/mapping-corrections.ts';
import { headerSetId } from '../../functions/_shared/inventory/corrections.ts';
import { routeCreatedObject } from '../../functions/trigger/route.ts';
import { createdObjects, type S3ObjectRef } from '../../functions/trigger/s3-event.ts';
import { InvalidImportError } from '../../workflows/step-errors.ts';
import { useWorkflowWorld } from './harness.ts';

const world = useWorkflowWorld();

/** The trigger's route with the local S3 as its GetObject and a Step Functions that records what it starts. */
function route(ref: S3ObjectRef, started: string[] = []) {
  const readObject = async (r: S3ObjectRef) => (await world.s3.client.send(new GetObjectCommand({ Bucket: r.bucket, Key: r.key }))).Body!.transformToString();
  const sfn = {
    startExecution: async (p: { name: string }) => {
      started.push(p.name);
      return {};
    },
  };
  return routeCreatedObject({ sql: world.sql, sfn, stateMachineArn: 'arn:aws:states:us-east-1:0:stateMachine:x', readObject }, ref);
}

async function put(key: string, body: string): Promise<S3ObjectRef> {
  const file = join(world.dir, key.replaceAll('/', '_'));
  writeFileSync(file, body);
  const [ref] = createdObjects(await world.s3.upload(key, file));
  return ref!;
}

describe('a mapping correction dropped under mappings/ (the AWS way of flowlink mapping set)', () => {
  it('sets the corrections for the engagement the key names, as the app under row-level security, and starts nothing', async () => {
    const tenant = await world.tenant();
    const setId = headerSetId(['Server', 'Speicher', 'Platz']);
    const started: string[] = [];
    const routed = await route(await put(`mappings/${tenant.clientAccountId}/${tenant.engagementId}/${setId}.json`, '{"corrections": ["Platz=storage_gb:GB"]}'), started);
    expect(routed).toMatchObject({ kind: 'mapping', corrections: [{ sourceField: 'Platz', targetField: 'storage_gb', unit: 'GB' }] });
    expect(started).toEqual([]);
    expect(await correctionsFor(orm(world.sql), tenant, setId)).toEqual([{ sourceField: 'Platz', targetField: 'storage_gb', unit: 'GB' }]);
    const other = await world.tenant();
    expect(await correctionsFor(orm(world.sql), other, setId)).toEqual([]);
  });

  it('refuses a file that names no field, or a tenant that does not exist, naming the key', async () => {
    const tenant = await world.tenant();
    const setId = headerSetId(['Server', 'Platz']);
    const bad = put(`mappings/${tenant.clientAccountId}/${tenant.engagementId}/${setId}.json`, '{"corrections": ["Platz=disk"]}');
    await expect(route(await bad)).rejects.toThrow(InvalidImportError);
    await expect(route(await bad)).rejects.toThrow(/mappings\/.*"disk" is not a field/);
    const ghost = await put(`mappings/${tenant.clientAccountId}/00000000-0000-4000-8000-000000000000/${setId}.json`, '{"corrections": ["Platz=storage_gb"]}');
    await expect(route(ghost)).rejects.toThrow(/does not exist/);
  });

  it('a drop under imports/ still starts its import', async () => {
    const tenant = await world.tenant();
    const started: string[] = [];
    const routed = await route(await put(`imports/${tenant.clientAccountId}/${tenant.engagementId}/servers.csv`, 'hostname\nweb01\n'), started);
    expect(routed.kind).toBe('import');
    expect(started).toHaveLength(1);
  });
});
